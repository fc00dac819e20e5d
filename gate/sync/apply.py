"""Apply a `SyncDelta` to the gate's `DirectoryStore` in one transaction.

All or nothing: the whole delta runs inside ``DirectoryStore.batch()``; a row that does not
validate rolls everything back and the gate keeps deciding on its previous copy. Re-applying
the same delta is harmless (upserts and deletes of absent rows), so the version is recorded
after the commit without needing the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from gate.directory.store import DirectoryStore
from gate.policy.model import BlacklistEntry, Group, Person, Visitor, WeeklySchedule
from wire.schemas import SyncDelta

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyReport:
    """What one delta changed."""

    to_version: int
    upserted: int
    deleted: int
    templates: int


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def apply_delta(directory: DirectoryStore, delta: SyncDelta) -> ApplyReport:
    """Apply `delta` atomically; raises (and changes nothing) if any row is invalid."""
    upserted = deleted = templates = 0
    current = directory.snapshot()
    with directory.batch():
        if delta.full:
            deleted += _drop_missing(directory, delta, current)
        gone = delta.deletions
        for person_id in gone.people:
            deleted += int(directory.delete_person(person_id))
        for group_id in gone.groups:
            deleted += int(directory.delete_group(group_id))
        for schedule_id in gone.schedules:
            deleted += int(directory.delete_schedule(schedule_id))
        for key in gone.blacklist:
            kind, _, value = key.partition(":")
            removed = directory.remove_blacklist(person_id=value if kind == "person" else None,
                                                 plate=value if kind == "plate" else None)
            deleted += int(removed)
        for item in delta.schedules:
            directory.upsert_schedule(WeeklySchedule(item.schedule_id, item.windows,
                                                     item.timezone))
        for item in delta.groups:
            directory.upsert_group(Group(item.group_id, item.schedule_id))
        for item in delta.people:
            old = current.people.get(item.person_id)
            directory.upsert_person(Person(
                item.person_id, item.display_name, item.unit, kind=item.kind,
                groups=tuple(item.groups), valid_from=_time(item.valid_from),
                valid_until=_time(item.valid_until), enabled=item.enabled,
                lookalike_flag=old.lookalike_flag if old else False))
        for item in delta.visitors:
            used = current.visitors.get(item.person_id)
            directory.upsert_visitor(Visitor(
                item.person_id, item.host_unit, _time(item.valid_from), _time(item.valid_until),
                item.max_entries, used.entries_used if used else 0))
        for item in delta.blacklist:
            directory.upsert_blacklist(BlacklistEntry(person_id=item.person_id, plate=item.plate,
                                                      reason=item.reason, alarm=item.alarm))
        for person in delta.face_templates:
            directory.delete_face_templates(person.person_id)
            if directory.person(person.person_id) is None and not any(
                    p.person_id == person.person_id for p in delta.people):
                continue  # templates of someone deleted meanwhile: nothing to attach to
            for template in person.templates:
                directory.add_face_template(person.person_id, template.recogniser,
                                            np.asarray(template.vector, dtype=np.float32),
                                            template.source_sha256)
                templates += 1
        upserted = (len(delta.people) + len(delta.groups) + len(delta.schedules)
                    + len(delta.visitors) + len(delta.blacklist))
    if delta.vehicles or delta.cards:
        logger.debug("sync: %d vehicles and %d cards are not used by a pedestrian gate",
                     len(delta.vehicles), len(delta.cards))
    return ApplyReport(delta.to_version, upserted, deleted, templates)


def _drop_missing(directory: DirectoryStore, delta: SyncDelta, current) -> int:  # type: ignore[no-untyped-def]
    """For a full copy: remove what the central directory no longer holds."""
    count = 0
    keep_people = {p.person_id for p in delta.people}
    for person_id in set(current.people) - keep_people:
        count += int(directory.delete_person(person_id))
    for group_id in set(current.groups) - {g.group_id for g in delta.groups}:
        count += int(directory.delete_group(group_id))
    for schedule_id in set(current.schedules) - {s.schedule_id for s in delta.schedules}:
        count += int(directory.delete_schedule(schedule_id))
    wanted = {BlacklistEntry(person_id=b.person_id, plate=b.plate).key for b in delta.blacklist}
    for entry in current.blacklist:
        if entry.key not in wanted:
            count += int(directory.remove_blacklist(entry.person_id, entry.plate))
    return count
