"""Versioned directory deltas for gates: every change is a row in `directory_changes`.

Versions must become visible in order, or a gate could sync to version N+1 while N is still
uncommitted and never see N. On PostgreSQL (where replicas and concurrent requests write at
once) `record_change` therefore takes a transaction-scoped advisory lock before it draws the
next version, so directory writers commit one after another; SQLite has one writer anyway.
"""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import Connection, func, insert, select

from aggregator.db.models import (
    BlacklistEntry,
    Card,
    DirectoryChange,
    DirectorySetting,
    FaceTemplate,
    Group,
    Pin,
    Resident,
    Schedule,
    Vehicle,
    Visitor,
)
from wire.schemas import (
    BlacklistWire,
    CardWire,
    FaceTemplatesWire,
    FaceTemplateWire,
    GroupWire,
    PersonWire,
    PinWire,
    ScheduleWire,
    SyncDeletions,
    SyncDelta,
    VehicleWire,
    VisitorWire,
)

ENTITIES = ("person", "group", "schedule", "visitor", "blacklist", "vehicle", "card", "pin",
            "faces")

DIRECTORY_LOCK = 425303
"""pg_advisory_xact_lock key serialising directory writers (see the module docstring)."""


def record_change(conn: Connection, entity: str, key: str, now: str) -> None:
    """Bump the directory version for one changed (or deleted) item."""
    if entity not in ENTITIES:
        raise ValueError(f"unknown directory entity {entity!r}")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({DIRECTORY_LOCK})")
    conn.execute(insert(DirectoryChange).values(entity=entity, key=key, changed_at=now))


def current_version(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(DirectoryChange.version), 0)))
               .scalar_one())


def build_delta(conn: Connection, since_version: int) -> SyncDelta:
    """Everything changed after `since_version`; a full copy for 0 or a version from the future."""
    to_version = current_version(conn)
    full = since_version == 0 or since_version > to_version
    if full:
        keys = {entity: None for entity in ENTITIES}  # None: every row
    else:
        keys = {entity: set() for entity in ENTITIES}
        for entity, key in conn.execute(
            select(DirectoryChange.entity, DirectoryChange.key)
            .where(DirectoryChange.version > since_version,
                   DirectoryChange.version <= to_version).distinct()
        ):
            keys[entity].add(key)
    delta = SyncDelta(from_version=0 if full else since_version, to_version=to_version, full=full)
    deletions = SyncDeletions()
    _fill(conn, keys["person"], Resident, Resident.person_id, _person, delta.people,
          deletions.people)
    _fill(conn, keys["group"], Group, Group.group_id,
          lambda r: GroupWire(group_id=r.group_id, schedule_id=r.schedule_id), delta.groups,
          deletions.groups)
    _fill(conn, keys["schedule"], Schedule, Schedule.schedule_id,
          lambda r: ScheduleWire(schedule_id=r.schedule_id, timezone=r.timezone,
                                 windows=json.loads(r.windows_json)), delta.schedules,
          deletions.schedules)
    _fill(conn, keys["visitor"], Visitor, Visitor.person_id,
          lambda r: VisitorWire(person_id=r.person_id, host_unit=r.host_unit,
                                valid_from=r.valid_from, valid_until=r.valid_until,
                                max_entries=r.max_entries), delta.visitors, deletions.visitors)
    _fill(conn, keys["blacklist"], BlacklistEntry, BlacklistEntry.entry_key,
          lambda r: BlacklistWire(person_id=r.person_id, plate=r.plate, reason=r.reason,
                                  alarm=r.alarm), delta.blacklist, deletions.blacklist)
    _fill(conn, keys["vehicle"], Vehicle, Vehicle.plate,
          lambda r: VehicleWire(plate=r.plate, person_id=r.person_id, unit=r.unit),
          delta.vehicles, deletions.vehicles)
    _fill(conn, keys["card"], Card, Card.card_number,
          lambda r: CardWire(card_number=r.card_number, person_id=r.person_id), delta.cards,
          deletions.cards)
    _fill(conn, keys["pin"], Pin, Pin.person_id,
          lambda r: PinWire(person_id=r.person_id, pin_hash=r.pin_hash), delta.pins,
          deletions.pins)
    delta.pin_salt = pin_salt(conn)
    delta.face_templates.extend(_faces(conn, keys["faces"]))
    delta.deletions = deletions
    return delta


def pin_salt(conn: Connection) -> str | None:
    """The community PIN salt (hex), made by migration 0002."""
    return conn.execute(select(DirectorySetting.value)
                        .where(DirectorySetting.key == "pin_salt")).scalar()


def _fill(conn, keys, table, key_column, convert, out: list, deleted: list) -> None:  # type: ignore[no-untyped-def]
    statement = select(table)
    if keys is not None:
        if not keys:
            return
        statement = statement.where(key_column.in_(keys))
    found = set()
    for row in conn.execute(statement):
        out.append(convert(row))
        found.add(getattr(row, key_column.key))
    if keys is not None:
        deleted.extend(sorted(keys - found))


def _person(row) -> PersonWire:  # type: ignore[no-untyped-def]
    return PersonWire(person_id=row.person_id, display_name=row.display_name, unit=row.unit,
                      kind=row.kind, groups=json.loads(row.groups_json),
                      valid_from=row.valid_from, valid_until=row.valid_until,
                      enabled=row.enabled, lookalike=json.loads(row.lookalike_of_json) != [])


def _faces(conn: Connection, people: set[str] | None) -> list[FaceTemplatesWire]:
    statement = select(FaceTemplate.person_id, FaceTemplate.recogniser, FaceTemplate.vector,
                       FaceTemplate.source_sha256).order_by(FaceTemplate.id)
    if people is not None:
        if not people:
            return []
        statement = statement.where(FaceTemplate.person_id.in_(people))
    by_person: dict[str, list[FaceTemplateWire]] = {p: [] for p in people or ()}
    for person_id, recogniser, vector, sha in conn.execute(statement):
        by_person.setdefault(person_id, []).append(FaceTemplateWire(
            recogniser=recogniser, vector=np.frombuffer(vector, dtype="<f4").tolist(),
            source_sha256=sha))
    return [FaceTemplatesWire(person_id=p, templates=t) for p, t in sorted(by_person.items())]
