"""The gpiozero door backend and the driver on gpiozero's MockFactory: real pin levels."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from gate.clock import ManualClock
from gate.config.door import DoorConfig, GpioBackendConfig
from gate.door import DoorDriver, DoorEvent, DoorStateMachine
from gate.door.gpio_backend import GpioDoorHardware
from gate.errors import HardwareError

RELAY, CONTACT, EXIT, FIRE = 17, 27, 22, 23


@pytest.fixture(autouse=True)
def restore_pin_factory():
    """Tests must not leak a global pin factory into each other (as gpiozero's own do)."""
    saved = Device.pin_factory
    yield
    Device.pin_factory = saved


@pytest.fixture
def factory() -> MockFactory:
    return MockFactory()


def make_driver(factory, fail_mode="secure", levels=None, **gpio):
    """Open the backend, set input levels as wired (door shut unless `levels` says), then
    start the driver on it. Pull-ups set at open time would read the door as open."""
    clock = ManualClock()
    config = GpioBackendConfig(**gpio)
    hardware = GpioDoorHardware(config, fail_mode, factory, clock)
    if levels is None:
        levels = {CONTACT: not config.door_contact_open_when_high}
    for pin, high in levels.items():
        factory.pin(pin).drive_high() if high else factory.pin(pin).drive_low()
    events: list[DoorEvent] = []
    machine = DoorStateMachine(DoorConfig(unlock_seconds=3.0, fail_mode=fail_mode), clock)
    return DoorDriver(machine, hardware, clock, events.append), hardware, clock, events


def names(events: list[DoorEvent]) -> list[str]:
    return [e.type for e in events]


def test_active_low_relay_is_driven_low_only_while_released(factory):
    driver, _, clock, _ = make_driver(factory, relay_active_high=False)
    relay = factory.pin(RELAY)
    assert relay.state is True  # high = coil off on an active-low board
    driver.grant("r1")
    assert relay.state is False
    clock.advance(3.0)
    driver.tick()
    assert relay.state is True


def test_active_high_relay_is_driven_high_only_while_released(factory):
    driver, _, _, _ = make_driver(factory, relay_active_high=True)
    relay = factory.pin(RELAY)
    assert relay.state is False
    driver.grant("r1")
    assert relay.state is True


def test_exit_button_press_is_logged_and_releases(factory):
    driver, hardware, _, events = make_driver(factory)
    button = factory.pin(EXIT)
    button.drive_low()
    button.drive_high()
    assert names(events)[-2:] == ["exit_request", "door_released"]
    assert hardware.relay_energised


@pytest.mark.parametrize(("open_when_high", "open_level"), [(True, True), (False, False)])
def test_contact_level_maps_to_door_open(factory, open_when_high, open_level):
    contact = factory.pin(CONTACT)
    driver, hardware, _, events = make_driver(factory, door_contact_open_when_high=open_when_high)
    assert hardware.door_is_open is False
    contact.drive_high() if open_level else contact.drive_low()
    assert hardware.door_is_open is True
    assert names(events)[-2:] == ["door_opened", "door_forced"]


def test_fire_contact_to_ground_releases_and_latches(factory):
    driver, hardware, _, events = make_driver(factory)
    fire = factory.pin(FIRE)
    fire.drive_low()
    assert hardware.fire_is_active is True
    assert "fire_release" in names(events)
    fire.drive_high()
    assert hardware.relay_energised  # still released until a guard resets
    assert driver.fire_reset()
    assert not hardware.relay_energised


def test_normally_closed_fire_loop_releases_when_the_wire_is_cut(factory):
    fire = factory.pin(FIRE)
    # The closed loop holds the pin low.
    levels = {CONTACT: False, FIRE: False}
    _, hardware, _, events = make_driver(factory, levels=levels, fire_input_alarm_when_high=True)
    assert hardware.fire_is_active is False
    fire.drive_high()  # loop opened: alarm or a cut wire
    assert hardware.relay_energised
    assert "fire_release" in names(events)


def test_unfitted_inputs_report_none(factory):
    _, hardware, _, _ = make_driver(
        factory, door_contact_pin=None, exit_button_pin=None, fire_input_pin=None
    )
    assert hardware.door_is_open is None
    assert hardware.fire_is_active is None


@pytest.mark.parametrize(("fail_mode", "energised"), [("secure", False), ("safe", True)])
def test_close_drives_relay_to_fail_mode_and_releases_pins(factory, fail_mode, energised):
    driver, hardware, _, _ = make_driver(factory, fail_mode)
    relay = factory.pin(RELAY)
    if not energised:
        driver.grant("r1")
    hardware.apply_fail_mode()
    assert relay.state is (not energised)  # active-low: low = energised
    driver.close()
    driver.close()
    assert hardware.relay_history[-1][1] is energised
    assert relay.function == "input"  # pin handed back


def test_maglock_held_by_the_relay_is_released_by_de_energising(factory):
    driver, hardware, _, _ = make_driver(factory, "safe", relay_energised_releases=False)
    relay = factory.pin(RELAY)
    assert relay.state is False  # active-low: coil on, maglock held
    driver.grant("r1")
    assert relay.state is True and not hardware.relay_energised
    assert hardware.released


def test_maglock_held_by_the_relay_is_released_when_the_gate_stops(factory):
    driver, hardware, _, _ = make_driver(factory, "safe", relay_energised_releases=False)
    driver.close()
    assert hardware.relay_history[-1][1] is False
    assert factory.pin(RELAY).function == "input"  # floating: the board's relay drops out


def test_error_in_a_callback_path_drives_relay_to_fail_mode(factory):
    clock = ManualClock()
    hardware = GpioDoorHardware(GpioBackendConfig(), "secure", factory, clock)
    factory.pin(CONTACT).drive_low()  # door shut

    def failing_log(event: DoorEvent) -> None:
        if event.type == "door_opened":
            raise OSError("event log unavailable")

    driver = DoorDriver(DoorStateMachine(DoorConfig(), clock), hardware, clock, failing_log)
    driver.grant("r1")
    factory.pin(CONTACT).drive_high()
    assert driver.faulted
    assert factory.pin(RELAY).state is True  # active-low: coil off, door secure


def test_pin_in_use_raises_hardware_error(factory):
    first = GpioDoorHardware(GpioBackendConfig(), "secure", factory)
    with pytest.raises(HardwareError):
        GpioDoorHardware(GpioBackendConfig(), "secure", factory)
    first.close()


def _is_raspberry_pi() -> bool:
    model = Path("/proc/device-tree/model")
    return model.exists() and "Raspberry Pi" in model.read_text(errors="replace")


@pytest.mark.skipif(_is_raspberry_pi(), reason="this machine has real GPIO")
def test_machine_without_gpio_fails_with_one_clear_sentence(monkeypatch):
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    Device.pin_factory = None
    with pytest.raises(HardwareError) as caught:
        GpioDoorHardware(GpioBackendConfig(), "secure")
    message = str(caught.value)
    assert message.startswith("No GPIO pin factory could be loaded")
    assert message.count(". ") == 0 and message.endswith(".")
    assert "sim" in message
