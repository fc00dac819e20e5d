"""The secure channel base key (SCBK) of a board: where it comes from and how it is kept.

A key comes from an environment variable or from a root-only key file, as 32 hex digits.
It is held in a `SecretKey`, whose repr and str never show it, so that it cannot end up
in a log line or a traceback by accident. We never log keys, not even at DEBUG.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from firmware_bridge.errors import ScbkError

KEY_BYTES = 16


class SecretKey:
    """16 key bytes that do not print themselves."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        if not isinstance(value, bytes | bytearray) or len(value) != KEY_BYTES:
            raise ScbkError(f"an OSDP secure channel key is exactly {KEY_BYTES} bytes")
        self._value = bytes(value)

    @classmethod
    def generate(cls) -> SecretKey:
        """A fresh random key (for pairing a new board)."""
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_hex(cls, text: str) -> SecretKey:
        """Parse 32 hex digits (surrounding whitespace ignored)."""
        try:
            value = bytes.fromhex(text.strip())
        except ValueError:
            # Not chained on purpose: the parser's message would quote part of the key.
            raise ScbkError("the secure channel key is not 32 hex digits") from None
        return cls(value)

    def reveal(self) -> bytes:
        """The key bytes, for libosdp only."""
        return self._value

    def to_hex(self) -> str:
        """The key as 32 hex digits, for writing a key file."""
        return self._value.hex()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretKey) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(("SecretKey", self._value))

    def __repr__(self) -> str:
        return "SecretKey(<redacted>)"

    __str__ = __repr__


def read_key_file(path: Path) -> SecretKey:
    """Read a key file that only its owner (root, or the gate's own user) can read."""
    try:
        info = path.stat()
    except OSError as err:
        raise ScbkError(f"cannot read the key file {path}: {err.strerror}") from err
    if not stat.S_ISREG(info.st_mode):
        raise ScbkError(f"the key file {path} is not a regular file")
    if info.st_mode & 0o077:
        raise ScbkError(
            f"the key file {path} is readable by others (mode {stat.S_IMODE(info.st_mode):o}); "
            "run `chmod 600` on it"
        )
    if info.st_uid not in (0, os.geteuid()):
        raise ScbkError(f"the key file {path} belongs to another user")
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as err:
        raise ScbkError(f"cannot read the key file {path}") from err
    return SecretKey.from_hex(text)


def write_key_file(path: Path, key: SecretKey) -> None:
    """Create (or replace) a key file with mode 0600, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, (key.to_hex() + "\n").encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)


def load_scbk(
    scbk_env: str | None,
    scbk_file: Path | None,
    environ: Mapping[str, str] | None = None,
) -> SecretKey | None:
    """The board's key from the environment, else from the key file; None if neither is set.

    None means "no key": only acceptable for first pairing (install mode).
    """
    environ = os.environ if environ is None else environ
    if scbk_env and environ.get(scbk_env):
        return SecretKey.from_hex(environ[scbk_env])
    if scbk_file is not None:
        return read_key_file(Path(scbk_file))
    return None
