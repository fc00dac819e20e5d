"""The stored form of a keypad PIN: one definition for the gate and the aggregator.

A PIN is never stored or sent in clear: only ``scrypt$N$r$p$<hex>`` of it with a salt shared by
the whole community (the aggregator's `pin_salt`, copied to every gate by sync). The salt is
shared rather than per row because a typed PIN is looked up by its hash; scrypt's cost is what
protects the short PIN space. Pure standard library on purpose.
"""

from __future__ import annotations

import hashlib
import re

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_BYTES = 32
SALT_BYTES = 16
PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 12
PIN_HASH_PATTERN = rf"^scrypt\${SCRYPT_N}\${SCRYPT_R}\${SCRYPT_P}\$[0-9a-f]{{{SCRYPT_BYTES * 2}}}$"
"""What a PIN hash made by :func:`hash_pin` looks like (the wire schema checks it)."""

_PIN = re.compile(rf"^[0-9]{{{PIN_MIN_DIGITS},{PIN_MAX_DIGITS}}}$")


def is_pin(pin: object) -> bool:
    """True for 4 to 12 ASCII digits."""
    return isinstance(pin, str) and _PIN.match(pin) is not None


def hash_pin(pin: str, salt: bytes) -> str:
    """`scrypt$N$r$p$<hex>` of a PIN (parameters kept in the text for later upgrades).

    Raises ValueError for anything but 4 to 12 digits (the PIN itself is not quoted).
    """
    if not is_pin(pin):
        raise ValueError(f"a PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits")
    digest = hashlib.scrypt(
        pin.encode("ascii"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
        dklen=SCRYPT_BYTES, maxmem=64 * 1024 * 1024,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${digest.hex()}"
