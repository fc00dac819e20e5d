"""The policy engine: one test per reason code and per rule, on a small fixed directory."""

from __future__ import annotations

import json
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
    PolicySettings,
    ReasonCode,
    Visitor,
    decide,
    describe,
    is_alarm,
)
from gate.policy.schedule import always_open, schedule_from_spec

# Monday 2026-01-05 08:00 UTC is 16:00 in Shanghai.
MONDAY_4PM_SHANGHAI = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
FACE_EVIDENCE = {"distance": 0.41, "margin": 0.12, "frames_used": 3, "liveness": "live"}
SETTINGS = PolicySettings()


def _person(person_id: str, **overrides: object) -> Person:
    fields: dict[str, object] = {
        "person_id": person_id,
        "display_name": f"Name {person_id}",
        "unit": "3-2-501",
        "groups": ("residents",),
    }
    fields.update(overrides)
    return Person(**fields)  # type: ignore[arg-type]


@pytest.fixture
def directory() -> DirectorySnapshot:
    day, now = timedelta(days=1), MONDAY_4PM_SHANGHAI
    return DirectorySnapshot.of(
        people=[
            _person("r1"),
            _person("cleaner", groups=("weekday-staff",)),
            _person("lookalike", lookalike_flag=True),
            _person("disabled", enabled=False),
            _person("expired", valid_until=now - day),
            _person("future", valid_from=now + day),
            _person("banned"),
            _person("no-groups", groups=()),
            _person("dangling", groups=("no-such-group",)),
            _person("v1", kind=PersonKind.VISITOR, groups=()),
            _person("v-used", kind=PersonKind.VISITOR, groups=()),
            _person("v-late", kind=PersonKind.VISITOR, groups=()),
            _person("v-nopass", kind=PersonKind.VISITOR, groups=()),
        ],
        groups=[Group("residents", "always"), Group("weekday-staff", "office-hours")],
        schedules=[
            always_open(),
            schedule_from_spec("office-hours", {"mon-fri": ["07:00-12:00"]}),
        ],
        visitors=[
            Visitor("v1", "3-2-501", now - day, now + day, max_entries=2, entries_used=1),
            Visitor("v-used", "3-2-501", now - day, now + day, max_entries=2, entries_used=2),
            Visitor("v-late", "3-2-501", now + day, now + 2 * day),
        ],
        blacklist=[
            BlacklistEntry(person_id="banned", reason="trespass"),
            BlacklistEntry(plate="京A·12345", reason="stolen", alarm=False),
        ],
        version=7,
    )


def _face(subject: str | None, **overrides: object) -> AccessRequest:
    fields: dict[str, object] = {
        "gate_id": "north-ped-1",
        "now": MONDAY_4PM_SHANGHAI,
        "credential": CredentialKind.FACE,
        "subject": subject,
        "liveness_passed": True,
        "evidence": FACE_EVIDENCE,
    }
    fields.update(overrides)
    return AccessRequest(**fields)  # type: ignore[arg-type]


def _reason(directory: DirectorySnapshot, request: AccessRequest, **settings: bool) -> ReasonCode:
    return decide(request, directory, PolicySettings(**settings)).reason


def test_resident_in_schedule_is_granted(directory: DirectorySnapshot) -> None:
    decision = decide(_face("r1"), directory, SETTINGS)
    assert decision.granted
    assert decision.reason is ReasonCode.GRANTED_RESIDENT
    assert decision.subject == "r1"
    assert not decision.alarm


def test_evidence_passed_in_is_carried_through_unchanged(directory: DirectorySnapshot) -> None:
    decision = decide(_face("r1"), directory, SETTINGS)
    for key, value in FACE_EVIDENCE.items():
        assert decision.evidence[key] == value
    policy = decision.evidence["policy"]
    assert policy["directory_version"] == 7
    assert policy["checks"][:2] == ["blacklist", "recognition"]
    assert "schedule" in policy["checks"]
    assert policy["local_time"] == "2026-01-05T16:00+08:00"
    assert "policy" not in FACE_EVIDENCE  # the caller's dict is not mutated


def test_visitor_within_window_and_entries_is_granted(directory: DirectorySnapshot) -> None:
    decision = decide(_face("v1"), directory, SETTINGS)
    assert decision.reason is ReasonCode.GRANTED_VISITOR
    assert decision.evidence["policy"]["visitor_entries_used"] == 1


def test_exit_button_is_granted_without_subject(directory: DirectorySnapshot) -> None:
    request = AccessRequest("north-ped-1", MONDAY_4PM_SHANGHAI, CredentialKind.EXIT_BUTTON)
    decision = decide(request, directory, SETTINGS)
    assert decision.granted and decision.reason is ReasonCode.GRANTED_EXIT_BUTTON


def test_unmatched_face_is_denied_unknown(directory: DirectorySnapshot) -> None:
    assert _reason(directory, _face(None)) is ReasonCode.DENIED_UNKNOWN_FACE


def test_unknown_card_is_denied_unknown_credential(directory: DirectorySnapshot) -> None:
    request = _face(None, credential=CredentialKind.CARD, liveness_passed=None)
    assert _reason(directory, request) is ReasonCode.DENIED_UNKNOWN_CREDENTIAL


def test_matched_id_missing_from_directory_is_unknown(directory: DirectorySnapshot) -> None:
    assert _reason(directory, _face("deleted-person")) is ReasonCode.DENIED_UNKNOWN_FACE


def test_ambiguous_match_is_denied_even_with_a_best_candidate(
    directory: DirectorySnapshot,
) -> None:
    request = _face("r1", match=MatchOutcome.AMBIGUOUS)
    decision = decide(request, directory, SETTINGS)
    assert decision.reason is ReasonCode.DENIED_AMBIGUOUS
    assert decision.subject is None


def test_low_quality_is_denied_quality(directory: DirectorySnapshot) -> None:
    request = _face(None, match=MatchOutcome.LOW_QUALITY)
    assert _reason(directory, request) is ReasonCode.DENIED_QUALITY


@pytest.mark.parametrize("liveness", [False, None])
def test_face_without_proven_liveness_is_denied(
    directory: DirectorySnapshot, liveness: bool | None
) -> None:
    request = _face("r1", liveness_passed=liveness)
    assert _reason(directory, request) is ReasonCode.DENIED_LIVENESS_FAILED


def test_card_needs_no_liveness(directory: DirectorySnapshot) -> None:
    request = _face("r1", credential=CredentialKind.CARD, liveness_passed=None)
    assert _reason(directory, request) is ReasonCode.GRANTED_RESIDENT


def test_blacklisted_person_is_denied_with_alarm(directory: DirectorySnapshot) -> None:
    decision = decide(_face("banned"), directory, SETTINGS)
    assert decision.reason is ReasonCode.DENIED_BLACKLISTED
    assert decision.alarm and is_alarm(decision.reason)
    assert decision.subject == "banned"
    assert decision.evidence["policy"]["blacklist_match"] == "person"


def test_blacklist_is_checked_before_liveness(directory: DirectorySnapshot) -> None:
    decision = decide(_face("banned", liveness_passed=False), directory, SETTINGS)
    assert decision.reason is ReasonCode.DENIED_BLACKLISTED and decision.alarm


def test_blacklisted_plate_matches_any_spelling_and_honours_alarm_flag(
    directory: DirectorySnapshot,
) -> None:
    request = _face(None, credential=CredentialKind.PLATE, plate="京a 12345", liveness_passed=None)
    decision = decide(request, directory, SETTINGS)
    assert decision.reason is ReasonCode.DENIED_BLACKLISTED
    assert decision.alarm is False  # this entry asked for a silent denial
    assert decision.evidence["policy"]["blacklist_match"] == "plate"


def test_disabled_person_is_denied(directory: DirectorySnapshot) -> None:
    assert _reason(directory, _face("disabled")) is ReasonCode.DENIED_DISABLED


def test_expired_person_is_denied_expired(directory: DirectorySnapshot) -> None:
    assert _reason(directory, _face("expired")) is ReasonCode.DENIED_EXPIRED


def test_person_before_valid_from_is_denied_not_yet_valid(directory: DirectorySnapshot) -> None:
    assert _reason(directory, _face("future")) is ReasonCode.DENIED_NOT_YET_VALID


def test_validity_end_is_exclusive() -> None:
    end = MONDAY_4PM_SHANGHAI
    directory = DirectorySnapshot.of(
        people=[_person("p", valid_from=end - timedelta(days=1), valid_until=end)],
        groups=[Group("residents", "always")],
        schedules=[always_open()],
    )
    just_before = _face("p", now=end - timedelta(seconds=1))
    assert _reason(directory, just_before) is ReasonCode.GRANTED_RESIDENT
    assert _reason(directory, _face("p", now=end)) is ReasonCode.DENIED_EXPIRED


def test_visitor_outside_window_is_denied(directory: DirectorySnapshot) -> None:
    assert _reason(directory, _face("v-late")) is ReasonCode.DENIED_VISITOR_WINDOW


def test_visitor_without_pass_is_denied_window(directory: DirectorySnapshot) -> None:
    decision = decide(_face("v-nopass"), directory, SETTINGS)
    assert decision.reason is ReasonCode.DENIED_VISITOR_WINDOW
    assert decision.evidence["policy"]["visitor_pass"] == "missing"


def test_visitor_with_all_entries_used_is_denied(directory: DirectorySnapshot) -> None:
    assert _reason(directory, _face("v-used")) is ReasonCode.DENIED_VISITOR_ENTRIES_USED


def test_staff_outside_office_hours_is_denied(directory: DirectorySnapshot) -> None:
    decision = decide(_face("cleaner"), directory, SETTINGS)
    assert decision.reason is ReasonCode.DENIED_OUTSIDE_SCHEDULE
    assert decision.evidence["policy"]["schedule_groups"] == ["weekday-staff:office-hours"]


def test_staff_inside_office_hours_is_granted(directory: DirectorySnapshot) -> None:
    monday_9am_shanghai = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    request = _face("cleaner", now=monday_9am_shanghai)
    decision = decide(request, directory, SETTINGS)
    assert decision.reason is ReasonCode.GRANTED_RESIDENT
    assert decision.evidence["policy"]["schedule_window"] == "mon 07:00-12:00"


@pytest.mark.parametrize("person_id", ["no-groups", "dangling"])
def test_resident_without_a_usable_group_is_denied(
    directory: DirectorySnapshot, person_id: str
) -> None:
    assert _reason(directory, _face(person_id)) is ReasonCode.DENIED_OUTSIDE_SCHEDULE


def test_lookalike_face_alone_needs_a_second_factor(directory: DirectorySnapshot) -> None:
    decision = decide(_face("lookalike"), directory, SETTINGS)
    assert decision.reason is ReasonCode.DENIED_SECOND_FACTOR_REQUIRED
    assert decision.evidence["policy"]["second_factor_required"] is True


def test_lookalike_with_second_factor_is_granted(directory: DirectorySnapshot) -> None:
    request = _face("lookalike", second_factor_present=True)
    assert _reason(directory, request) is ReasonCode.GRANTED_RESIDENT


def test_lookalike_card_only_needs_no_face(directory: DirectorySnapshot) -> None:
    request = _face("lookalike", credential=CredentialKind.CARD, liveness_passed=None)
    assert _reason(directory, request) is ReasonCode.GRANTED_RESIDENT


def test_face_only_disallowed_requires_second_factor_for_everyone(
    directory: DirectorySnapshot,
) -> None:
    assert (
        _reason(directory, _face("r1"), face_only_allowed=False)
        is ReasonCode.DENIED_SECOND_FACTOR_REQUIRED
    )
    with_card = _face("r1", second_factor_present=True)
    assert _reason(directory, with_card, face_only_allowed=False) is ReasonCode.GRANTED_RESIDENT


def test_card_only_disallowed_needs_the_face_as_well(directory: DirectorySnapshot) -> None:
    for kind in (CredentialKind.CARD, CredentialKind.PIN):
        alone = _face("r1", credential=kind, liveness_passed=None)
        assert _reason(directory, alone, card_only_allowed=False) is ReasonCode.DENIED_FACE_REQUIRED
        paired = _face("r1", credential=kind, liveness_passed=None, second_factor_present=True)
        assert _reason(directory, paired, card_only_allowed=False) is ReasonCode.GRANTED_RESIDENT
    # A face alone is not affected by the card setting, nor the blacklist by either.
    assert _reason(directory, _face("r1"), card_only_allowed=False) is ReasonCode.GRANTED_RESIDENT
    banned = _face("banned", credential=CredentialKind.CARD, liveness_passed=None,
                   second_factor_present=True)
    assert _reason(directory, banned, card_only_allowed=False) is ReasonCode.DENIED_BLACKLISTED


def test_second_factor_is_checked_before_validity(directory: DirectorySnapshot) -> None:
    # An unconfirmed identity must not be reported as "expired" for that person.
    request = _face("expired")
    assert (
        _reason(directory, request, face_only_allowed=False)
        is ReasonCode.DENIED_SECOND_FACTOR_REQUIRED
    )


def test_every_reason_code_has_a_description_and_only_blacklist_alarms() -> None:
    for reason in ReasonCode:
        assert describe(reason)
        assert is_alarm(reason) == (reason is ReasonCode.DENIED_BLACKLISTED)


def test_decision_record_is_json_ready(directory: DirectorySnapshot) -> None:
    record = decide(_face("v1"), directory, SETTINGS).to_record()
    assert json.loads(json.dumps(record))["reason"] == "granted_visitor"
