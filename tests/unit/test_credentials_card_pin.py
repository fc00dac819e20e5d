"""Cards and PINs go through the same directory, policy and event log as faces.

Real SQLite (directory and event log in one gate.db), the real door driver on the
in-process fake hardware, and a ManualClock: Monday 2026-01-05 16:00 in Shanghai.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from gate.clock import ManualClock
from gate.config.door import DoorConfig
from gate.controller import record_door_event
from gate.credentials import CredentialAccess
from gate.decisions import DECISION_EVENT
from gate.directory.credential_rows import CredentialError, CredentialType
from gate.directory.store import DirectoryStore, UnknownPersonError
from gate.door.driver import DoorDriver
from gate.door.sim_backend import SimDoorHardware
from gate.door.state_machine import DoorStateMachine
from gate.eventlog.store import EventLog
from gate.policy import BlacklistEntry, Group, Person, PersonKind, PolicySettings, Visitor
from gate.policy.schedule import always_open, schedule_from_spec

DAY = timedelta(days=1)


class _OfflineBoard(SimDoorHardware):
    online = False


@pytest.fixture
def gate(tmp_path: Path):
    clock = ManualClock()
    now = clock.now()
    directory = DirectoryStore(tmp_path / "gate.db", clock)
    log = EventLog(tmp_path / "gate.db", "test-gate", clock)
    directory.upsert_schedule(always_open())
    directory.upsert_schedule(schedule_from_spec("office-hours", {"mon-fri": ["07:00-12:00"]}))
    directory.upsert_group(Group("residents", "always"))
    directory.upsert_group(Group("weekday-staff", "office-hours"))
    people = {
        "r1": {}, "cleaner": {"groups": ("weekday-staff",)}, "disabled": {"enabled": False},
        "expired": {"valid_until": now - DAY}, "future": {"valid_from": now + DAY},
        "banned": {}, "v1": {"kind": PersonKind.VISITOR, "groups": ()},
    }
    for number, (person_id, extra) in enumerate(people.items()):
        fields = {"groups": ("residents",), **extra}
        directory.upsert_person(Person(person_id, f"Name {person_id}", "3-2-501", **fields))
        directory.add_card(person_id, str(1000 + number))
    directory.upsert_visitor(Visitor("v1", "3-2-501", now - DAY, now + DAY, max_entries=1))
    directory.upsert_blacklist(BlacklistEntry(person_id="banned", reason="trespass"))
    directory.add_pin("r1", "482915")
    hardware = SimDoorHardware(clock=clock)
    door = DoorDriver(DoorStateMachine(DoorConfig(), clock), hardware, clock,
                      on_event=lambda event: record_door_event(log, event))
    access = CredentialAccess(gate_id="test-gate", directory=directory,
                              policy=PolicySettings(), event_log=log, door=door, clock=clock)
    yield access
    door.close()
    directory.close()
    log.close()


@pytest.mark.parametrize(
    ("card", "granted", "reason"),
    [
        ("1000", True, "granted_resident"),
        ("1001", False, "denied_outside_schedule"),
        ("1002", False, "denied_disabled"),
        ("1003", False, "denied_expired"),
        ("1004", False, "denied_not_yet_valid"),
        ("1005", False, "denied_blacklisted"),
        ("1006", True, "granted_visitor"),
        ("9999", False, "denied_unknown_credential"),
    ],
)
def test_card_decision_follows_the_same_policy_as_faces(gate, card, granted, reason):
    report = gate.present_card(card)
    assert report.decision.granted is granted
    assert str(report.decision.reason) == reason
    assert report.record.type == DECISION_EVENT
    assert report.record.reason == reason
    assert report.record.evidence["policy"]["credential"] == "card"
    assert (report.relay_energised_at is not None) is granted


def test_blacklisted_card_raises_the_alarm_in_the_log(gate):
    report = gate.present_card("1005")
    assert report.record.evidence["alarm"] is True


def test_resident_without_face_templates_gets_in_with_a_card(gate):
    assert gate.directory.face_templates("sface") == []
    assert gate.present_card("1000").decision.granted


def test_pin_of_a_resident_grants_and_a_wrong_pin_is_denied(gate):
    assert gate.present_pin("482915").decision.subject == "r1"
    wrong = gate.present_pin("111111")
    assert not wrong.decision.granted
    assert str(wrong.decision.reason) == "denied_unknown_credential"


def test_visitor_card_entries_are_counted_and_run_out(gate):
    assert gate.present_card("1006").decision.granted
    second = gate.present_card("1006")
    assert str(second.decision.reason) == "denied_visitor_entries_used"


def test_decision_is_committed_before_the_door_is_released(gate):
    report = gate.present_card("1000")
    released = [e for e in gate.event_log.iter_events() if e.type == "door_released"]
    assert released and released[0].sequence > report.record.sequence


def test_grant_while_the_board_is_offline_is_recorded_not_dropped(tmp_path: Path):
    clock = ManualClock()
    directory = DirectoryStore(tmp_path / "gate.db", clock)
    log = EventLog(tmp_path / "gate.db", "g", clock)
    directory.upsert_schedule(always_open())
    directory.upsert_group(Group("residents", "always"))
    directory.upsert_person(Person("r1", "Name r1", "1-1-101", groups=("residents",)))
    directory.add_card("r1", "42")
    hardware = _OfflineBoard(clock=clock)
    door = DoorDriver(DoorStateMachine(DoorConfig(), clock), hardware, clock, lambda e: None)
    access = CredentialAccess(gate_id="g", directory=directory, policy=PolicySettings(),
                              event_log=log, door=door, clock=clock)
    report = access.present_card("42")
    failed = [e for e in log.iter_events() if e.type == "door_command_failed"]
    assert report.decision.granted and report.relay_energised_at is None
    assert failed[0].reason == "board_offline"
    assert failed[0].evidence["decision_sequence"] == report.record.sequence
    assert not hardware.relay_energised and not door.faulted
    door.close()
    directory.close()
    log.close()


def test_card_held_by_another_person_cannot_be_enrolled(gate):
    with pytest.raises(CredentialError):
        gate.directory.add_card("cleaner", "1000")


def test_enrolling_the_same_card_twice_for_its_holder_is_idempotent(gate):
    first = gate.directory.add_card("r1", " 1000 ")
    assert gate.directory.add_card("r1", "1000") == first


def test_card_for_unknown_person_is_refused(gate):
    with pytest.raises(UnknownPersonError):
        gate.directory.add_card("nobody", "5555")


def test_pin_is_stored_only_as_a_hash(gate, tmp_path: Path):
    with sqlite3.connect(tmp_path / "gate.db") as conn:
        values = [row[0] for row in conn.execute(
            "SELECT value FROM dir_credentials WHERE kind = 'pin'")]
    assert len(values) == 1
    assert "482915" not in values[0] and values[0].startswith("scrypt$")


def test_credentials_list_shows_hints_only(gate):
    infos = gate.directory.credentials("r1")
    assert {i.kind for i in infos} == {CredentialType.CARD, CredentialType.PIN}
    assert all("482915" not in i.hint and i.hint != "1000" for i in infos)


def test_deleting_a_person_deletes_their_cards_and_pins(gate):
    assert gate.directory.delete_person("r1")
    assert gate.directory.person_for_card("1000") is None
    assert gate.directory.person_for_pin("482915") is None
    assert gate.directory.credentials("r1") == []


def test_malformed_pin_is_rejected_at_enrolment(gate):
    with pytest.raises(CredentialError):
        gate.directory.add_pin("r1", "12a4")
