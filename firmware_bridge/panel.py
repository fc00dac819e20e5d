"""The gate as OSDP control panel for one board, with supervision, on libosdp.

libosdp runs the protocol (polling, secure channel, retries) on its refresh thread. Around
it this class adds what a door needs:

- supervision: the board is *online* only while it answers (a well-formed reply within
  `offline_seconds` of libosdp reading the line) *and* libosdp has it online with its
  secure channel up. libosdp alone would take several seconds to notice a cut cable.
- recovery: libosdp parks a board that failed during set-up offline for 300 s (a reset
  board, a wrong key, a board reporting an input it did not declare). We restart the
  board's state machine every `reconnect_seconds` instead, so a board comes back by itself.
- delivery: `submit()` waits for libosdp's completion callback; a command the board did
  not acknowledge in time raises, it is never silently dropped. libosdp re-sends an
  unacknowledged command by itself (`LIBOSDP_RETRANSMIT_SECONDS` later, up to 8 times)
  and no API cancels it, so a command reported as undelivered may still arrive later:
  callers must re-drive the state they want (the door backend does).
- events: libosdp calls back on its refresh thread while holding the panel lock, so events
  are queued and handed to `on_event` from a dispatcher thread, where handlers may submit
  commands.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import osdp

from firmware_bridge.errors import BoardOfflineError, CommandNotDeliveredError
from firmware_bridge.events import (
    BoardAlarm,
    BoardEvent,
    BoardStatus,
    CardRead,
    InputReport,
    KeypadKeys,
    card_number,
)
from firmware_bridge.framing import REPLY_CCRYPT
from firmware_bridge.keys import SecretKey
from firmware_bridge.link import SerialLink

logger = logging.getLogger(__name__)

SUPERVISION_TICK_SECONDS = 0.02
EVENT_QUEUE_SIZE = 256
OUTPUT_PERMANENT_OFF = 1
OUTPUT_PERMANENT_ON = 2
LIBOSDP_RETRANSMIT_SECONDS = 1.0
"""libosdp 3.2 re-sends a command 200 ms (reply timeout) + 800 ms (probe wait) after sending
it when no reply came; a second copy submitted meanwhile only queues behind that one."""
RETRANSMIT_MARGIN_SECONDS = 0.2


class _ControlPanel(osdp.ControlPanel):
    """libosdp's ControlPanel with a faster refresh loop and no unbounded event queue."""

    poll_interval_seconds = 0.005

    def refresh(self, event: threading.Event, lock: threading.Lock, ctx: Any) -> None:  # type: ignore[override]
        # Bound method on purpose: the stock static one sleeps 20 ms between steps,
        # which alone would eat a fifth of our 100 ms command budget.
        while not event.is_set():
            with lock:
                ctx.refresh()
            time.sleep(self.poll_interval_seconds)

    def _internal_event_handler(self, pd: int, event: dict) -> int:
        # The stock handler also appends every event to a queue nobody drains here.
        handler = self.user_event_handler
        return handler(pd, event) if handler is not None else 0


class OsdpPanel:
    """One OSDP board on one line, seen from the gate (the control panel)."""

    def __init__(
        self,
        link: SerialLink,
        scbk: SecretKey,
        on_event: Callable[[BoardEvent], None],
        *,
        install_mode: bool = False,
        offline_seconds: float = 1.0,
        command_timeout_seconds: float = 0.3,
        reconnect_seconds: float = 1.0,
        poll_interval_seconds: float = 0.005,
        log_level: int = osdp.LogLevel.Error,
    ) -> None:
        self.link = link
        self.address = link.address
        self.on_event = on_event
        self.offline_seconds = offline_seconds
        self.command_timeout_seconds = command_timeout_seconds
        self.reconnect_seconds = reconnect_seconds
        flags = [osdp.LibFlag.EnableNotification]
        # Install mode lets a fresh board take `scbk` over the default key (first pairing);
        # otherwise the secure channel is mandatory and the default key refused.
        flags.append(osdp.LibFlag.InstallMode if install_mode else osdp.LibFlag.EnforceSecure)
        info = osdp.PDInfo(self.address, link, scbk=scbk.reveal(), flags=flags,
                           name=f"board-{self.address}")
        self._cp = _ControlPanel([info], log_level=log_level,
                                 event_handler=self._on_library_event,
                                 command_completion_handler=self._on_completion)
        self._cp.poll_interval_seconds = poll_interval_seconds
        self._events: queue.Queue[tuple[dict, int | None] | None] = queue.Queue(EVENT_QUEUE_SIZE)
        self._submit_lock = threading.Lock()
        self._pending: dict | None = None
        self._pending_done = threading.Event()
        self._pending_status: int | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._online = False
        self._key_alarm_raised = False
        self._restart_at: float | None = None
        self._disabling = False
        self.events_dropped = 0
        self.offline_since: float | None = time.monotonic()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start libosdp, supervision and event dispatch."""
        self._cp.start()
        self._restart_at = time.monotonic() + self.reconnect_seconds
        for name, target in (("osdp-supervisor", self._supervise),
                             ("osdp-events", self._dispatch)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        """Stop every thread and close the line; idempotent."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._events.put(None)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=2)
        try:
            self._cp.stop()
        except RuntimeError:
            logger.debug("OSDP panel was not running")
        self.link.close()

    # -- state -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while libosdp, supervision and dispatch all run (False after close)."""
        threads = [*self._threads, self._cp.thread]
        return not self._stop.is_set() and all(t is not None and t.is_alive() for t in threads)

    @property
    def online(self) -> bool:
        """True while the board answers over an established secure channel."""
        return self._online

    def capability(self, function_code: int) -> tuple[int, int]:
        """(compliance level, number of items) the board declared for a capability."""
        compliance, items = self._cp.check_capability(self.address, function_code)
        return int(compliance), int(items)

    # -- commands --------------------------------------------------------------------

    def submit(
        self, command: dict, *, wait: bool = True, await_retransmission: bool = False
    ) -> None:
        """Send a command; with `wait`, return only once the board acknowledged it.

        With `await_retransmission`, a command not acknowledged within
        `command_timeout_seconds` gets one more chance: libosdp's own re-send of it.
        Raises BoardOfflineError when the board is offline and CommandNotDeliveredError
        when it did not acknowledge in time (libosdp may still deliver it later).
        """
        if not self._online:
            raise BoardOfflineError(f"OSDP board {self.address} is offline")
        if not wait:
            if not self._cp.submit_command(self.address, command):
                raise CommandNotDeliveredError(f"OSDP board {self.address} refused a command")
            return
        with self._submit_lock:
            self._pending, self._pending_status = dict(command), None
            self._pending_done.clear()
            try:
                sent_at = time.monotonic()
                if not self._cp.submit_command(self.address, command):
                    raise CommandNotDeliveredError(
                        f"OSDP board {self.address}: the command queue refused the command")
                if not self._await_completion(sent_at, await_retransmission):
                    # Drops queued commands; the one in flight cannot be recalled.
                    self._cp.flush_commands(self.address)
                    raise CommandNotDeliveredError(
                        f"OSDP board {self.address} did not acknowledge within "
                        f"{(time.monotonic() - sent_at) * 1000:.0f} ms")
                if self._pending_status != osdp.CompletionStatus.Ok:
                    raise CommandNotDeliveredError(
                        f"OSDP board {self.address} did not carry out the command "
                        f"(status {self._pending_status})")
            finally:
                self._pending = None

    def set_output(self, output_number: int, on: bool) -> None:
        """Switch an output on or off (permanently, until told otherwise).

        A lost frame costs about a second (libosdp's re-send) rather than the command.
        """
        code = OUTPUT_PERMANENT_ON if on else OUTPUT_PERMANENT_OFF
        self.submit({"command": osdp.Command.Output, "output_no": output_number,
                     "control_code": code, "timer_count": 0}, await_retransmission=True)

    def _await_completion(self, sent_at: float, await_retransmission: bool) -> bool:
        if self._pending_done.wait(self.command_timeout_seconds):
            return True
        if not await_retransmission:
            return False
        logger.warning("OSDP board %s did not acknowledge a command; waiting for its re-send",
                       self.address)
        # Not cut short when supervision declares the board offline: the silence of
        # libosdp's probe wait alone is about `offline_seconds`, and the re-send may land.
        deadline = sent_at + LIBOSDP_RETRANSMIT_SECONDS + RETRANSMIT_MARGIN_SECONDS
        return self._pending_done.wait(max(0.0, deadline - time.monotonic()))

    def flash_led(self, reader: int, colour: int, tenths: int) -> None:
        """Show `colour` on the reader's LED for `tenths` of a second, then go back."""
        self.submit({"command": osdp.Command.LED, "reader": reader, "led_number": 0,
                     "control_code": 2, "on_color": colour, "off_color": colour,
                     "on_count": tenths, "off_count": 0, "timer_count": tenths,
                     "temporary": True}, wait=False)

    def beep(self, reader: int, tenths: int, repeats: int = 1) -> None:
        """Sound the reader's buzzer `repeats` times for `tenths` of a second."""
        self.submit({"command": osdp.Command.Buzzer, "reader": reader, "control_code": 2,
                     "on_count": tenths, "off_count": tenths, "rep_count": repeats},
                    wait=False)

    # -- libosdp callbacks (refresh thread, panel lock held: never block here) ---------

    def _on_library_event(self, _pd: int, event: dict) -> int:
        try:
            self._events.put_nowait((event, self.link.last_reply_code))
        except queue.Full:
            self.events_dropped += 1
        return 0

    def _on_completion(self, _address: int, command: dict, status: int) -> None:
        pending = self._pending
        if pending is not None and command == pending:
            self._pending_status = status
            self._pending_done.set()

    # -- threads ---------------------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            item = self._events.get()
            if item is None or self._stop.is_set():
                return
            event, last_reply_code = item
            for board_event in self._translate(event, last_reply_code):
                self._emit(board_event)

    def _emit(self, event: BoardEvent) -> None:
        try:
            self.on_event(event)
        except Exception:
            logger.exception("OSDP event handler failed on %s", type(event).__name__)

    def _translate(self, event: dict, last_reply_code: int | None) -> list[BoardEvent]:
        kind = event.get("event")
        if kind == osdp.Event.CardRead:
            bits = int(event.get("length", 0)) or len(event.get("data", b"")) * 8
            return [CardRead(int(event.get("reader_no", 0)), bits,
                             card_number(bytes(event.get("data", b"")), bits))]
        if kind == osdp.Event.KeyPress:
            return [KeypadKeys(int(event.get("reader_no", 0)), bytes(event.get("data", b"")))]
        if kind == osdp.Event.Status and event.get("type") == osdp.StatusReportType.Input:
            return [InputReport(tuple(bool(b) for b in bytes(event.get("report", b""))))]
        if (kind == osdp.Event.Notification
                and event.get("type") == osdp.EventNotification.SecureChannelStatus
                and event.get("arg0") == 0 and last_reply_code == REPLY_CCRYPT
                and not self._key_alarm_raised):
            # The board answered the challenge but its cryptogram did not verify.
            self._key_alarm_raised = True
            logger.error("OSDP board %s refused: its secure channel key does not match",
                         self.address)
            return [BoardAlarm("key_refused", "secure channel key mismatch")]
        return []

    def _supervise(self) -> None:
        while not self._stop.wait(SUPERVISION_TICK_SECONDS):
            try:
                self._supervise_once()
            except Exception:
                logger.exception("OSDP supervision step failed")

    def _supervise_once(self) -> None:
        now = time.monotonic()
        answering = self.link.seconds_unanswered() < self.offline_seconds
        library_online = self._cp.is_online(self.address)
        secure = self._cp.is_sc_active(self.address)
        online = answering and library_online and secure
        if online != self._online:
            self._online = online
            if online:
                self.offline_since = None
                self._key_alarm_raised = False
                logger.info("OSDP board %s online (secure channel up)", self.address)
                self._emit(BoardStatus(True, "secure_channel_up"))
            else:
                self.offline_since = now
                reason = "no_reply" if not answering else "secure_channel_down"
                logger.error("OSDP board %s offline: %s", self.address, reason)
                self._emit(BoardStatus(False, reason))
        if library_online:
            self._restart_at = now + self.reconnect_seconds
        elif self._restart_at is not None and now >= self._restart_at:
            self._restart_board(now)

    def _restart_board(self, now: float) -> None:
        """Restart libosdp's state machine for the board (skipping its 300 s back-off)."""
        if not self._disabling:
            self._cp.disable_pd(self.address)
            self._disabling = True
            return
        if self._cp.is_pd_enabled(self.address):
            return  # libosdp has not processed the disable yet
        self._cp.enable_pd(self.address)
        self._disabling = False
        self._restart_at = now + self.reconnect_seconds
        logger.debug("OSDP board %s: restarted its state machine", self.address)
