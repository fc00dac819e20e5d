"""Apply a `SyncDelta` to the gate's `DirectoryStore` in one transaction.

All or nothing: the whole delta runs inside ``DirectoryStore.batch()``; a row that does not
validate rolls everything back and the gate keeps deciding on its previous copy. Re-applying
the same delta is harmless (upserts and deletes of absent rows), so the version is recorded
after the commit without needing the same transaction.

Cards and PINs arrive as central holds them: cards as numbers, PINs only as scrypt hashes made
with the community salt (`wire.pins`), which a full delta carries and the gate adopts. Rows
naming a person the directory does not hold (deleted centrally meanwhile) are skipped rather
than failing the delta: the next delta removes them centrally too.

A person's look-alike flag is raised if either side says so: the aggregator's finding over
the whole central gallery (`PersonWire.lookalike`) or the flag the gate holds (its own
finding over its gallery). A sync never clears a flag: the gate's own look-alike pass
(`gate.runtime.flag_lookalikes`, run when the gallery reloads) clears the ones no longer due.

A visitor registered on this gate's guard screen is "unsynced" until a delta names them: their
registration may still wait in the gate's outbox, so a full copy keeps them (person, pass,
face template, PIN, vehicle) rather than drop someone the aggregator has not received yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from gate.directory.credential_rows import CredentialType
from gate.directory.store import DirectoryStore
from gate.errors import GateError
from gate.policy.model import (
    BlacklistEntry,
    DirectorySnapshot,
    Group,
    Person,
    Visitor,
    WeeklySchedule,
    normalise_plate,
)
from wire.schemas import SyncDelta

logger = logging.getLogger(__name__)


class PinSaltChangedError(GateError, ValueError):
    """A partial delta names a PIN salt other than the gate's: only a full copy may switch it
    (every PIN must come again, hashed with the new salt)."""


@dataclass(frozen=True)
class ApplyReport:
    """What one delta changed."""

    to_version: int
    upserted: int
    deleted: int
    templates: int
    skipped: int = 0


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def apply_delta(directory: DirectoryStore, delta: SyncDelta) -> ApplyReport:
    """Apply `delta` atomically; raises (and changes nothing) if any row is invalid."""
    if (delta.pin_salt is not None and not delta.full
            and delta.pin_salt != directory.pin_salt_hex()):
        raise PinSaltChangedError("the community PIN salt differs from this gate's; "
                                  "a full sync is needed")
    deleted = templates = skipped = 0
    with directory.batch():
        # Read inside the batch (it holds the directory's lock): a guard registering a
        # visitor meanwhile is either wholly before this view or wholly after the delta.
        current = directory.snapshot()
        people = set(current.people)
        marked = directory.unsynced_people()
        unsynced = marked & people
        if delta.full:
            if delta.pin_salt is not None:
                directory.set_pin_salt(delta.pin_salt)
            deleted += _drop_missing(directory, delta, current, unsynced)
            people &= {p.person_id for p in delta.people} | unsynced
        deleted += _apply_deletions(directory, delta)
        people -= set(delta.deletions.people)
        _upsert_rules(directory, delta)
        central = set() if delta.full else directory.central_lookalikes()
        central -= set(delta.deletions.people)
        for item in delta.people:
            if item.lookalike:
                central.add(item.person_id)
            else:
                central.discard(item.person_id)
        directory.set_central_lookalikes(central)
        # Named by a delta: the aggregator holds them now, they sync like everyone else.
        still = unsynced - {p.person_id for p in delta.people} - set(delta.deletions.people)
        if still != marked:
            directory.set_unsynced_people(still)
        for item in delta.people:
            old = current.people.get(item.person_id)
            directory.upsert_person(Person(
                item.person_id, item.display_name, item.unit, kind=item.kind,
                groups=tuple(item.groups), valid_from=_time(item.valid_from),
                valid_until=_time(item.valid_until), enabled=item.enabled,
                lookalike_flag=item.lookalike or bool(old and old.lookalike_flag)))
            people.add(item.person_id)
        for item in delta.visitors:
            if item.person_id not in people:
                skipped += 1
                continue
            used = current.visitors.get(item.person_id)
            directory.upsert_visitor(Visitor(
                item.person_id, item.host_unit, _time(item.valid_from), _time(item.valid_until),
                item.max_entries, used.entries_used if used else 0))
        skipped += _apply_credentials(directory, delta, people)
        skipped += _apply_vehicles(directory, delta, people)
        for person in delta.face_templates:
            directory.delete_face_templates(person.person_id)
            if person.person_id not in people:
                continue  # templates of someone deleted meanwhile: nothing to attach to
            for template in person.templates:
                directory.add_face_template(person.person_id, template.recogniser,
                                            np.asarray(template.vector, dtype=np.float32),
                                            template.source_sha256)
                templates += 1
    upserted = (len(delta.people) + len(delta.groups) + len(delta.schedules)
                + len(delta.visitors) + len(delta.blacklist) + len(delta.cards)
                + len(delta.pins) + len(delta.vehicles) - skipped)
    if skipped:
        logger.info("sync: %d row(s) name people this gate does not hold; skipped", skipped)
    return ApplyReport(delta.to_version, upserted, deleted, templates, skipped)


def _apply_deletions(directory: DirectoryStore, delta: SyncDelta) -> int:
    gone, count = delta.deletions, 0
    for person_id in gone.people:
        count += int(directory.delete_person(person_id))
    for group_id in gone.groups:
        count += int(directory.delete_group(group_id))
    for schedule_id in gone.schedules:
        count += int(directory.delete_schedule(schedule_id))
    for person_id in gone.visitors:
        count += int(directory.delete_visitor(person_id))
    for card_number in gone.cards:
        count += int(directory.delete_card(card_number))
    for person_id in gone.pins:
        count += directory.delete_credentials(person_id, CredentialType.PIN)
    for plate in gone.vehicles:
        count += int(directory.delete_vehicle(plate))
    for key in gone.blacklist:
        kind, _, value = key.partition(":")
        removed = directory.remove_blacklist(person_id=value if kind == "person" else None,
                                             plate=value if kind == "plate" else None)
        count += int(removed)
    return count


def _upsert_rules(directory: DirectoryStore, delta: SyncDelta) -> None:
    """Schedules, groups and the blacklist (they refer to no person row)."""
    for item in delta.schedules:
        directory.upsert_schedule(WeeklySchedule(item.schedule_id, item.windows, item.timezone))
    for item in delta.groups:
        directory.upsert_group(Group(item.group_id, item.schedule_id))
    for item in delta.blacklist:
        directory.upsert_blacklist(BlacklistEntry(person_id=item.person_id, plate=item.plate,
                                                  reason=item.reason, alarm=item.alarm))


def _apply_credentials(directory: DirectoryStore, delta: SyncDelta, people: set[str]) -> int:
    """Cards and PIN hashes of people the directory holds; returns how many were skipped."""
    skipped = 0
    for card in delta.cards:
        if card.person_id not in people:
            skipped += 1
            continue
        holder = directory.person_for_card(card.card_number)
        if holder is not None and holder != card.person_id:
            directory.delete_card(card.card_number)  # the card moved to someone else
        directory.add_card(card.person_id, card.card_number)
    # Removed first, so that two people swapping PINs in one delta cannot collide.
    for pin in delta.pins:
        directory.delete_credentials(pin.person_id, CredentialType.PIN)
    for pin in delta.pins:
        if pin.person_id not in people:
            skipped += 1
            continue
        directory.set_pin_hash(pin.person_id, pin.pin_hash)
    return skipped


def _apply_vehicles(directory: DirectoryStore, delta: SyncDelta, people: set[str]) -> int:
    """Registered plates (of people the directory holds); returns how many were skipped."""
    skipped = 0
    for vehicle in delta.vehicles:
        if vehicle.person_id is not None and vehicle.person_id not in people:
            skipped += 1
            continue
        directory.upsert_vehicle(vehicle.plate, vehicle.person_id, vehicle.unit)
    return skipped


def _drop_missing(directory: DirectoryStore, delta: SyncDelta,
                  current: DirectorySnapshot, unsynced: set[str]) -> int:
    """For a full copy: remove what the central directory no longer holds (except `unsynced`
    people, registered here and possibly not yet received centrally)."""
    count = 0
    keep_people = {p.person_id for p in delta.people} | unsynced
    for person_id in set(current.people) - keep_people:
        count += int(directory.delete_person(person_id))
    for group_id in set(current.groups) - {g.group_id for g in delta.groups}:
        count += int(directory.delete_group(group_id))
    for schedule_id in set(current.schedules) - {s.schedule_id for s in delta.schedules}:
        count += int(directory.delete_schedule(schedule_id))
    for person_id in set(current.visitors) - {v.person_id for v in delta.visitors} - unsynced:
        count += int(directory.delete_visitor(person_id))
    central_plates = {normalise_plate(v.plate) for v in delta.vehicles}
    for plate in directory.vehicle_plates() - central_plates:
        if directory.vehicle_owner(plate) not in unsynced:
            count += int(directory.delete_vehicle(plate))
    central_cards = {c.card_number for c in delta.cards}
    for card_number in set(directory.cards()) - central_cards:
        count += int(directory.delete_card(card_number))
    if delta.pin_salt is not None:  # an aggregator that manages PINs: it holds all of them
        for person_id in directory.pin_holders() - {p.person_id for p in delta.pins} - unsynced:
            count += directory.delete_credentials(person_id, CredentialType.PIN)
    wanted = {BlacklistEntry(person_id=b.person_id, plate=b.plate).key for b in delta.blacklist}
    for entry in current.blacklist:
        if entry.key not in wanted:
            count += int(directory.remove_blacklist(entry.person_id, entry.plate))
    return count
