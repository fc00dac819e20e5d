"""Guard UI section: the touch screen at the gate (sign-in, visitors, manual open, muster)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class GuardUiConfig(BaseModel):
    """The guard's kiosk app; its own server, loopback by default (Chromium kiosk on the gate)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="Serve the guard touch UI.")
    host: str = Field(
        "127.0.0.1", min_length=1,
        description="Address to listen on; keep loopback unless the screen is another device.",
    )
    port: int = Field(8090, ge=1, le=65535, description="TCP port of the guard UI.")
    idle_sign_out_seconds: int = Field(
        120, ge=15, le=3600, description="A guard session ends after this long without a touch.",
    )
    pin_failures_before_lockout: int = Field(
        5, ge=1, le=20, description="Wrong PINs in a row before the account pauses.",
    )
    lockout_seconds: int = Field(60, ge=1, le=3600, description="How long that pause lasts.")
    timezone: str = Field(
        "Asia/Shanghai", description="Local time zone: a visitor pass ends at midnight here.",
    )
    muster_hours: int = Field(
        24, ge=1, le=168, description="Entries older than this are not counted as inside.",
    )
    capture_ttl_seconds: int = Field(
        300, ge=10, le=3600, description="A captured face not registered within this is dropped.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value
