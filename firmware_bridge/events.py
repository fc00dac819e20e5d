"""What a board reports, as plain values, and the keypad's PIN assembly (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 12
KEY_ENTER = 0x0D  # OSDP keypad '#'
KEY_CLEAR = 0x7F  # OSDP keypad '*'


@dataclass(frozen=True, slots=True)
class CardRead:
    """A card presented to a reader: its raw bits as a decimal number string."""

    reader: int
    bits: int
    number: str

    def __repr__(self) -> str:
        # Card numbers are credentials: keep them out of reprs that may reach a log.
        digits = len(self.number)
        return f"CardRead(reader={self.reader}, bits={self.bits}, number=<{digits} digits>)"


@dataclass(frozen=True, slots=True)
class KeypadKeys:
    """Keys pressed on a reader's keypad (ASCII digits, 0x0D enter, 0x7F clear)."""

    reader: int
    keys: bytes

    def __repr__(self) -> str:
        return f"KeypadKeys(reader={self.reader}, keys=<{len(self.keys)}>)"


@dataclass(frozen=True, slots=True)
class InputReport:
    """The state of every input the board declared, True = active."""

    active: tuple[bool, ...]

    def get(self, index: int | None) -> bool | None:
        """Input `index`, or None when it is not configured or not reported."""
        if index is None or index >= len(self.active):
            return None
        return self.active[index]


@dataclass(frozen=True, slots=True)
class BoardStatus:
    """The board came online (secure channel up) or went offline, and why."""

    online: bool
    reason: str


@dataclass(frozen=True, slots=True)
class BoardAlarm:
    """Something about the board that a guard must see (key refused, tamper, lost command)."""

    kind: str
    detail: str = ""


BoardEvent = CardRead | KeypadKeys | InputReport | BoardStatus | BoardAlarm


def card_number(data: bytes, bits: int) -> str:
    """The card's `bits` most significant bits of `data` as a decimal string.

    A 26-bit Wiegand card arrives as 4 bytes with 6 padding bits at the end; its number
    is the 26 bits as one integer (parity bits included), which is what enrolment stores.
    """
    if not data:
        return "0"
    bits = max(1, min(bits, len(data) * 8))
    value = int.from_bytes(data, "big") >> (len(data) * 8 - bits)
    return str(value)


def card_bytes(number: int, bits: int) -> bytes:
    """The inverse of `card_number`: `number` left-aligned in whole bytes (for simulators)."""
    if number < 0 or number >= 1 << bits:
        raise ValueError(f"card number does not fit in {bits} bits")
    size = (bits + 7) // 8
    return (number << (size * 8 - bits)).to_bytes(size, "big")


class PinEntry:
    """Assembles keypad presses into PINs: digits, then enter; clear or a pause restarts.

    Pure: the caller passes the time of each batch of keys.
    """

    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self.timeout_seconds = timeout_seconds
        self._digits: list[str] = []
        self._last_key_at: float | None = None

    def feed(self, keys: bytes, now: float) -> list[str]:
        """Add keys pressed at `now`; return each PIN completed by an enter key."""
        if self._last_key_at is not None and now - self._last_key_at > self.timeout_seconds:
            self._digits.clear()
        self._last_key_at = now
        completed: list[str] = []
        for key in keys:
            if key == KEY_ENTER:
                if PIN_MIN_DIGITS <= len(self._digits) <= PIN_MAX_DIGITS:
                    completed.append("".join(self._digits))
                self._digits.clear()
            elif key == KEY_CLEAR:
                self._digits.clear()
            elif 0x30 <= key <= 0x39 and len(self._digits) < PIN_MAX_DIGITS:
                self._digits.append(chr(key))
        return completed
