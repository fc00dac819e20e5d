"""Weekly schedules: local time zones, windows past midnight, parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gate.policy import PolicyError, WeeklySchedule
from gate.policy.schedule import (
    always_open,
    format_window,
    matching_window,
    parse_window,
    schedule_allows,
    schedule_from_spec,
)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_window_is_evaluated_in_local_time_not_utc() -> None:
    office = schedule_from_spec("office", {"mon-fri": ["09:00-17:00"]}, "Asia/Shanghai")
    # Monday 02:00 UTC = 10:00 Shanghai: inside; Monday 10:00 UTC = 18:00 Shanghai: outside.
    assert schedule_allows(office, _utc(2026, 1, 5, 2, 0))
    assert not schedule_allows(office, _utc(2026, 1, 5, 10, 0))


def test_local_weekday_differs_from_utc_weekday() -> None:
    saturday_only = schedule_from_spec("sat", {"sat": ["00:00-24:00"]}, "Asia/Shanghai")
    friday_evening_utc = _utc(2026, 1, 9, 20, 0)  # Saturday 04:00 in Shanghai
    assert friday_evening_utc.weekday() == 4
    assert schedule_allows(saturday_only, friday_evening_utc)


def test_window_past_midnight_covers_the_next_morning_only() -> None:
    night = schedule_from_spec("night", {"fri": ["22:00-06:00"]}, "Asia/Shanghai")
    # Friday 2026-01-09 23:00 Shanghai = 15:00 UTC; Saturday 03:00 = Friday 19:00 UTC.
    assert matching_window(night, _utc(2026, 1, 9, 15, 0)) == ("fri", (1320, 360))
    assert matching_window(night, _utc(2026, 1, 9, 19, 0)) == ("fri", (1320, 360))
    # Saturday 06:00 Shanghai is the exclusive end; Friday 03:00 belongs to Thursday's night.
    assert not schedule_allows(night, _utc(2026, 1, 9, 22, 0))
    assert not schedule_allows(night, _utc(2026, 1, 8, 19, 0))


def test_sunday_night_window_wraps_into_monday() -> None:
    night = schedule_from_spec("sun-night", {"sun": ["23:00-01:00"]}, "UTC")
    assert schedule_allows(night, _utc(2026, 1, 12, 0, 30))  # Monday 00:30
    assert not schedule_allows(night, _utc(2026, 1, 13, 0, 30))  # Tuesday 00:30


def test_daylight_saving_zone_uses_wall_clock_time() -> None:
    morning = schedule_from_spec("ny", {"daily": ["08:00-09:00"]}, "America/New_York")
    # 08:30 wall time is 13:30 UTC in winter (EST) and 12:30 UTC in summer (EDT).
    assert schedule_allows(morning, _utc(2026, 1, 15, 13, 30))
    assert not schedule_allows(morning, _utc(2026, 1, 15, 12, 30))
    assert schedule_allows(morning, _utc(2026, 7, 15, 12, 30))
    assert not schedule_allows(morning, _utc(2026, 7, 15, 13, 30))


def test_start_is_inclusive_and_end_exclusive() -> None:
    office = schedule_from_spec("office", {"mon": ["09:00-17:00"]}, "UTC")
    assert schedule_allows(office, _utc(2026, 1, 5, 9, 0))
    assert schedule_allows(office, _utc(2026, 1, 5, 16, 59))
    assert not schedule_allows(office, _utc(2026, 1, 5, 17, 0))


def test_always_open_allows_every_minute() -> None:
    schedule = always_open()
    for hour in range(0, 24, 5):
        assert schedule_allows(schedule, _utc(2026, 3, 1, hour, 59))


def test_spec_accepts_weekday_ranges_that_wrap() -> None:
    weekend = schedule_from_spec("weekend", {"sat-sun": ["10:00-11:00"]}, "UTC")
    assert [bool(day) for day in weekend.windows] == [False] * 5 + [True, True]
    wrap = schedule_from_spec("wrap", {"fri-mon": ["10:00-11:00"]}, "UTC")
    assert [bool(day) for day in wrap.windows] == [True, False, False, False, True, True, True]


@pytest.mark.parametrize("text", ["9-17", "25:00-26:00", "09:60-10:00", "10:00-24:01"])
def test_bad_window_text_is_rejected(text: str) -> None:
    with pytest.raises(PolicyError):
        parse_window(text)


def test_window_text_round_trips() -> None:
    assert format_window(parse_window("22:00-06:00")) == "22:00-06:00"
    assert parse_window("00:00-24:00") == (0, 1440)


def test_empty_window_is_rejected() -> None:
    with pytest.raises(PolicyError, match="empty window"):
        WeeklySchedule("bad", (((600, 600),),) + ((),) * 6)


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(PolicyError, match="time zone"):
        WeeklySchedule("bad", ((),) * 7, "Mars/Olympus_Mons")


def test_schedule_needs_seven_days() -> None:
    with pytest.raises(PolicyError, match="7 weekdays"):
        WeeklySchedule("bad", ((),) * 6)
