"""Card and PIN credentials in the directory: validation and PIN hashing (pure helpers).

Card numbers are stored as given (the decimal number the reader reports, see
`firmware_bridge.events.card_number`), so that a card can be looked up directly. PINs are
never stored: only an scrypt hash with a directory-wide salt. The salt is shared by all
PINs (not per row) so that a typed PIN can be looked up by its hash without trying every
row; scrypt's cost is what protects the short PIN space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from gate.errors import GateError
from wire import pins as wire_pins
from wire.pins import (  # noqa: F401 - re-exported: the names this module always had
    PIN_MAX_DIGITS,
    PIN_MIN_DIGITS,
    SALT_BYTES,
    SCRYPT_BYTES,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
)

_CARD = re.compile(r"^[0-9A-Za-z]{1,40}$")


class CredentialError(GateError, ValueError):
    """A card number or PIN that cannot be enrolled (malformed, or held by someone else)."""


class CredentialType(StrEnum):
    """Kinds of credential held in `dir_credentials` (the values are stored)."""

    CARD = "card"
    PIN = "pin"


@dataclass(frozen=True)
class CredentialInfo:
    """What may be shown about an enrolled credential: its kind and a short hint."""

    credential_id: int
    person_id: str
    kind: CredentialType
    hint: str
    created_at: str


def normalise_card(card_number: str) -> str:
    """The card number as stored: surrounding whitespace removed, else as given."""
    value = card_number.strip() if isinstance(card_number, str) else ""
    if not _CARD.match(value):
        raise CredentialError("a card number is 1 to 40 letters or digits")
    return value


def check_pin(pin: str) -> str:
    """The PIN if it is 4 to 12 digits; CredentialError otherwise (the PIN is not quoted)."""
    if not wire_pins.is_pin(pin):
        raise CredentialError(f"a PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits")
    return pin


def hash_pin(pin: str, salt: bytes) -> str:
    """The stored form of a PIN: `scrypt$n$r$p$<hex>` (the same as the aggregator's, see
    `wire.pins`, so that PINs set centrally verify at the gate)."""
    return wire_pins.hash_pin(check_pin(pin), salt)


def hint(kind: CredentialType, value: str) -> str:
    """A hint safe to display: the last 4 characters of a card, nothing of a PIN."""
    if kind is CredentialType.CARD:
        return "…" + value[-4:]
    return "PIN"
