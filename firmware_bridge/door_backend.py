"""Door hardware on an OSDP board: the same `DoorHardware` interface as the GPIO backend.

The lock relay is one of the board's outputs; door contact, exit button, fire and tamper
are its inputs; its reader delivers cards and keypad PINs and shows LED/buzzer feedback.

Delivery rules (a command is never silently dropped):
- *release* while the board is offline, or not acknowledged, raises `HardwareError` (the
  controller records `door_command_failed`; the door driver applies the fail mode);
- *secure* while the board is offline is kept and re-sent when the board is back (the
  board, configured for loss of communication, secures itself meanwhile); a *secure* the
  board did not acknowledge is reported as a board event and re-sent likewise.
After any relay command that failed, the relay is re-driven to what the gate last
commanded, every `RESYNC_INTERVAL_SECONDS` while the board is online, until the board
acknowledges: libosdp keeps re-sending a command we gave up on, so a release reported as
failed may still reach the board late, and must not stay there. Whenever the board comes
back online the relay is re-driven too, so a board that reset mid-pulse cannot stay
released nor stay locked wrongly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import osdp

from firmware_bridge.errors import BoardOfflineError, CommandNotDeliveredError, ScbkError
from firmware_bridge.events import (
    BoardAlarm,
    BoardEvent,
    BoardStatus,
    CardRead,
    InputReport,
    KeypadKeys,
    PinEntry,
)
from firmware_bridge.keys import SecretKey, load_scbk
from firmware_bridge.link import SerialLink
from firmware_bridge.panel import OsdpPanel
from gate.clock import Clock
from gate.config.door import OsdpBackendConfig
from gate.door.hardware import DoorHardware, FailMode
from gate.errors import HardwareError

logger = logging.getLogger(__name__)

GRANTED_LED_TENTHS = 20
RESYNC_INTERVAL_SECONDS = 0.05
DENIED_LED_TENTHS = 20

BoardEventSink = Callable[[str, dict[str, Any]], None]


class OsdpDoorHardware(DoorHardware):
    """Lock relay, inputs and reader of one OSDP board.

    Besides the `DoorHardware` callbacks it offers `when_card_read(CardRead)`,
    `when_pin_entered(pin, reader)` and `when_board_event(type, evidence)` (board online,
    offline, key refused, tamper, undelivered command: for the event log). All are called
    from the panel's dispatcher thread.
    """

    def __init__(
        self,
        config: OsdpBackendConfig,
        fail_mode: FailMode,
        clock: Clock | None = None,
        *,
        scbk: SecretKey | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(fail_mode, clock, energised_releases=config.relay_energised_releases)
        key = scbk or load_scbk(config.scbk_env, config.scbk_file, environ)
        if key is None:
            raise ScbkError(
                f"no secure channel key for the OSDP board: set ${config.scbk_env} or "
                "door.backend.scbk_file (see docs/osdp.md, pairing)"
            )
        self.config = config
        self.when_card_read: Callable[[CardRead], None] | None = None
        self.when_pin_entered: Callable[[str, int], None] | None = None
        self.when_board_event: BoardEventSink | None = None
        self._inputs: InputReport | None = None
        self._relay_lock = threading.RLock()
        self._resync_needed = False
        self._target_energised = False
        """The coil state the gate last commanded (set under `_relay_lock`)."""
        self._stop_resync = threading.Event()
        self._resync_thread: threading.Thread | None = None
        self._pins = PinEntry()
        self._capabilities_checked = False
        link = SerialLink(config.port, config.baud, config.address,
                          reopen_seconds=config.reconnect_seconds)
        self.panel = OsdpPanel(
            link, key, self._on_board_event,
            install_mode=config.install_mode,
            offline_seconds=config.offline_seconds,
            command_timeout_seconds=config.command_timeout_seconds,
            reconnect_seconds=config.reconnect_seconds,
            poll_interval_seconds=config.poll_interval_seconds,
        )
        self._set_released(False)  # offline yet: remembered, sent when the board is up
        self.panel.start()
        self._resync_thread = threading.Thread(target=self._resync_loop,
                                               name="osdp-relay-resync", daemon=True)
        self._resync_thread.start()
        logger.info("OSDP door board %s on %s (relay output %s), fail mode %s",
                    config.address, config.port, config.relay_output, fail_mode)

    # -- state -----------------------------------------------------------------------

    @property
    def online(self) -> bool:
        """True while the board answers over its secure channel."""
        return not self.closed and self.panel.online

    def wait_online(self, timeout_seconds: float) -> bool:
        """Block until the board is online (True) or the timeout passed (False)."""
        deadline = time.monotonic() + timeout_seconds
        while not self.online:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    # -- DoorHardware ----------------------------------------------------------------

    @property
    def door_is_open(self) -> bool | None:
        active = self._input(self.config.door_contact_input)
        if active is None:
            return None
        return active == self.config.door_contact_open_when_active

    @property
    def fire_is_active(self) -> bool | None:
        return self._input(self.config.fire_input)

    def _drive_relay(self, energised: bool) -> None:
        releasing = energised == self.energised_releases
        with self._relay_lock:
            try:
                self.panel.set_output(self.config.relay_output, energised)
                self._target_energised = energised
                self._resync_needed = False
            except BoardOfflineError:
                self._resync_needed = True
                if releasing:
                    raise  # the target stays what it was: the release did not happen
                self._target_energised = energised
                logger.debug("board offline: secure command kept until it is back")
            except CommandNotDeliveredError as err:
                self._resync_needed = True
                if releasing:
                    raise
                self._target_energised = energised
                self._board_event("door_command_failed",
                                  {"command": "secure", "error": str(err)})

    def _close_devices(self) -> None:
        self._stop_resync.set()
        thread = self._resync_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.panel.close()

    # -- reader feedback -------------------------------------------------------------

    def indicate(self, granted: bool) -> None:
        """Green LED and one beep for a grant, red LED and three beeps for a denial."""
        reader = self.config.reader_number
        try:
            if granted:
                self.panel.flash_led(reader, osdp.CommandLEDColor.Green, GRANTED_LED_TENTHS)
                self.panel.beep(reader, 1)
            else:
                self.panel.flash_led(reader, osdp.CommandLEDColor.Red, DENIED_LED_TENTHS)
                self.panel.beep(reader, 1, repeats=3)
        except HardwareError as err:
            logger.debug("reader feedback not shown: %s", err)

    # -- board events (dispatcher thread) --------------------------------------------

    def _on_board_event(self, event: BoardEvent) -> None:
        if self.closed:
            return
        if isinstance(event, InputReport):
            self._on_inputs(event)
        elif isinstance(event, CardRead):
            callback = self.when_card_read
            if event.reader == self.config.reader_number and callback is not None:
                callback(event)
        elif isinstance(event, KeypadKeys):
            callback_pin = self.when_pin_entered
            if event.reader == self.config.reader_number:
                for pin in self._pins.feed(event.keys, time.monotonic()):
                    if callback_pin is not None:
                        callback_pin(pin, event.reader)
        elif isinstance(event, BoardStatus):
            self._board_event("board_online" if event.online else "board_offline",
                              {"reason": event.reason, "address": self.config.address})
            if event.online:
                self._check_capabilities()
                self._resync_relay(report=True)
        elif isinstance(event, BoardAlarm):
            self._board_event(f"board_{event.kind}",
                              {"detail": event.detail, "address": self.config.address})

    def _on_inputs(self, report: InputReport) -> None:
        config = self.config
        before = self._inputs
        self._inputs = report

        def changed(index: int | None) -> bool:
            now = report.get(index)
            return now is not None and (before is None or before.get(index) != now)

        if changed(config.door_contact_input):
            self._emit_contact(bool(self.door_is_open))
        if changed(config.exit_button_input) and report.get(config.exit_button_input):
            self._emit_exit()
        if changed(config.fire_input):
            self._emit_fire(bool(report.get(config.fire_input)))
        tampered = bool(report.get(config.tamper_input))
        # The first report after start-up only sets the baseline, unless it is a tamper.
        if changed(config.tamper_input) and (before is not None or tampered):
            self._board_event("board_tamper" if tampered else "board_tamper_cleared",
                              {"address": config.address})

    def _resync_relay(self, *, report: bool) -> None:
        """Re-drive the relay to the gate's last command (the board may have reset).

        On success the door driver is told the hardware is back (`when_recovered`).
        With `report`, a failure is recorded as a board event; the periodic re-drive does
        not report, since the failure that started it was reported already.
        """
        with self._relay_lock:
            if self.closed:
                return
            was_needed = self._resync_needed
            try:
                self.panel.set_output(self.config.relay_output, self._target_energised)
                self._resync_needed = False
            except HardwareError as err:
                self._resync_needed = True
                if report:
                    self._board_event("door_command_failed",
                                      {"command": "resync", "error": str(err)})
                return
        if was_needed:
            logger.info("OSDP board %s: relay re-driven to the gate's last command",
                        self.config.address)
        if was_needed or report:
            # The board acknowledges commands again: a door driver faulted by an
            # undelivered command may leave its fail mode.
            self._emit_recovered()

    def _resync_loop(self) -> None:
        while not self._stop_resync.wait(RESYNC_INTERVAL_SECONDS):
            if self._resync_needed and self.panel.online and not self.closed:
                try:
                    self._resync_relay(report=False)
                except Exception:
                    logger.exception("re-driving the OSDP relay failed")

    def _check_capabilities(self) -> None:
        """Warn once when the board does not declare the inputs the config uses.

        libosdp drops a board that reports inputs it did not declare (offline for 300 s),
        so such a board flaps; the event says which side to fix.
        """
        config = self.config
        used = [i for i in (config.door_contact_input, config.exit_button_input,
                            config.fire_input, config.tamper_input) if i is not None]
        if not used or self._capabilities_checked:
            return
        self._capabilities_checked = True
        try:
            _, declared = self.panel.capability(osdp.Capability.ContactStatusMonitoring)
        except Exception:  # libosdp raises plain errors when the board has no PDCAP yet
            logger.debug("board capabilities not available yet", exc_info=True)
            self._capabilities_checked = False
            return
        if declared < max(used) + 1:
            logger.error("OSDP board %s declares %d inputs but the config uses input %d",
                         config.address, declared, max(used))
            self._board_event("board_capability_mismatch",
                              {"declared_inputs": declared, "needed_inputs": max(used) + 1,
                               "address": config.address})

    # -- helpers ---------------------------------------------------------------------

    def _input(self, index: int | None) -> bool | None:
        report = self._inputs
        if index is None or report is None or self.closed:
            return None
        return report.get(index)

    def _board_event(self, event_type: str, evidence: dict[str, Any]) -> None:
        sink = self.when_board_event
        if sink is None:
            return
        try:
            sink(event_type, evidence)
        except Exception:
            logger.exception("recording board event %s failed", event_type)


def open_osdp_hardware(
    config: OsdpBackendConfig,
    fail_mode: FailMode,
    clock: Clock | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> OsdpDoorHardware:
    """The door on an OSDP board, key from the environment or key file (config)."""
    return OsdpDoorHardware(config, fail_mode, clock, environ=environ)
