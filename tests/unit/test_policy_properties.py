"""Properties of decide() over random directories and requests (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from gate.policy import (
    AccessRequest,
    BlacklistEntry,
    CredentialKind,
    DirectorySnapshot,
    Group,
    MatchOutcome,
    Person,
    PersonKind,
    PolicySettings,
    ReasonCode,
    Vehicle,
    VehicleDirection,
    Visitor,
    WeeklySchedule,
    decide,
    is_grant,
)
from gate.policy.schedule import schedule_allows

START = datetime(2026, 1, 1, tzinfo=UTC)
IDS = ["p0", "p1", "p2", "p3", "p4"]
PLATES = ["粤B00001", "粤B00002", "粤B00003", "粤B00004", "粤B00005", "粤B00006"]
GROUPS = ["g0", "g1", "g2"]

instants = st.integers(0, 60 * 24 * 30).map(lambda m: START + timedelta(minutes=m))
optional_instants = st.sampled_from([None, None]) | instants
# Strategies are biased towards valid, matching requests so that grants are common
# (a property about grants is vacuous if nothing is ever granted).
# (start, length) -> a window; lengths of 1..1439 minutes never give an empty window.
windows = st.just((0, 1440)) | st.tuples(st.integers(0, 1439), st.integers(1, 1439)).map(
    lambda w: (w[0], (w[0] + w[1]) % 1440 or 1440)
)
days = st.lists(windows, min_size=1, max_size=2).map(tuple) | st.just(())


def schedules(schedule_id: str) -> st.SearchStrategy[WeeklySchedule]:
    return st.builds(
        WeeklySchedule,
        schedule_id=st.just(schedule_id),
        windows=st.lists(days, min_size=7, max_size=7).map(tuple),
        timezone=st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York"]),
    )


@st.composite
def people(draw: st.DrawFn, person_id: str) -> Person:
    start, end = draw(optional_instants), draw(optional_instants)
    if start is not None and end is not None and end <= start:
        start, end = end - timedelta(days=1), start + timedelta(minutes=1)
    return Person(
        person_id=person_id,
        display_name="Someone",
        unit="1-1-101",
        kind=draw(st.sampled_from([PersonKind.RESIDENT, PersonKind.RESIDENT, PersonKind.VISITOR])),
        groups=tuple(draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2))),
        valid_from=start,
        valid_until=end,
        enabled=draw(st.sampled_from([True, True, True, False])),
        lookalike_flag=draw(st.booleans()),
    )


@st.composite
def visitors(draw: st.DrawFn, person_id: str) -> Visitor:
    start = draw(instants)
    return Visitor(
        person_id=person_id,
        host_unit="1-1-101",
        valid_from=start,
        valid_until=start + timedelta(minutes=draw(st.integers(1, 60 * 24 * 30))),
        max_entries=draw(st.integers(1, 3)),
        entries_used=draw(st.integers(0, 4)),
    )


@st.composite
def directories(draw: st.DrawFn) -> DirectorySnapshot:
    present = draw(st.lists(st.sampled_from(IDS), unique=True, min_size=3, max_size=len(IDS)))
    blacklisted = draw(st.lists(st.sampled_from(IDS), unique=True, max_size=1))
    return DirectorySnapshot.of(
        people=[draw(people(pid)) for pid in present],
        groups=[Group(g, draw(st.sampled_from(["s0", "s0", "s1", "missing"]))) for g in GROUPS],
        schedules=[draw(schedules(sid)) for sid in ("s0", "s1")],
        visitors=[draw(visitors(pid)) for pid in present if draw(st.booleans())],
        blacklist=[BlacklistEntry(person_id=pid, alarm=draw(st.booleans())) for pid in blacklisted]
        + [BlacklistEntry(plate=plate) for plate in draw(
            st.lists(st.sampled_from(PLATES), unique=True, max_size=1))],
        # Plates of present people, of people not on this gate, and household cars.
        vehicles=[Vehicle(plate, draw(st.sampled_from([*present, "absent", None])), "1-1-101")
                  for plate in draw(st.lists(st.sampled_from(PLATES), unique=True, max_size=5))],
    )


@st.composite
def requests(draw: st.DrawFn) -> AccessRequest:
    credential = draw(st.sampled_from(
        [CredentialKind.FACE, CredentialKind.CARD, CredentialKind.PIN, CredentialKind.PLATE]))
    plate = draw(st.sampled_from(PLATES)) if credential is CredentialKind.PLATE else None
    return AccessRequest(
        gate_id="g",
        now=draw(instants),
        credential=credential,
        subject=draw(st.sampled_from([*IDS, *IDS, None, "stranger"])),
        second_factor_present=draw(st.sampled_from([True, True, False])),
        evidence={"distance": 0.3},
        match=draw(st.sampled_from([*[None] * 6, *MatchOutcome])),
        liveness_passed=draw(st.sampled_from([True, True, True, True, False, None])),
        plate=plate,
        direction=draw(st.sampled_from([VehicleDirection.ENTRY, VehicleDirection.ENTRY,
                                        VehicleDirection.EXIT])),
    )


@settings(max_examples=300, deadline=None)
@given(directories(), requests(), st.booleans())
def test_decide_never_grants_blacklisted_or_invalid(
    directory: DirectorySnapshot, request: AccessRequest, face_only: bool
) -> None:
    decision = decide(request, directory, PolicySettings(face_only_allowed=face_only))
    event(decision.reason.value)  # --hypothesis-show-statistics shows that grants occur

    assert decision.granted == is_grant(decision.reason)
    assert decision.evidence["distance"] == 0.3
    vehicle = directory.vehicles.get(request.plate or "")
    if request.credential is CredentialKind.PLATE:
        # A plate names its owner through the directory only, whatever the request says.
        subject = vehicle.person_id if vehicle is not None else None
        entry = directory.blacklist_entry(subject, request.plate)
        unreadable = request.outcome is MatchOutcome.LOW_QUALITY
    else:
        subject = request.subject
        entry = directory.blacklist_entry(subject)
        unreadable = False
    if entry is not None and not unreadable:
        assert decision.reason is ReasonCode.DENIED_BLACKLISTED
        assert decision.alarm == entry.alarm
    if not decision.granted:
        return
    # Every grant must be justified by the directory as it stands.
    if request.credential is CredentialKind.PLATE:
        assert vehicle is not None and decision.subject == vehicle.person_id
        if request.direction is VehicleDirection.EXIT or vehicle.person_id is None:
            return  # a registered car leaves; a household car enters as its unit's
    person = directory.people[subject]
    if request.credential is not CredentialKind.PLATE:
        assert request.outcome is MatchOutcome.MATCHED
    assert person.enabled
    assert person.valid_from is None or person.valid_from <= request.now
    assert person.valid_until is None or request.now < person.valid_until
    if request.credential is CredentialKind.FACE:
        assert request.liveness_passed is True
        if person.lookalike_flag or not face_only:
            assert request.second_factor_present
    if person.kind is PersonKind.VISITOR:
        visitor = directory.visitors[person.person_id]
        assert visitor.valid_from <= request.now < visitor.valid_until
        assert visitor.entries_used < visitor.max_entries
    if person.kind is PersonKind.RESIDENT or person.groups:
        allowed = [
            schedule_allows(directory.schedules[directory.groups[g].schedule_id], request.now)
            for g in person.groups
            if g in directory.groups and directory.groups[g].schedule_id in directory.schedules
        ]
        assert any(allowed)
