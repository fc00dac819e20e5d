"""The policy for plates: registered vehicles, visitors' cars, household cars, the blacklist,
near misses and unknown vehicles (guard prompts), and exit lanes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gate.policy import (
    AccessRequest,
    BlacklistEntry,
    CredentialKind,
    DirectorySnapshot,
    Group,
    MatchOutcome,
    Person,
    PersonKind,
    PolicyError,
    PolicySettings,
    ReasonCode,
    Vehicle,
    VehicleDirection,
    Visitor,
    decide,
)
from gate.policy.schedule import always_open

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def directory() -> DirectorySnapshot:
    return DirectorySnapshot.of(
        people=[
            Person("r1", "Resident One", "3-2-501", groups=("residents",)),
            Person("gone", "Moved Out", "3-2-502", groups=("residents",), enabled=False),
            Person("v1", "Visitor", "3-2-501", kind=PersonKind.VISITOR),
            Person("v-late", "Late Visitor", "3-2-501", kind=PersonKind.VISITOR),
        ],
        groups=[Group("residents", "all-week")],
        schedules=[always_open("all-week")],
        visitors=[
            Visitor("v1", "3-2-501", NOW - HOUR, NOW + HOUR, max_entries=1),
            Visitor("v-late", "3-2-501", NOW - 3 * HOUR, NOW - HOUR, max_entries=1),
        ],
        blacklist=[BlacklistEntry(plate="京C66666", reason="repeated trespass")],
        vehicles=[
            Vehicle("粤B12345", "r1", "3-2-501"),
            Vehicle("粤B54321", "gone", "3-2-502"),
            Vehicle("沪AD12345", None, "3-2-503"),
            Vehicle("苏E77777", "v1", "3-2-501"),
            Vehicle("苏E88888", "v-late", "3-2-501"),
        ],
    )


def _plate(plate: str, direction: VehicleDirection = VehicleDirection.ENTRY,
           **extra: object) -> AccessRequest:
    return AccessRequest("car-in-1", NOW, CredentialKind.PLATE, plate=plate,
                         direction=direction, **extra)  # type: ignore[arg-type]


def _decide(request: AccessRequest, directory: DirectorySnapshot):  # type: ignore[no-untyped-def]
    return decide(request, directory, PolicySettings())


def test_resident_vehicle_is_admitted_as_its_owner(directory: DirectorySnapshot) -> None:
    decision = _decide(_plate("粤B12345"), directory)
    assert (decision.granted, decision.reason, decision.subject) == (
        True, ReasonCode.GRANTED_RESIDENT, "r1")
    assert decision.evidence["policy"]["plate"] == "粤B12345"


def test_household_car_without_a_person_is_admitted_for_its_unit(
        directory: DirectorySnapshot) -> None:
    decision = _decide(_plate("沪AD12345"), directory)
    assert decision.granted and decision.subject is None
    assert decision.evidence["policy"]["vehicle_unit"] == "3-2-503"


def test_vehicle_of_a_disabled_resident_is_denied(directory: DirectorySnapshot) -> None:
    assert _decide(_plate("粤B54321"), directory).reason is ReasonCode.DENIED_DISABLED


def test_visitor_car_inside_its_window_is_admitted(directory: DirectorySnapshot) -> None:
    decision = _decide(_plate("苏E77777"), directory)
    assert (decision.reason, decision.subject) == (ReasonCode.GRANTED_VISITOR, "v1")


def test_visitor_car_after_its_window_is_denied(directory: DirectorySnapshot) -> None:
    assert _decide(_plate("苏E88888"), directory).reason is ReasonCode.DENIED_VISITOR_WINDOW


def test_visitor_car_leaving_after_its_window_is_let_out(directory: DirectorySnapshot) -> None:
    decision = _decide(_plate("苏E88888", VehicleDirection.EXIT), directory)
    assert (decision.granted, decision.reason) == (True, ReasonCode.GRANTED_VEHICLE_EXIT)


def test_blacklisted_plate_is_denied_with_an_alarm(directory: DirectorySnapshot) -> None:
    decision = _decide(_plate("京C66666"), directory)
    assert (decision.granted, decision.reason, decision.alarm) == (
        False, ReasonCode.DENIED_BLACKLISTED, True)


def test_blacklisted_plate_is_not_let_out_either(directory: DirectorySnapshot) -> None:
    decision = _decide(_plate("京C66666", VehicleDirection.EXIT), directory)
    assert decision.reason is ReasonCode.DENIED_BLACKLISTED


def test_one_character_off_a_registered_plate_prompts_the_guard(
        directory: DirectorySnapshot) -> None:
    decision = _decide(_plate("粤B12845"), directory)
    assert (decision.granted, decision.reason) == (False, ReasonCode.DENIED_PLATE_NEAR_MISS)
    assert decision.evidence["policy"]["near_miss_plates"] == ["粤B12345"]
    assert decision.evidence["policy"]["guard_prompt"] is True
    assert decision.subject is None


def test_one_character_off_a_blacklisted_plate_is_a_near_miss_too(
        directory: DirectorySnapshot) -> None:
    decision = _decide(_plate("京C66686"), directory)
    assert decision.reason is ReasonCode.DENIED_PLATE_NEAR_MISS
    assert decision.evidence["policy"]["near_miss_plates"] == ["京C66666"]


def test_unknown_vehicle_is_denied_and_prompts_the_guard(directory: DirectorySnapshot) -> None:
    decision = _decide(_plate("浙A99999"), directory)
    assert (decision.granted, decision.reason) == (False, ReasonCode.DENIED_UNKNOWN_VEHICLE)
    assert decision.evidence["policy"]["guard_prompt"] is True
    assert not decision.alarm


def test_a_caller_cannot_name_the_owner_of_a_plate(directory: DirectorySnapshot) -> None:
    """The subject comes from the directory, never from the request."""
    decision = _decide(_plate("浙A99999", subject="r1", match=MatchOutcome.MATCHED), directory)
    assert not decision.granted and decision.subject is None


def test_unreadable_plate_is_a_quality_denial(directory: DirectorySnapshot) -> None:
    decision = _decide(_plate("粤B12345", match=MatchOutcome.LOW_QUALITY), directory)
    assert decision.reason is ReasonCode.DENIED_QUALITY


def test_a_plate_request_must_carry_a_plate() -> None:
    with pytest.raises(PolicyError, match="plate"):
        AccessRequest("car-in-1", NOW, CredentialKind.PLATE)


def test_vehicle_normalises_its_plate_and_refuses_id_numbers_as_unit() -> None:
    assert Vehicle("粤b·12345").plate == "粤B12345"
    with pytest.raises(PolicyError):
        Vehicle("粤B12345", unit="110101199003077777")


def test_a_string_that_is_not_a_plate_never_grants_even_if_registered() -> None:
    directory = DirectorySnapshot.of(vehicles=[Vehicle("ABC1234", None, "3-2-503")])
    decision = _decide(_plate("ABC1234"), directory)
    assert (decision.granted, decision.reason) == (False, ReasonCode.DENIED_QUALITY)
