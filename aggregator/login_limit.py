"""The console's login rate limit, kept in the database so that every replica enforces one limit.

Each failed sign-in is a `login_failures` row; a try is refused while the (user, address) pair
has `attempts` failures within the window. Two replicas checking at the same instant can each
let one more try through before either failure is written: a few extra guesses at most, never
a multiplied budget as with a per-process count.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, and_, delete, func, insert, select

from aggregator.clock import Clock, iso, parse_iso
from aggregator.db.models import LoginFailure


class LoginRateLimiter:
    """At most `attempts` failed logins per (user, address) within `window_seconds`."""

    def __init__(self, engine: Engine, attempts: int, window_seconds: float,
                 clock: Clock) -> None:
        self._engine = engine
        self._attempts = attempts
        self._window = timedelta(seconds=window_seconds)
        self._clock = clock

    def retry_after(self, username: str, address: str) -> float | None:
        """Seconds to wait before trying again, or None when a try is allowed."""
        now = self._clock()
        with self._engine.connect() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(LoginFailure.failed_at))
                .where(self._key(username, address), LoginFailure.failed_at > iso(
                    now - self._window))).one()
        if count < self._attempts:
            return None
        return max(1.0, (parse_iso(oldest) + self._window - now).total_seconds())

    def failed(self, username: str, address: str) -> None:
        """Count one failure (and forget this pair's failures older than the window)."""
        now = self._clock()
        with self._engine.begin() as conn:
            conn.execute(delete(LoginFailure).where(
                self._key(username, address), LoginFailure.failed_at <= iso(now - self._window)))
            conn.execute(insert(LoginFailure).values(
                username=username.lower()[:64], address=address[:64], failed_at=iso(now)))

    def succeeded(self, username: str, address: str) -> None:
        """A correct password clears the pair's failures."""
        with self._engine.begin() as conn:
            conn.execute(delete(LoginFailure).where(self._key(username, address)))

    @staticmethod
    def _key(username: str, address: str):  # type: ignore[no-untyped-def]
        return and_(LoginFailure.username == username.lower()[:64],
                    LoginFailure.address == address[:64])
