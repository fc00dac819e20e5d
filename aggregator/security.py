"""Passwords (argon2id), gate credentials, console sessions and the login rate limit."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES = ("admin", "security", "guard")

_hasher = PasswordHasher()  # argon2id with the library's current (RFC 9106 low-memory) defaults
# Verified when a user does not exist, so a wrong username takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """argon2id hash (salt and parameters included)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; constant work whether or not the user exists."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A 256-bit random token, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored for a session cookie or gate credential.

    The tokens are 256-bit random, so a fast hash is enough (no dictionary to attack) and keeps
    per-request checks cheap; a slow KDF is used for the human passwords.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class LoginRateLimiter:
    """At most `attempts` failed logins per (user, address) within `window_seconds`.

    In memory, per process: with several replicas each enforces its own limit (documented in
    docs/scaling.md).
    """

    def __init__(self, attempts: int, window_seconds: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._attempts = attempts
        self._window = window_seconds
        self._monotonic = monotonic
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        cutoff = self._monotonic() - self._window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures

    def retry_after(self, username: str, address: str) -> float | None:
        """Seconds to wait before trying again, or None when a try is allowed."""
        with self._lock:
            failures = self._recent((username.lower(), address))
            if len(failures) < self._attempts:
                return None
            return max(1.0, failures[0] + self._window - self._monotonic())

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            self._recent((username.lower(), address)).append(self._monotonic())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), address), None)
