"""The access decision: a pure function of the request, a directory snapshot and settings.

Order of checks, first failure wins:
exit button (always granted: egress is never blocked) -> [plate: the vehicle's owner] ->
blacklist (alarm) -> [plate: unknown or near-miss vehicle (guard prompt); exit lane] ->
recognition outcome -> liveness (face) -> person known -> second factor (face:
look-alikes, or everyone when face_only_allowed is false; card/PIN: everyone when
card_only_allowed is false) -> enabled -> validity dates ->
visitor window and entries -> group schedules -> grant.

The second factor is checked right after identification because a look-alike's identity
is not established by the face alone; reporting "expired" for a person who may not be
the one at the door would be wrong evidence.

A plate grants only as the exact string of a registered vehicle; a plate one character
off a registered (or blacklisted) one is a near miss for the guard to judge, never a grant.
On an exit lane a registered vehicle always leaves (a visitor whose window ended must not
be trapped); an unknown one waits for the guard.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from gate.policy.model import (
    AccessRequest,
    CredentialKind,
    Decision,
    DirectorySnapshot,
    MatchOutcome,
    Person,
    PersonKind,
    Vehicle,
    VehicleDirection,
)
from gate.policy.near_miss import near_misses
from gate.policy.reasons import ReasonCode, is_alarm, is_grant, needs_guard
from gate.policy.schedule import format_window, local_time, matching_window
from wire.plates import is_valid_plate

POLICY_EVIDENCE_KEY = "policy"


@dataclass(frozen=True)
class PolicySettings:
    """Community-wide policy switches (from the gate config)."""

    face_only_allowed: bool = True
    """False: every face grant also needs a card/PIN of the same person."""
    card_only_allowed: bool = True
    """False: every card/PIN grant also needs the same person's face (two-factor entry)."""


class _Trail:
    """What the engine checked, for the decision's evidence (JSON-ready values only)."""

    def __init__(self, request: AccessRequest, directory: DirectorySnapshot) -> None:
        self.request = request
        self.checks: list[str] = []
        self.facts: dict[str, Any] = {
            "gate_id": request.gate_id,
            "credential": request.credential.value,
            "match": request.outcome.value,
            "at_utc": request.now.isoformat(),
            "directory_version": directory.version,
        }

    def check(self, name: str, **facts: Any) -> None:
        self.checks.append(name)
        self.facts.update(facts)

    def decide(
        self, reason: ReasonCode, subject: str | None, alarm: bool | None = None
    ) -> Decision:
        evidence = dict(self.request.evidence)
        if needs_guard(reason):
            self.facts["guard_prompt"] = True
        evidence[POLICY_EVIDENCE_KEY] = {**self.facts, "checks": list(self.checks)}
        return Decision(
            granted=is_grant(reason),
            reason=reason,
            subject=subject,
            alarm=is_alarm(reason) if alarm is None else alarm,
            evidence=evidence,
        )


_NOT_MATCHED = {
    MatchOutcome.LOW_QUALITY: ReasonCode.DENIED_QUALITY,
    MatchOutcome.AMBIGUOUS: ReasonCode.DENIED_AMBIGUOUS,
}


def _unknown(request: AccessRequest) -> ReasonCode:
    if request.credential is CredentialKind.FACE:
        return ReasonCode.DENIED_UNKNOWN_FACE
    return ReasonCode.DENIED_UNKNOWN_CREDENTIAL


def _second_factor_needed(
    request: AccessRequest, person: Person, settings: PolicySettings
) -> bool:
    if request.credential in (CredentialKind.CARD, CredentialKind.PIN):
        return not settings.card_only_allowed
    if request.credential is not CredentialKind.FACE:
        return False
    return person.lookalike_flag or not settings.face_only_allowed


def _check_validity(trail: _Trail, person: Person) -> ReasonCode | None:
    now = trail.request.now
    trail.check(
        "validity",
        valid_from=person.valid_from.isoformat() if person.valid_from else None,
        valid_until=person.valid_until.isoformat() if person.valid_until else None,
    )
    if person.valid_from is not None and now < person.valid_from:
        return ReasonCode.DENIED_NOT_YET_VALID
    if person.valid_until is not None and now >= person.valid_until:
        return ReasonCode.DENIED_EXPIRED
    return None


def _check_visitor(
    trail: _Trail, person: Person, directory: DirectorySnapshot
) -> ReasonCode | None:
    visitor = directory.visitors.get(person.person_id)
    if visitor is None:
        trail.check("visitor", visitor_pass="missing")
        return ReasonCode.DENIED_VISITOR_WINDOW
    trail.check(
        "visitor",
        visitor_window=[visitor.valid_from.isoformat(), visitor.valid_until.isoformat()],
        visitor_entries_used=visitor.entries_used,
        visitor_max_entries=visitor.max_entries,
    )
    now = trail.request.now
    if not visitor.valid_from <= now < visitor.valid_until:
        return ReasonCode.DENIED_VISITOR_WINDOW
    if visitor.entries_used >= visitor.max_entries:
        return ReasonCode.DENIED_VISITOR_ENTRIES_USED
    return None


def _check_schedules(
    trail: _Trail, person: Person, directory: DirectorySnapshot
) -> ReasonCode | None:
    """Any one group whose schedule allows now is enough; unknown ids allow nothing."""
    now = trail.request.now
    tried: list[str] = []
    for group_id in person.groups:
        group = directory.groups.get(group_id)
        schedule = directory.schedules.get(group.schedule_id) if group else None
        if schedule is None:
            tried.append(f"{group_id}:missing")
            continue
        tried.append(f"{group_id}:{schedule.schedule_id}")
        found = matching_window(schedule, now)
        if found is not None:
            day, window = found
            trail.check(
                "schedule",
                schedule_groups=tried,
                local_time=local_time(schedule, now).isoformat(timespec="minutes"),
                schedule_window=f"{day} {format_window(window)}",
            )
            return None
    trail.check("schedule", schedule_groups=tried)
    return ReasonCode.DENIED_OUTSIDE_SCHEDULE


def _unregistered_plate(trail: _Trail, plate: str, directory: DirectorySnapshot) -> Decision:
    """An unregistered plate: a near miss of a known one, or an unknown vehicle."""
    blacklisted = [entry.plate for entry in directory.blacklist if entry.plate is not None]
    close = near_misses(plate, [*directory.vehicles, *blacklisted])
    trail.check("near_miss", near_miss_plates=close)
    if close:
        return trail.decide(ReasonCode.DENIED_PLATE_NEAR_MISS, None)
    return trail.decide(ReasonCode.DENIED_UNKNOWN_VEHICLE, None)


def _vehicle_of(trail: _Trail, directory: DirectorySnapshot) -> Vehicle | None:
    plate = trail.request.plate or ""
    vehicle = directory.vehicles.get(plate)
    trail.check("vehicle", plate=plate, registered=vehicle is not None,
                direction=trail.request.direction.value,
                vehicle_unit=vehicle.unit if vehicle is not None else None)
    return vehicle


def decide(
    request: AccessRequest, directory: DirectorySnapshot, settings: PolicySettings
) -> Decision:
    """Grant or deny `request` against `directory`. Pure: no I/O, no clock reads."""
    trail = _Trail(request, directory)

    if request.credential is CredentialKind.EXIT_BUTTON:
        trail.check("exit_button")
        return trail.decide(ReasonCode.GRANTED_EXIT_BUTTON, None)

    vehicle = None
    if request.credential is CredentialKind.PLATE:
        # Defence in depth: the pipeline never sends a string that is not a plate, but a
        # read that fails the format rules must not grant whoever sends it.
        if request.outcome is MatchOutcome.LOW_QUALITY or not is_valid_plate(request.plate or ""):
            trail.check("recognition", plate_valid=False)
            return trail.decide(ReasonCode.DENIED_QUALITY, None)
        vehicle = _vehicle_of(trail, directory)
        # The plate names its owner; the caller never does (a read is not an identity).
        request = replace(request, subject=vehicle.person_id if vehicle else None,
                          match=MatchOutcome.MATCHED if vehicle else MatchOutcome.NO_MATCH)
        trail.request = request

    entry = directory.blacklist_entry(request.subject, request.plate)
    trail.check("blacklist", blacklisted=entry is not None)
    if entry is not None:
        trail.facts["blacklist_match"] = "person" if entry.person_id is not None else "plate"
        return trail.decide(ReasonCode.DENIED_BLACKLISTED, request.subject, alarm=entry.alarm)

    if request.credential is CredentialKind.PLATE:
        if vehicle is None:
            return _unregistered_plate(trail, request.plate or "", directory)
        if request.direction is VehicleDirection.EXIT:
            return trail.decide(ReasonCode.GRANTED_VEHICLE_EXIT, vehicle.person_id)
        if vehicle.person_id is None:  # a household car: admitted as the unit's
            return trail.decide(ReasonCode.GRANTED_RESIDENT, None)

    outcome = request.outcome
    trail.check("recognition")
    if outcome in _NOT_MATCHED:
        return trail.decide(_NOT_MATCHED[outcome], None)
    if outcome is MatchOutcome.NO_MATCH or request.subject is None:
        return trail.decide(_unknown(request), None)

    if request.credential is CredentialKind.FACE:
        trail.check("liveness", liveness_passed=request.liveness_passed)
        if request.liveness_passed is not True:
            return trail.decide(ReasonCode.DENIED_LIVENESS_FAILED, request.subject)

    person = directory.people.get(request.subject)
    trail.check("directory", in_directory=person is not None)
    if person is None:
        # A template or card without a person row: treat as unknown, not as a crash.
        return trail.decide(_unknown(request), request.subject)
    trail.facts["person_kind"] = person.kind.value

    needed = _second_factor_needed(request, person, settings)
    trail.check(
        "second_factor",
        second_factor_required=needed,
        second_factor_present=request.second_factor_present,
        lookalike=person.lookalike_flag,
    )
    if needed and not request.second_factor_present:
        missing = (ReasonCode.DENIED_SECOND_FACTOR_REQUIRED
                   if request.credential is CredentialKind.FACE
                   else ReasonCode.DENIED_FACE_REQUIRED)
        return trail.decide(missing, person.person_id)

    trail.check("enabled", enabled=person.enabled)
    if not person.enabled:
        return trail.decide(ReasonCode.DENIED_DISABLED, person.person_id)

    denial = _check_validity(trail, person)
    if denial is None and person.kind is PersonKind.VISITOR:
        denial = _check_visitor(trail, person, directory)
    # Residents need a group; a visitor's pass is its schedule unless groups are given.
    if denial is None and (person.kind is PersonKind.RESIDENT or person.groups):
        denial = _check_schedules(trail, person, directory)
    if denial is not None:
        return trail.decide(denial, person.person_id)

    granted = (
        ReasonCode.GRANTED_VISITOR if person.kind is PersonKind.VISITOR
        else ReasonCode.GRANTED_RESIDENT
    )
    return trail.decide(granted, person.person_id)
