"""Passwords (argon2id), gate credentials and console session tokens (the login rate limit
is in `aggregator.login_limit`, in the database)."""

from __future__ import annotations

import hashlib
import secrets

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
