"""Aggregator settings from the environment (prefix ``AGGREGATOR_``) or CLI arguments."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from aggregator.errors import SettingsError

PLACEHOLDER_SECRET = "change-me"
DEFAULT_DB_URL = "sqlite:///var/aggregator/aggregator.db"


class AggregatorSettings(BaseSettings):
    """Everything the aggregator needs to start; secrets only from the environment."""

    model_config = SettingsConfigDict(env_prefix="AGGREGATOR_", extra="forbid")

    database_url: str = Field(
        DEFAULT_DB_URL,
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db.",
    )
    secret_key: str = Field(
        PLACEHOLDER_SECRET, description="Server secret (env AGGREGATOR_SECRET_KEY).", repr=False
    )
    demo: bool = Field(False, description="Demo mode: placeholder secret and demo users allowed.")
    session_ttl_seconds: int = Field(8 * 3600, ge=60, le=7 * 86400,
                                     description="Console sessions expire after this long.")
    login_attempts_per_window: int = Field(5, ge=1, description="Failed logins allowed ...")
    login_window_seconds: int = Field(300, ge=1, description="... per user and address in this.")
    mqtt_url: str | None = Field(None, description="mqtt://host:port/prefix; None: no MQTT.")
    snapshot_dir: Path = Field(Path("var/aggregator/snapshots"),
                               description="Folder of uploaded snapshot JPEGs.")
    event_retention_days: int = Field(180, ge=180, le=3650,
                                      description="Events kept at least 180 days (GB 50396).")
    snapshot_retention_days: int = Field(30, ge=1, le=365,
                                         description="Snapshots deleted after this many days.")
    visitor_contact_retention_days: int = Field(
        30, ge=0, le=365,
        description="A visitor's phone and purpose are cleared this many days after the visit.")
    gate_offline_seconds: int = Field(60, ge=5, description="No heartbeat for this long: alarm.")
    max_snapshot_bytes: int = Field(512 * 1024, ge=1024, description="Largest snapshot upload.")
    background_jobs: bool = Field(True, description="Run retention and offline checks.")

    def check(self) -> AggregatorSettings:
        """Refuse a placeholder secret outside demo mode; returns self."""
        if not self.demo and (self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 16):
            raise SettingsError(
                "set AGGREGATOR_SECRET_KEY to a random string of 16+ characters "
                "(the placeholder is only allowed with --demo)"
            )
        return self
