"""A whole gate over OSDP: the real gate (build_gate) with its door on the simulated board.

The door backend is chosen by config (`door.backend.type: osdp`); the board sits on the far
end of a pty with the GPIO simulation's door physics. Residents use cards and PINs (one of
them never enrolled a face); the cable is cut and restored. Assertions are on the event
log (hash chain included) and on the board's own output pin.
"""

from __future__ import annotations

import time
from pathlib import Path

from firmware_bridge.door_backend import OsdpDoorHardware
from firmware_bridge.keys import SecretKey
from gate.clock import SystemClock
from gate.config.loader import load_config
from gate.credentials import CredentialAccess, CredentialReport
from gate.demo import DEMO_CONFIG
from gate.eventlog.store import EventLog
from gate.eventlog.verify import verify_log
from gate.policy import BlacklistEntry, Group, Person
from gate.policy.engine import PolicySettings
from gate.policy.schedule import always_open
from gate.runtime import DB_NAME, build_gate
from hw_sim.harness import _NoCamera
from hw_sim.osdp_board import SimOsdpBoard, board_config


def _wait(condition, timeout_seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())


def test_card_and_pin_gate_over_osdp_through_a_cable_cut(tmp_path: Path):
    key = SecretKey.generate()
    clock = SystemClock()
    config = load_config(DEMO_CONFIG).model_copy(deep=True)
    config.storage.data_dir = tmp_path
    config.door.unlock_seconds = 1.0
    with SimOsdpBoard(key, clock=clock) as board:
        config.door.backend = board_config(board)
        hardware = OsdpDoorHardware(config.door.backend, config.door.fail_mode, clock,
                                    scbk=key)
        gate = build_gate(config, camera=_NoCamera(), door_hardware=hardware, clock=clock)
        directory = gate.stores.directory
        directory.upsert_schedule(always_open())
        directory.upsert_group(Group("residents", "always"))
        for person_id in ("no-face", "pin-user", "banned"):
            directory.upsert_person(Person(person_id, f"Name {person_id}", "5-1-302",
                                           groups=("residents",)))
        directory.add_card("no-face", "4242")
        directory.add_card("banned", "6666")
        directory.add_pin("pin-user", "905117")
        directory.upsert_blacklist(BlacklistEntry(person_id="banned", reason="evicted"))
        reports: list[CredentialReport] = []

        def walk_through(report: CredentialReport) -> None:
            reports.append(report)
            if report.decision.granted:
                board.door.person_walks_through(after_seconds=0.2, pass_seconds=0.4)

        access = CredentialAccess(
            gate_id=config.gate_id, directory=directory, policy=PolicySettings(),
            event_log=gate.stores.event_log, door=gate.door, clock=clock,
            on_decision=walk_through)
        access.attach(hardware)
        gate.door.start()
        try:
            assert hardware.wait_online(5)

            board.swipe_card(4242)  # a resident who declined face enrolment
            assert _wait(lambda: len(reports) == 1)
            assert _wait(lambda: board.door.events("door_closed"), timeout_seconds=3)
            board.swipe_card(1234)  # unknown card
            board.swipe_card(6666)  # blacklisted
            assert _wait(lambda: len(reports) == 3)
            assert _wait(lambda: not board.relay_energised, timeout_seconds=3)
            board.enter_pin("905117")
            assert _wait(lambda: len(reports) == 4)
            assert _wait(lambda: not board.relay_energised, timeout_seconds=3)

            board.cut_cable()
            assert _wait(lambda: not hardware.online, timeout_seconds=2.0)
            offline_grant = access.present_card("4242")  # a grant the door cannot carry out
            board.restore_cable()
            assert hardware.wait_online(5)
            board.swipe_card(4242)
            assert _wait(lambda: len(reports) == 6)
            assert _wait(lambda: not board.relay_energised, timeout_seconds=3)
        finally:
            gate.close()

    outcomes = [(r.credential.value, str(r.decision.reason)) for r in reports]
    assert outcomes == [
        ("card", "granted_resident"), ("card", "denied_unknown_credential"),
        ("card", "denied_blacklisted"), ("pin", "granted_resident"),
        ("card", "granted_resident"), ("card", "granted_resident"),
    ]
    assert offline_grant.relay_energised_at is None
    # Three grants reached the board: three pulses on its output, each one ended.
    pulses = [t for t, on in board.relay_history if on]
    assert len(pulses) == 3 and not board.relay_energised
    assert board.door.events("door_pushed_open") and not board.door.events("push_failed_locked")

    assert verify_log(tmp_path / DB_NAME).ok
    log = EventLog(tmp_path / DB_NAME, config.gate_id, clock)
    try:
        records = list(log.iter_events())
    finally:
        log.close()
    types = [r.type for r in records]
    assert "board_offline" in types and "board_online" in types
    failed = [r for r in records if r.type == "door_command_failed"]
    assert [r.reason for r in failed] == ["board_offline"]
    assert "door_forced" not in types
    blacklisted = [r for r in records if r.reason == "denied_blacklisted"]
    assert blacklisted[0].evidence["alarm"] is True
    # Every release follows a committed grant.
    last_grant = None
    for record in records:
        if record.type == "access_decision" and record.decision == "granted":
            last_grant = record.sequence
        if record.type == "door_released":
            assert last_grant is not None and last_grant < record.sequence
