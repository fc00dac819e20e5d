"""Door section: timings, fail mode and the hardware backend that drives the relay."""

from __future__ import annotations

from pathlib import Path
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


class OsdpBackendConfig(BaseModel):
    """A door I/O board and card reader on an RS-485 line, spoken to over OSDP.

    The gate is the OSDP control panel; the board's outputs, inputs and reader are
    numbered from 0 as the board declares them. See docs/osdp.md for wiring and pairing.
    """

    model_config = ConfigDict(extra="forbid")

    type: Literal["osdp"] = "osdp"
    port: str = Field(
        "/dev/ttyUSB0", min_length=1, description="Serial port of the RS-485 adapter."
    )
    baud: Literal[9600, 19200, 38400, 57600, 115200, 230400] = Field(
        115200, description="Line speed in bit/s; must match the board."
    )
    address: int = Field(1, ge=0, le=126, description="OSDP address of the board.")
    scbk_env: str | None = Field(
        "GATE_OSDP_SCBK",
        description="Environment variable holding the board's secure channel key (32 hex).",
    )
    scbk_file: Path | None = Field(
        None,
        description="Root-only file (mode 0600/0400) holding the key as 32 hex digits; "
        "used when the environment variable is unset.",
    )
    install_mode: bool = Field(
        False,
        description="First pairing only: let a factory-fresh board take the key over the "
        "default install key. Never leave on in service.",
    )
    relay_output: int = Field(0, ge=0, le=255, description="Board output driving the lock.")
    relay_energised_releases: bool = Field(
        True, description="As for GPIO: True when energising the output releases the door."
    )
    door_contact_input: int | None = Field(0, ge=0, le=255, description="Door contact input.")
    door_contact_open_when_active: bool = Field(
        True, description="True: the contact input reads active while the door is open."
    )
    exit_button_input: int | None = Field(1, ge=0, le=255, description="Exit button input.")
    fire_input: int | None = Field(2, ge=0, le=255, description="Fire panel input.")
    tamper_input: int | None = Field(3, ge=0, le=255, description="Enclosure tamper input.")
    reader_number: int = Field(0, ge=0, le=255, description="Reader whose cards/PINs count.")
    offline_seconds: float = Field(
        1.0, gt=0.1, le=10, description="No valid reply for this long declares the board offline."
    )
    command_timeout_seconds: float = Field(
        0.3, gt=0.02, le=5,
        description="How long to wait for a command's acknowledgement. A relay command "
        "not acknowledged by then also waits for libosdp's own re-send (about 1.2 s after "
        "sending) before it counts as undelivered.",
    )
    reconnect_seconds: float = Field(
        1.0, gt=0.1, le=60, description="Interval between attempts to bring an offline board back."
    )
    poll_interval_seconds: float = Field(
        0.005, ge=0.001, le=0.1, description="How often the OSDP state machine runs."
    )


DoorBackendConfig = Annotated[
    GpioBackendConfig | SimBackendConfig | OsdpBackendConfig, Field(discriminator="type")
]


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
