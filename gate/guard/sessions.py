"""Guard sign-in sessions: in memory, ended after inactivity, PIN failures paused per guard.

Sessions are deliberately not persisted: a restarted gate asks the guard for the PIN again.
Only the SHA-256 of a session token is kept, so a memory dump does not hand out sessions.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass

from gate.clock import Clock


@dataclass
class GuardSession:
    guard_id: str
    display_name: str
    last_active: float  # monotonic seconds


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class GuardSessions:
    """Open, touch and end sessions; count wrong PINs and pause an account after too many."""

    def __init__(self, clock: Clock, idle_seconds: float, failures_before_lockout: int,
                 lockout_seconds: float) -> None:
        self._clock = clock
        self.idle_seconds = idle_seconds
        self._max_failures = failures_before_lockout
        self._lockout_seconds = lockout_seconds
        self._lock = threading.Lock()
        self._sessions: dict[str, GuardSession] = {}
        self._failures: dict[str, list[float]] = {}

    def open(self, guard_id: str, display_name: str) -> str:
        """A new session token (sent to the browser as a cookie)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[_digest(token)] = GuardSession(guard_id, display_name,
                                                          self._clock.monotonic())
            self._failures.pop(guard_id, None)
        return token

    def touch(self, token: str | None) -> GuardSession | None:
        """The live session for `token` (its idle timer restarted), or None when absent/idle."""
        if not token:
            return None
        key = _digest(token)
        now = self._clock.monotonic()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if now - session.last_active > self.idle_seconds:
                del self._sessions[key]
                return None
            session.last_active = now
            return session

    def peek_expired(self, token: str | None) -> GuardSession | None:
        """The session `token` named if it has just run out (for the sign-out record)."""
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(_digest(token))
        if session and self._clock.monotonic() - session.last_active > self.idle_seconds:
            return session
        return None

    def close(self, token: str | None) -> GuardSession | None:
        """End a session; returns it (None if there was none)."""
        if not token:
            return None
        with self._lock:
            return self._sessions.pop(_digest(token), None)

    def expire_idle(self) -> list[GuardSession]:
        """Remove and return every session idle too long (for sign-out records)."""
        now = self._clock.monotonic()
        with self._lock:
            gone = [k for k, s in self._sessions.items() if now - s.last_active > self.idle_seconds]
            return [self._sessions.pop(k) for k in gone]

    def locked_for(self, guard_id: str) -> float:
        """Seconds until this guard may try a PIN again (0: now)."""
        now = self._clock.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(guard_id, [])
                      if now - t < self._lockout_seconds]
            self._failures[guard_id] = recent
            if len(recent) < self._max_failures:
                return 0.0
            return max(0.0, recent[-self._max_failures] + self._lockout_seconds - now)

    def failed(self, guard_id: str) -> None:
        with self._lock:
            self._failures.setdefault(guard_id, []).append(self._clock.monotonic())
