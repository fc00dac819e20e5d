"""Door hardware on the Raspberry Pi's header through gpiozero.

gpiozero never touches hardware itself: it asks a pin factory (lgpio, RPi.GPIO, ...),
loaded lazily, or gpiozero's own `MockFactory` in tests and in hw_sim. We never import
the Pi libraries here: they install on x86 but fail on import there.

Pin conventions (see docs/wiring.md):
- relay: `relay_active_high=False` for the common active-low boards; energised means
  released unless `relay_energised_releases=False` (the relay holds a maglock);
- door contact: pulled towards its "open" level, so the device is *active* while the
  contact is made (door closed) for either polarity;
- exit button: to ground, internal pull-up, active while pressed;
- fire input: internal pull-up; alarm on low (normally-open panel contact) or on high
  (normally-closed loop, `fire_input_alarm_when_high`).
"""

from __future__ import annotations

import logging
import warnings

from gpiozero import DigitalInputDevice, OutputDevice
from gpiozero.exc import BadPinFactory, GPIOZeroError, PinFactoryFallback
from gpiozero.pins import Factory

from gate.clock import Clock
from gate.config.door import GpioBackendConfig
from gate.door.hardware import DoorHardware, FailMode
from gate.errors import HardwareError

logger = logging.getLogger(__name__)

NO_PIN_FACTORY_MESSAGE = (
    "No GPIO pin factory could be loaded, so this machine cannot drive the door relay "
    "(the `gpio` door backend needs a Raspberry Pi with lgpio or RPi.GPIO installed; "
    "use `door.backend.type: sim` to run without hardware)."
)


class GpioDoorHardware(DoorHardware):
    """Lock relay, door contact, exit button and fire input on gpiozero devices.

    `pin_factory=None` uses gpiozero's default factory (`Device.pin_factory`, loaded on
    first use); pass a `MockFactory` to run on simulated pins.
    """

    def __init__(
        self,
        config: GpioBackendConfig,
        fail_mode: FailMode,
        pin_factory: Factory | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(fail_mode, clock, energised_releases=config.relay_energised_releases)
        self.config = config
        self._devices: list[OutputDevice | DigitalInputDevice] = []
        try:
            self._relay = self._open_relay(config, pin_factory)
            # Every input uses the factory the relay ended up with (the default one, if
            # none was given), so that a half-built set never mixes factories.
            factory = self._relay.pin_factory
            self._contact = self._open_input(config.door_contact_pin, factory,
                                             pull_up=config.door_contact_open_when_high)
            self._exit = self._open_input(config.exit_button_pin, factory, pull_up=True)
            self._fire = self._open_input(config.fire_input_pin, factory, pull_up=True)
        except GPIOZeroError as err:
            self._close_devices()
            raise HardwareError(f"GPIO door hardware could not be set up: {err}") from err
        self._set_released(False)
        self._wire_callbacks()
        logger.info(
            "GPIO door hardware ready: relay on BCM %s (%s), fail mode %s",
            config.relay_pin,
            "active-high" if config.relay_active_high else "active-low",
            fail_mode,
        )

    # -- DoorHardware --------------------------------------------------------------------

    @property
    def door_is_open(self) -> bool | None:
        if self._contact is None or self.closed:
            return None
        return not self._contact.is_active

    @property
    def fire_is_active(self) -> bool | None:
        if self._fire is None or self.closed:
            return None
        return self._fire_level_is_alarm(self._fire.is_active)

    def _drive_relay(self, energised: bool) -> None:
        try:
            if energised:
                self._relay.on()
            else:
                self._relay.off()
        except GPIOZeroError as err:
            raise HardwareError(f"the door relay did not accept a command: {err}") from err

    def _close_devices(self) -> None:
        # Inputs first, relay last, so nothing reacts to a half-closed set.
        for device in reversed(self._devices):
            try:
                device.close()
            except GPIOZeroError:
                logger.exception("closing a GPIO door device failed")
        self._devices.clear()

    # -- construction --------------------------------------------------------------------

    def _open_relay(self, config: GpioBackendConfig, pin_factory: Factory | None) -> OutputDevice:
        with warnings.catch_warnings(record=True) as fallbacks:
            # gpiozero warns once per pin library it could not load; we say it once below.
            warnings.simplefilter("always", PinFactoryFallback)
            try:
                relay = OutputDevice(
                    config.relay_pin,
                    active_high=config.relay_active_high,
                    # Start secured, without a glitch through the other state.
                    initial_value=not config.relay_energised_releases,
                    pin_factory=pin_factory,
                )
            except BadPinFactory as err:
                for fallback in fallbacks:
                    logger.debug("pin factory fallback: %s", fallback.message)
                raise HardwareError(NO_PIN_FACTORY_MESSAGE) from err
        self._devices.append(relay)
        return relay

    def _open_input(
        self, pin: int | None, factory: Factory, *, pull_up: bool
    ) -> DigitalInputDevice | None:
        if pin is None:
            return None
        bounce = self.config.input_bounce_seconds or None
        device = DigitalInputDevice(pin, pull_up=pull_up, bounce_time=bounce, pin_factory=factory)
        self._devices.append(device)
        return device

    def _fire_level_is_alarm(self, is_active: bool) -> bool:
        # Pulled up: "active" means the pin is low. A normally-closed loop alarms when high.
        return not is_active if self.config.fire_input_alarm_when_high else is_active

    def _wire_callbacks(self) -> None:
        if self._contact is not None:
            self._contact.when_activated = lambda: self._emit_contact(False)
            self._contact.when_deactivated = lambda: self._emit_contact(True)
        if self._exit is not None:
            self._exit.when_activated = self._emit_exit
        if self._fire is not None:
            self._fire.when_activated = lambda: self._emit_fire(self._fire_level_is_alarm(True))
            self._fire.when_deactivated = lambda: self._emit_fire(self._fire_level_is_alarm(False))
