"""The serial line to the board: a libosdp `Channel` on pyserial that also watches replies.

libosdp reads and writes through `read()`/`write()` from its refresh thread. Every byte
read is also fed to a `PacketScanner`, so supervision knows when the board last sent a
well-formed reply, and which reply it was, independently of libosdp's own back-off.

A USB adapter pulled out makes pyserial raise; the link then reports no bytes, closes the
port and reopens it every `reopen_seconds`, so libosdp simply sees a silent line.
"""

from __future__ import annotations

import logging
import threading
import time

import osdp
import serial

from firmware_bridge.framing import PacketScanner

logger = logging.getLogger(__name__)


class SerialLink(osdp.Channel):
    """A pyserial port as a libosdp channel, with reply supervision for one address."""

    def __init__(
        self,
        port: str,
        baud: int,
        address: int,
        *,
        reopen_seconds: float = 1.0,
    ) -> None:
        super().__init__()
        self.port_name = port
        self.baud = baud
        self.address = address
        self.reopen_seconds = reopen_seconds
        self._scanner = PacketScanner()
        self._lock = threading.Lock()
        self._serial: serial.Serial | None = None
        self._next_open_at = 0.0
        self._closed = False
        self._broken_logged = False
        self.last_reply_at: float | None = None
        """time.monotonic() of the last well-formed reply from our board."""
        self.last_reply_code: int | None = None
        self.last_read_at: float | None = None
        """time.monotonic() of libosdp's last look at the line (its refresh loop ran)."""
        self.replies_seen = 0
        self._open()

    # -- supervision -----------------------------------------------------------------

    @property
    def port_open(self) -> bool:
        """True while the serial port is open (False after an adapter was pulled)."""
        return self._serial is not None

    @property
    def bytes_discarded(self) -> int:
        """Bytes read that were not part of a well-formed packet (noise, truncation)."""
        return self._scanner.bytes_discarded

    def seconds_since_reply(self, now: float | None = None) -> float:
        """Seconds since the board last answered (infinite if it never has)."""
        if self.last_reply_at is None:
            return float("inf")
        return (time.monotonic() if now is None else now) - self.last_reply_at

    def seconds_unanswered(self) -> float:
        """How long the panel has been reading the line without a reply from the board.

        Counted up to libosdp's last read, not up to now: if our own process was starved
        (a long computation holding the GIL), the board is not to blame for that time.
        """
        if self.last_reply_at is None:
            return float("inf")
        if self.last_read_at is None:
            return 0.0
        return max(0.0, self.last_read_at - self.last_reply_at)

    # -- osdp.Channel ----------------------------------------------------------------

    def read(self, max_bytes: int) -> bytes:
        self.last_read_at = time.monotonic()
        port = self._port()
        if port is None:
            return b""
        try:
            data = port.read(max_bytes)
        except (serial.SerialException, OSError) as err:
            self._lost(err)
            return b""
        if data:
            self._watch(data)
        return data

    def write(self, buf: bytes) -> int:
        port = self._port()
        if port is None:
            # Pretend it went: libosdp then times out waiting for a reply, as on a cut line.
            return len(buf)
        try:
            written = port.write(buf)
        except serial.SerialTimeoutException:
            return 0
        except (serial.SerialException, OSError) as err:
            self._lost(err)
            return len(buf)
        return int(written or 0)

    def flush(self) -> None:
        port = self._port()
        if port is None:
            return
        try:
            port.reset_input_buffer()
        except (serial.SerialException, OSError) as err:
            self._lost(err)

    def close(self) -> None:
        """Close the port for good; idempotent."""
        with self._lock:
            self._closed = True
            port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                logger.debug("closing %s failed", self.port_name, exc_info=True)

    # -- internals -------------------------------------------------------------------

    def _watch(self, data: bytes) -> None:
        for packet in self._scanner.feed(data):
            if packet.is_reply and packet.address == self.address:
                self.last_reply_at = time.monotonic()
                self.last_reply_code = packet.code
                self.replies_seen += 1

    def _port(self) -> serial.Serial | None:
        port = self._serial
        if port is None and not self._closed and time.monotonic() >= self._next_open_at:
            self._open()
            port = self._serial
        return port

    def _open(self) -> None:
        with self._lock:
            if self._closed or self._serial is not None:
                return
            try:
                # timeout=0: reads never block, as libosdp's refresh loop expects.
                # write_timeout: a packet takes ~25 ms at 115200 bit/s; a short timeout would
                # make a briefly descheduled thread look like a broken line to libosdp.
                self._serial = serial.Serial(
                    self.port_name, self.baud, timeout=0, write_timeout=1.0, exclusive=True
                )
            except (serial.SerialException, OSError, ValueError) as err:
                self._next_open_at = time.monotonic() + self.reopen_seconds
                if not self._broken_logged:
                    self._broken_logged = True
                    logger.error("cannot open OSDP port %s: %s", self.port_name, err)
                return
            if self._broken_logged:
                logger.info("OSDP port %s open again", self.port_name)
            self._broken_logged = False

    def _lost(self, err: Exception) -> None:
        with self._lock:
            port, self._serial = self._serial, None
            self._next_open_at = time.monotonic() + self.reopen_seconds
        if port is not None:
            logger.error("OSDP port %s failed (%s); reopening", self.port_name, err)
            self._broken_logged = True
            try:
                port.close()
            except (serial.SerialException, OSError):
                logger.debug("closing a failed port raised", exc_info=True)
