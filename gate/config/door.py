"""Door section: timings, fail mode and the hardware backend that drives the relay."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class GpioBackendConfig(BaseModel):
    """Relay and inputs on the Pi's header, through gpiozero (BCM pin numbers)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["gpio"] = "gpio"
    relay_pin: int = Field(17, ge=0, le=53, description="BCM pin of the lock relay.")
    relay_active_high: bool = Field(
        False, description="False for the common active-low relay boards."
    )
    relay_energised_releases: bool = Field(
        True,
        description=(
            "True: energising the relay releases the door (strike on NO, maglock on NC). "
            "False: the relay holds the lock (maglock on NO), so a stopped gate or a "
            "power cut releases the door; use with fail_mode `safe`."
        ),
    )
    door_contact_pin: int | None = Field(27, ge=0, le=53, description="Door contact (reed).")
    door_contact_open_when_high: bool = Field(
        True, description="Contact wired to ground when closed, pulled up: high = open."
    )
    exit_button_pin: int | None = Field(22, ge=0, le=53, description="Request-to-exit button.")
    fire_input_pin: int | None = Field(23, ge=0, le=53, description="Fire-alarm release input.")
    fire_input_alarm_when_high: bool = Field(
        False,
        description=(
            "False: the fire panel's contact closes to ground on alarm (pin pulled up). "
            "True: a normally-closed loop opens on alarm, so a cut wire also releases."
        ),
    )
    input_bounce_seconds: float = Field(0.05, ge=0, le=1, description="Input debounce time.")


class SimBackendConfig(BaseModel):
    """The hw_sim door: gpiozero's MockFactory pins wired to simulated door physics."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["sim"] = "sim"


DoorBackendConfig = Annotated[GpioBackendConfig | SimBackendConfig, Field(discriminator="type")]


class DoorConfig(BaseModel):
    """How the door behaves; the backend says what drives it."""

    model_config = ConfigDict(extra="forbid")

    unlock_seconds: float = Field(3.0, gt=0, le=30, description="Length of the unlock pulse.")
    held_open_seconds: float = Field(
        30.0, gt=0, le=3600, description="Door open longer than this raises a held-open alarm."
    )
    forced_grace_seconds: float = Field(
        1.0,
        ge=0,
        le=60,
        description=(
            "After a legitimate release ends, the door may still open this long "
            "(a person already passing) without a forced-door alarm."
        ),
    )
    fail_mode: Literal["secure", "safe"] = Field(
        "secure",
        description="`secure` stays locked without power or on a crash; `safe` releases.",
    )
    backend: DoorBackendConfig = Field(default_factory=SimBackendConfig)
