"""Uplink section: shipping the event log to the aggregator and pulling directory updates."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class UplinkConfig(BaseModel):
    """Connection to the community's aggregator; disabled by default (a standalone gate)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="Ship events and pull the directory centrally.")
    aggregator_url: str | None = Field(
        None, pattern=r"^https?://", description="Base URL, e.g. `https://aggregator.local:8443`."
    )
    credential_env: str = Field(
        "GATE_UPLINK_CREDENTIAL", pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="Name of the environment variable holding this gate's credential.",
    )
    batch_size: int = Field(500, ge=1, le=500, description="Most events per upload request.")
    poll_interval_seconds: float = Field(
        0.5, gt=0, le=60, description="How often the sender looks for new events when idle."
    )
    backoff_initial_seconds: float = Field(
        1.0, gt=0, le=60, description="First retry delay after a failed upload."
    )
    backoff_max_seconds: float = Field(
        60.0, gt=0, le=3600, description="Retry delay cap (exponential back-off with jitter)."
    )
    request_timeout_seconds: float = Field(10.0, gt=0, le=120, description="HTTP timeout.")
    heartbeat_interval_seconds: float = Field(
        20.0, gt=0, le=300, description="Heartbeat when nothing else was sent for this long."
    )
    sync_interval_seconds: float = Field(
        30.0, gt=0, le=3600, description="How often the directory is pulled."
    )
    upload_snapshots: bool = Field(True, description="Upload face-crop snapshots too.")

    @model_validator(mode="after")
    def _url_when_enabled(self) -> UplinkConfig:
        if self.enabled and not self.aggregator_url:
            raise ValueError("uplink.aggregator_url is required when uplink.enabled is true")
        return self
