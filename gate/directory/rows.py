"""Conversions between directory rows and policy models, and face-vector encoding.

Kept apart from the store so that the store is only about transactions and SQL writes.
Times are stored as ISO 8601 in UTC; vectors as little-endian float32 bytes.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np

from gate.errors import GalleryError
from gate.policy.model import (
    BlacklistEntry,
    DirectorySnapshot,
    Group,
    Person,
    PersonKind,
    Vehicle,
    Visitor,
    WeeklySchedule,
)

FLOAT32 = np.dtype("<f4")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

_SELECT_PEOPLE = """SELECT person_id, display_name, unit, kind, groups_json, valid_from,
    valid_until, enabled, lookalike FROM dir_people"""
_SELECT_VISITORS = """SELECT person_id, host_unit, valid_from, valid_until, max_entries,
    entries_used FROM dir_visitors"""


def iso(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC (None stays None)."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def parse_time(text: str | None) -> datetime | None:
    """The inverse of `iso`."""
    return datetime.fromisoformat(text) if text is not None else None


def person_values(person: Person) -> tuple[Any, ...]:
    """Column values of dir_people, in `_SELECT_PEOPLE` order."""
    return (
        person.person_id, person.display_name, person.unit, person.kind.value,
        json.dumps(list(person.groups)), iso(person.valid_from), iso(person.valid_until),
        int(person.enabled), int(person.lookalike_flag),
    )


def _person(row: tuple[Any, ...]) -> Person:
    person_id, name, unit, kind, groups_json, start, end, enabled, lookalike = row
    return Person(
        person_id=person_id,
        display_name=name,
        unit=unit,
        kind=PersonKind(kind),
        groups=tuple(json.loads(groups_json)),
        valid_from=parse_time(start),
        valid_until=parse_time(end),
        enabled=bool(enabled),
        lookalike_flag=bool(lookalike),
    )


def visitor_values(visitor: Visitor) -> tuple[Any, ...]:
    """Column values of dir_visitors, in `_SELECT_VISITORS` order."""
    return (
        visitor.person_id, visitor.host_unit, iso(visitor.valid_from), iso(visitor.valid_until),
        visitor.max_entries, visitor.entries_used,
    )


def schedule_windows_json(schedule: WeeklySchedule) -> str:
    """The schedule's windows as JSON: 7 lists of [start_minute, end_minute]."""
    return json.dumps([[list(window) for window in day] for day in schedule.windows])


def load_snapshot(conn: sqlite3.Connection, version: int) -> DirectorySnapshot:
    """Read every directory table into a snapshot. Raises the models' PolicyError (a
    ValueError), ValueError or TypeError for rows that do not validate."""
    people = [_person(row) for row in conn.execute(_SELECT_PEOPLE)]
    groups = [Group(*row) for row in conn.execute("SELECT group_id, schedule_id FROM dir_groups")]
    schedules = [
        WeeklySchedule(sid, json.loads(windows), zone)
        for sid, zone, windows in conn.execute(
            "SELECT schedule_id, timezone, windows_json FROM dir_schedules"
        )
    ]
    visitors = [
        Visitor(pid, host, parse_time(start), parse_time(end), max_entries, used)
        for pid, host, start, end, max_entries, used in conn.execute(_SELECT_VISITORS)
    ]
    blacklist = [
        BlacklistEntry(person_id=pid, plate=plate, reason=reason, alarm=bool(alarm))
        for pid, plate, reason, alarm in conn.execute(
            "SELECT person_id, plate, reason, alarm FROM dir_blacklist"
        )
    ]
    vehicles = [
        Vehicle(plate, person_id, unit)
        for plate, person_id, unit in conn.execute(
            "SELECT plate, person_id, unit FROM dir_vehicles"
        )
    ]
    return DirectorySnapshot.of(people, groups, schedules, visitors, blacklist, version,
                                vehicles)


def encode_vector(vector: np.ndarray, source_sha256: str) -> tuple[bytes, int]:
    """(float32 bytes, dimension) of a face embedding; GalleryError when unusable."""
    array = np.asarray(vector)
    if array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)):
        raise GalleryError("a face template is a non-empty 1-D vector of finite numbers")
    if not _SHA256.match(source_sha256):
        raise GalleryError("source_sha256 must be 64 lower-case hex digits")
    return array.astype(FLOAT32).tobytes(), int(array.size)


def decode_vector(blob: object, dimension: int | None) -> np.ndarray | None:
    """The float32 vector in `blob`, or None when its length or values are wrong."""
    if dimension is None or not isinstance(blob, bytes) or len(blob) != dimension * 4:
        return None
    vector = np.frombuffer(blob, dtype=FLOAT32).astype(np.float32)
    return vector if np.all(np.isfinite(vector)) else None


def decode_templates(
    rows: Iterable[tuple[int, str, int, object]], dimension: int | None
) -> tuple[list[tuple[str, np.ndarray]], list[int]]:
    """Usable (person_id, vector) pairs and the ids of corrupt rows.

    Rows are (template_id, person_id, stored dimension, blob). Without `dimension`, the
    most common stored dimension is taken as the right one.
    """
    rows = list(rows)
    if dimension is None and rows:
        dimension = Counter(row[2] for row in rows).most_common(1)[0][0]
    templates: list[tuple[str, np.ndarray]] = []
    corrupt: list[int] = []
    for template_id, person_id, stored_dimension, blob in rows:
        vector = decode_vector(blob, dimension) if stored_dimension == dimension else None
        if vector is None:
            corrupt.append(template_id)
        else:
            templates.append((person_id, vector))
    return templates, corrupt
