"""Guard sign-in sessions: in memory, ended after inactivity, PIN attempts paused per guard.

Sessions are deliberately not persisted: a restarted gate asks the guard for the PIN again.
Only the SHA-256 of a session token is kept, so a memory dump does not hand out sessions.
Only what the guard does (`touch`) restarts the idle timer; the screen's once-a-second polls
read the session (`current`) without keeping it alive, so an unattended screen signs out.
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
        return self._live(token, extend=True)

    def current(self, token: str | None) -> GuardSession | None:
        """The live session for `token` without restarting its idle timer (for polls)."""
        return self._live(token, extend=False)

    def _live(self, token: str | None, extend: bool) -> GuardSession | None:
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
            if extend:
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
        with self._lock:
            return self._wait(guard_id, self._clock.monotonic())

    def attempt(self, guard_id: str) -> float:
        """Count a PIN attempt before it is checked; returns the wait (> 0: refused, not
        counted). Check and count are one step, so parallel requests cannot slip past the
        limit; a right PIN clears the count (`open`)."""
        now = self._clock.monotonic()
        with self._lock:
            wait = self._wait(guard_id, now)
            if wait == 0:
                self._failures.setdefault(guard_id, []).append(now)
            return wait

    def _wait(self, guard_id: str, now: float) -> float:
        recent = [t for t in self._failures.get(guard_id, []) if now - t < self._lockout_seconds]
        self._failures[guard_id] = recent
        if len(recent) < self._max_failures:
            return 0.0
        return max(0.0, recent[-self._max_failures] + self._lockout_seconds - now)
