"""Weekly schedules in local time: is a UTC instant inside one of the windows?

Windows may run past midnight; the part after midnight belongs to the window of the
day it started on (a Friday 22:00-06:00 window allows Saturday 03:00 but not Friday
03:00). Conversion goes UTC -> the schedule's zone, so daylight-saving zones work too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from gate.policy.model import (
    DEFAULT_TIMEZONE,
    MINUTES_PER_DAY,
    PolicyError,
    WeeklySchedule,
    Window,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def local_time(schedule: WeeklySchedule, now: datetime) -> datetime:
    """`now` (aware, any zone) as wall-clock time in the schedule's zone."""
    return now.astimezone(schedule.zone)


def _inside(window: Window, minute: int, *, carried_over: bool) -> bool:
    start, end = window
    if start < end:
        return not carried_over and start <= minute < end
    # Past midnight: the start day holds [start, 24:00), the next day [00:00, end).
    return minute < end if carried_over else minute >= start


def matching_window(schedule: WeeklySchedule, now: datetime) -> tuple[str, Window] | None:
    """The weekday name (of the window's start) and the window that allows `now`, or None."""
    local = local_time(schedule, now)
    minute = local.hour * 60 + local.minute
    today = local.weekday()
    for window in schedule.windows[today]:
        if _inside(window, minute, carried_over=False):
            return WEEKDAYS[today], window
    yesterday = (today - 1) % 7
    for window in schedule.windows[yesterday]:
        if _inside(window, minute, carried_over=True):
            return WEEKDAYS[yesterday], window
    return None


def schedule_allows(schedule: WeeklySchedule, now: datetime) -> bool:
    """True when `now` falls inside one of the schedule's windows."""
    return matching_window(schedule, now) is not None


def format_window(window: Window) -> str:
    """(1320, 360) -> '22:00-06:00'."""
    start, end = window
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def parse_window(text: str) -> Window:
    """'07:30-18:00' -> (450, 1080); '22:00-06:00' runs past midnight; '24:00' ends a day."""
    found = _TIME_RANGE.match(text)
    if found is None:
        raise PolicyError(f"window {text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(part) for part in found.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or start >= MINUTES_PER_DAY or end > MINUTES_PER_DAY:
        raise PolicyError(f"window {text!r} is not a time of day")
    return start, end


def _days_of(key: str) -> list[int]:
    key = key.strip().lower()
    if key in ("daily", "every_day"):
        return list(range(7))
    if "-" in key:
        first, last = (part.strip() for part in key.split("-", 1))
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise PolicyError(f"unknown weekday range {key!r}")
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last)
        return [(a + i) % 7 for i in range((b - a) % 7 + 1)]
    if key not in WEEKDAYS:
        raise PolicyError(f"unknown weekday {key!r}; use mon..sun, mon-fri or daily")
    return [WEEKDAYS.index(key)]


def schedule_from_spec(
    schedule_id: str,
    spec: Mapping[str, Sequence[str]],
    timezone: str = DEFAULT_TIMEZONE,
) -> WeeklySchedule:
    """Build a schedule from readable text, e.g. {"mon-fri": ["07:00-19:00"], "sat": [...]}.

    Keys are weekdays (mon..sun), ranges (mon-fri, fri-mon) or `daily`; days not named
    have no windows. Windows named twice for one day are kept once.
    """
    days: list[list[Window]] = [[] for _ in range(7)]
    for key, texts in spec.items():
        windows = [parse_window(text) for text in texts]
        for day in _days_of(key):
            days[day].extend(w for w in windows if w not in days[day])
    return WeeklySchedule(
        schedule_id=schedule_id,
        windows=tuple(tuple(sorted(day)) for day in days),
        timezone=timezone,
    )


def always_open(schedule_id: str = "always", timezone: str = DEFAULT_TIMEZONE) -> WeeklySchedule:
    """A schedule allowing every minute of every day."""
    return WeeklySchedule(schedule_id, tuple(((0, MINUTES_PER_DAY),) for _ in range(7)), timezone)
