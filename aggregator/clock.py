"""Time for the aggregator: an injectable clock and the one timestamp format it stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]
"""Returns the current aware UTC time; tests pass a controllable one."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """`moment` as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the wire and storage format)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Any ISO-8601 time (``Z`` or offset; naive means UTC) as an aware datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso_after(moment: datetime, seconds: float) -> str:
    return iso(moment + timedelta(seconds=seconds))
