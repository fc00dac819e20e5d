"""A simulated OSDP door board on the far end of a real pseudo-terminal pair.

The board's firmware is libosdp's own peripheral (`osdp.PeripheralDevice`) on its own
thread; its I/O is the GPIO simulation's door (`hw_sim.door_physics.SimDoor` on gpiozero's
MockFactory), so the door physics are exactly those of the GPIO simulation. The gate opens
`board.port` (the pty's slave end) with pyserial, as it would a USB RS-485 adapter.

Like a real door controller the board secures (or releases, per its fail mode) the door
by itself when the panel has been silent for `watchdog_seconds`.

Faults: line noise in either direction, dropped bytes, a replayed command frame, a cut
cable, a board that resets (power cycle), and a board holding the wrong key.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import tty
from collections import deque
from collections.abc import Callable
from typing import Any

import osdp

from firmware_bridge.events import card_bytes
from firmware_bridge.framing import COMMAND_OUT, Packet, PacketScanner
from firmware_bridge.keys import SecretKey
from gate.clock import Clock, SystemClock
from gate.config.door import GpioBackendConfig, OsdpBackendConfig
from gate.door.hardware import FailMode
from hw_sim.door_physics import SimDoor

logger = logging.getLogger(__name__)

INPUTS = ("door_contact", "exit_button", "fire", "tamper")
CAPTURED_PACKETS = 64


class _FastPeripheral(osdp.PeripheralDevice):
    """libosdp's peripheral with a 5 ms refresh loop (the stock one sleeps 20 ms)."""

    poll_interval_seconds = 0.005

    def refresh(self, event: threading.Event, lock: threading.Lock, ctx: Any) -> None:  # type: ignore[override]
        while not event.is_set():
            with lock:
                ctx.refresh()
            time.sleep(self.poll_interval_seconds)


class BoardLine(osdp.Channel):
    """The board's end of the pty, with the faults a real RS-485 line has."""

    def __init__(self, fd: int, address: int, seed: int = 0) -> None:
        super().__init__()
        self.fd = fd
        self.address = address
        self.cut = False
        self.drop_rate = 0.0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._incoming = bytearray()
        self._injected = bytearray()
        self._scanner = PacketScanner()
        self.last_command_at: float | None = None
        self.captured: deque[Packet] = deque(maxlen=CAPTURED_PACKETS)

    def read(self, max_bytes: int) -> bytes:
        data = self._read_fd()
        if self.cut:
            return b""
        data = self._drop(data)
        with self._lock:
            if self._injected:
                data = bytes(self._injected) + data
                self._injected.clear()
            for packet in self._scanner.feed(data):
                if not packet.is_reply and packet.address == self.address:
                    self.last_command_at = time.monotonic()
                    self.captured.append(packet)
            self._incoming += data
            out = bytes(self._incoming[:max_bytes])
            del self._incoming[:max_bytes]
        return out

    def write(self, buf: bytes) -> int:
        if self.cut:
            return len(buf)
        data = self._drop(bytes(buf))
        try:
            os.write(self.fd, data)
        except BlockingIOError:
            return 0
        except OSError:
            return len(buf)  # the gate closed its end: the bytes go nowhere, as on a bus
        return len(buf)

    def flush(self) -> None:
        with self._lock:
            self._incoming.clear()

    def inject_to_board(self, data: bytes) -> None:
        """Bytes that reach the board as if the panel had sent them."""
        with self._lock:
            self._injected += data

    def inject_to_panel(self, data: bytes) -> None:
        """Bytes that reach the panel as if the board had sent them."""
        if not self.cut:
            try:
                os.write(self.fd, data)
            except OSError:
                logger.debug("noise towards the panel not written")

    def _read_fd(self) -> bytes:
        chunks = []
        while True:
            try:
                chunk = os.read(self.fd, 4096)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if len(chunk) < 4096:
                break
        return b"".join(chunks)

    def _drop(self, data: bytes) -> bytes:
        if not data or self.drop_rate <= 0:
            return data
        return bytes(b for b in data if self._rng.random() >= self.drop_rate)


class SimOsdpBoard:
    """An OSDP door board (relay output 0, inputs 0-3, one reader) behind a pty.

    `scbk=None` puts a factory-fresh board in install mode: it takes the key the panel
    sets (KEYSET) and keeps it across resets, as real boards keep it in flash.
    """

    def __init__(
        self,
        scbk: SecretKey | None,
        *,
        address: int = 1,
        fail_mode: FailMode = "secure",
        energised_releases: bool = True,
        clock: Clock | None = None,
        watchdog_seconds: float = 1.0,
        declare_inputs: bool = True,
        seed: int = 0,
    ) -> None:
        self.address = address
        self.stored_key = scbk
        self.watchdog_seconds = watchdog_seconds
        self.declare_inputs = declare_inputs
        self.energised_releases = energised_releases
        self.clock = clock or SystemClock()
        self.commands: list[tuple[float, dict]] = []
        """(monotonic time, command) for every command the board carried out."""
        self.history: list[tuple[float, str]] = []
        """Board happenings: power_on, power_off, panel_lost, key_installed."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self.line = BoardLine(self._master, address, seed)
        self.door = SimDoor(
            self.clock, fail_mode=fail_mode,
            gpio_config=GpioBackendConfig(relay_energised_releases=energised_releases),
        )
        self._tamper = False
        self._exit_pressed = False
        self._pd: _FastPeripheral | None = None
        self._pd_lock = threading.RLock()
        self._was_secure = False
        self._panel_lost = False
        self._stop = threading.Event()
        self._watch_thread: threading.Thread | None = None
        hardware = self.door.hardware
        hardware.when_contact_changed = lambda _open: self.report_inputs()
        hardware.when_exit_pressed = self._on_exit_pressed
        hardware.when_fire_changed = lambda _active: self.report_inputs()
        self._set_output(False)

    # -- observations ------------------------------------------------------------------

    @property
    def relay_energised(self) -> bool:
        """The board's lock output as its pin sees it."""
        return self.door.relay_energised

    @property
    def relay_history(self) -> list[tuple[float, bool]]:
        """(monotonic time, energised) for each change of the board's lock output."""
        return list(self.door.relay_history)

    @property
    def secure_channel_active(self) -> bool:
        """True while the board has a secure channel with the panel."""
        with self._pd_lock:
            return self._pd is not None and bool(self._pd.is_sc_active())

    def energised_since(self, since: float) -> list[float]:
        """Times after `since` at which the lock output was energised."""
        return [t for t, on in self.relay_history if on and t >= since]

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> SimOsdpBoard:
        """Power the board on and start its watchdog and door physics; returns self."""
        self.power_on()
        self.door.start()
        if self._watch_thread is None:
            self._watch_thread = threading.Thread(target=self._watch, name="sim-osdp-board",
                                                  daemon=True)
            self._watch_thread.start()
        return self

    def close(self) -> None:
        """Power off, stop every thread and close the pty; idempotent."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._watch_thread is not None:
            self._watch_thread.join(timeout=2)
        self.power_off()
        self.door.shutdown()
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                logger.debug("pty end already closed")

    def __enter__(self) -> SimOsdpBoard:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def power_on(self) -> None:
        """Boot the firmware: a fresh libosdp peripheral with the stored key."""
        with self._pd_lock:
            if self._pd is not None:
                return
            key = self.stored_key
            flags = [osdp.LibFlag.EnforceSecure] if key else [osdp.LibFlag.InstallMode]
            info = osdp.PDInfo(self.address, self.line, scbk=key.reveal() if key else None,
                               flags=flags, name=f"sim-board-{self.address}")
            pd = _FastPeripheral(info, osdp.PDCapabilities(self._capabilities()),
                                 log_level=osdp.LogLevel.Error,
                                 command_handler=self._on_command)
            pd.start()
            self._pd = pd
            self._was_secure = False
            self._record("power_on")

    def power_off(self) -> None:
        """Cut the board's power: firmware stops, the output drops (de-energised)."""
        with self._pd_lock:
            pd, self._pd = self._pd, None
            if pd is not None:
                pd.teardown()
                self._record("power_off")
        self._set_output(False)

    def reset(self, down_seconds: float = 0.2) -> None:
        """Power-cycle the board (a brown-out, a watchdog reset, a firmware crash)."""
        self.power_off()
        time.sleep(down_seconds)
        self.power_on()

    # -- people and panels ---------------------------------------------------------------

    def swipe_card(self, number: int, bits: int = 26) -> float:
        """Present a card to the reader; returns the monotonic time of the read."""
        event = {"event": osdp.Event.CardRead, "reader_no": 0, "direction": 0,
                 "format": osdp.CardFormat.Wiegand, "length": bits,
                 "data": card_bytes(number, bits)}
        at = time.monotonic()
        self._submit(event)
        return at

    def enter_pin(self, pin: str) -> float:
        """Type a PIN and '#' on the reader's keypad; returns the monotonic time."""
        at = time.monotonic()
        self._submit({"event": osdp.Event.KeyPress, "reader_no": 0,
                      "data": pin.encode("ascii") + b"\r"})
        return at

    def set_tamper(self, active: bool) -> None:
        """Open (True) or close the enclosure's tamper switch."""
        self._tamper = active
        self.report_inputs()

    def report_inputs(self) -> None:
        """Send the state of every input to the panel (boards do so on any change)."""
        states = [self.door.door_open, self._exit_pressed,
                  bool(self.door.hardware.fire_is_active), self._tamper]
        self._submit({"event": osdp.Event.Status, "type": osdp.StatusReportType.Input,
                      "report": bytes(int(s) for s in states)})

    # -- faults --------------------------------------------------------------------------

    def cut_cable(self) -> None:
        """Nothing gets through in either direction until `restore_cable()`."""
        self.line.cut = True

    def restore_cable(self) -> None:
        """Reconnect the line."""
        self.line.cut = False

    def set_drop_rate(self, rate: float) -> None:
        """Lose each byte with probability `rate` (a marginal line)."""
        self.line.drop_rate = rate

    def inject_noise(self, data: bytes, towards: str = "panel") -> None:
        """Put `data` on the line towards the `panel` or the `board`."""
        if towards == "board":
            self.line.inject_to_board(data)
        else:
            self.line.inject_to_panel(data)

    def replay_last(self, code: int = COMMAND_OUT) -> bytes | None:
        """Resend the last captured panel frame with this command code to the board."""
        for packet in reversed(self.line.captured):
            if packet.code == code:
                self.line.inject_to_board(packet.raw)
                return packet.raw
        return None

    # -- firmware ------------------------------------------------------------------------

    def _capabilities(self) -> list[tuple[int, int, int]]:
        capabilities = [
            (osdp.Capability.OutputControl, 1, 1),
            (osdp.Capability.LEDControl, 1, 1),
            (osdp.Capability.AudibleControl, 1, 1),
            (osdp.Capability.CardDataFormat, 1, 1),
        ]
        if self.declare_inputs:
            # libosdp parks a board that reports inputs it did not declare offline for
            # 300 s: declare exactly the inputs we report.
            capabilities.append((osdp.Capability.ContactStatusMonitoring, 1, len(INPUTS)))
        return capabilities

    def _on_command(self, command: dict) -> tuple[int, Any]:
        self.commands.append((time.monotonic(), dict(command)))
        kind = command.get("command")
        if kind == osdp.Command.Output and command.get("output_no") == 0:
            self._set_output(command.get("control_code") in (2, 4, 5))
        elif kind == osdp.Command.Keyset:
            # Real boards write the key to flash; ours survives resets the same way.
            self.stored_key = SecretKey(bytes(command["data"]))
            self._record("key_installed")
        return 0, None

    def _set_output(self, energised: bool) -> None:
        self.door.hardware.set_released(energised == self.energised_releases)

    def _on_exit_pressed(self) -> None:
        self._exit_pressed = True
        self.report_inputs()
        self._exit_pressed = False
        self.report_inputs()

    def _submit(self, event: dict) -> None:
        with self._pd_lock:
            pd = self._pd
            if pd is None:
                return  # powered off: nothing is reported, as on a dead board
            pd.submit_event(event)

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            now = time.monotonic()
            last = self.line.last_command_at
            silent = last is None or now - last > self.watchdog_seconds
            if silent and not self._panel_lost and self._pd is not None and last is not None:
                self._panel_lost = True
                self._record("panel_lost")
                self.door.hardware.apply_fail_mode()
            elif not silent:
                self._panel_lost = False
            secure = self.secure_channel_active
            if secure and not self._was_secure:
                self.report_inputs()  # a (re)connected panel learns the inputs at once
            self._was_secure = secure

    def _record(self, what: str) -> None:
        self.history.append((time.monotonic(), what))
        logger.debug("sim OSDP board %s: %s", self.address, what)


def board_config(board: SimOsdpBoard, **overrides: Any) -> OsdpBackendConfig:
    """An OSDP backend config pointing at the simulated board."""
    values: dict[str, Any] = {"port": board.port, "address": board.address,
                              "relay_energised_releases": board.energised_releases}
    values.update(overrides)
    return OsdpBackendConfig(**values)


def open_simulated_osdp_door(
    fail_mode: FailMode = "secure",
    *,
    clock: Clock | None = None,
    scbk: SecretKey | None = None,
    on_board: Callable[[SimOsdpBoard], None] | None = None,
) -> tuple[SimOsdpBoard, Any]:
    """A started simulated board and the real OSDP backend connected to it over the pty.

    Returns (board, hardware); `board.door` has the physics (`person_walks_through`...).
    """
    from firmware_bridge.door_backend import OsdpDoorHardware

    key = scbk or SecretKey.generate()
    board = SimOsdpBoard(key, fail_mode=fail_mode,
                         energised_releases=fail_mode == "secure", clock=clock)
    if on_board is not None:
        on_board(board)
    board.start()
    hardware = OsdpDoorHardware(board_config(board), fail_mode, clock, scbk=key)
    return board, hardware
