"""Card and PIN credentials in the directory: validation and PIN hashing (pure helpers).

Card numbers are stored as given (the decimal number the reader reports, see
`firmware_bridge.events.card_number`), so that a card can be looked up directly. PINs are
never stored: only an scrypt hash with a directory-wide salt. The salt is shared by all
PINs (not per row) so that a typed PIN can be looked up by its hash without trying every
row; scrypt's cost is what protects the short PIN space.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from gate.errors import GateError

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_BYTES = 32
SALT_BYTES = 16
PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 12
_CARD = re.compile(r"^[0-9A-Za-z]{1,40}$")
_PIN = re.compile(rf"^[0-9]{{{PIN_MIN_DIGITS},{PIN_MAX_DIGITS}}}$")


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
    if not isinstance(pin, str) or not _PIN.match(pin):
        raise CredentialError(f"a PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits")
    return pin


def hash_pin(pin: str, salt: bytes) -> str:
    """The stored form of a PIN: `scrypt$n$r$p$<hex>` (parameters kept for later upgrades)."""
    digest = hashlib.scrypt(
        check_pin(pin).encode("ascii"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
        dklen=SCRYPT_BYTES, maxmem=64 * 1024 * 1024,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${digest.hex()}"


def hint(kind: CredentialType, value: str) -> str:
    """A hint safe to display: the last 4 characters of a card, nothing of a PIN."""
    if kind is CredentialType.CARD:
        return "…" + value[-4:]
    return "PIN"
