"""Secure channel keys: where they come from, that they never show, and first pairing."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import yaml
from osdp_sim_helpers import wait_for

from firmware_bridge.door_backend import OsdpDoorHardware
from firmware_bridge.errors import ScbkError
from firmware_bridge.keys import SecretKey, load_scbk, read_key_file, write_key_file
from gate.clock import SystemClock
from gate.config.door import DoorConfig
from gate.config.loader import load_config
from gate.credentials import CredentialAccess
from gate.directory.store import DirectoryStore
from gate.door.driver import DoorDriver
from gate.door.state_machine import DoorStateMachine
from gate.eventlog.store import EventLog
from gate.policy.engine import PolicySettings
from gate.runtime import open_door_hardware
from hw_sim.osdp_board import SimOsdpBoard, board_config

PI_EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "gate.pi.example.yaml"

KEY_HEX = "00112233445566778899aabbccddeeff"


def test_key_from_the_environment_wins_over_the_file(tmp_path: Path):
    path = tmp_path / "board.key"
    write_key_file(path, SecretKey.generate())
    key = load_scbk("GATE_OSDP_SCBK", path, environ={"GATE_OSDP_SCBK": KEY_HEX})
    assert key == SecretKey.from_hex(KEY_HEX)


def test_key_file_is_written_owner_only_and_read_back(tmp_path: Path):
    path = tmp_path / "board.key"
    key = SecretKey.generate()
    write_key_file(path, key)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_scbk("UNSET_VARIABLE", path, environ={}) == key


def test_key_file_readable_by_others_is_refused(tmp_path: Path):
    path = tmp_path / "board.key"
    path.write_text(KEY_HEX)
    os.chmod(path, 0o644)
    with pytest.raises(ScbkError, match="chmod 600"):
        read_key_file(path)


def test_malformed_key_error_does_not_quote_the_key():
    secret = "zz" + KEY_HEX[2:]
    with pytest.raises(ScbkError) as caught:
        SecretKey.from_hex(secret)
    assert secret not in str(caught.value) and caught.value.__cause__ is None


def test_key_never_shows_in_repr_or_str():
    key = SecretKey.from_hex(KEY_HEX)
    assert KEY_HEX not in repr(key) and KEY_HEX not in str(key) and KEY_HEX not in f"{key}"


def test_backend_refuses_to_start_without_a_key(tmp_path: Path):
    with SimOsdpBoard(SecretKey.generate()) as board, pytest.raises(ScbkError):
        OsdpDoorHardware(board_config(board, scbk_env="UNSET_VARIABLE"), "secure",
                         environ={})


def test_install_mode_pairs_a_fresh_board_then_enforces_the_new_key(caplog):
    key = SecretKey.generate()
    caplog.set_level(logging.DEBUG)
    with SimOsdpBoard(None) as board:  # factory-fresh: install mode, no key
        pairing = OsdpDoorHardware(board_config(board, install_mode=True), "secure", scbk=key)
        try:
            assert pairing.wait_online(5)
            assert wait_for(lambda: board.stored_key == key)
        finally:
            pairing.close()
        service = OsdpDoorHardware(board_config(board), "secure", scbk=key)
        try:
            assert service.wait_online(5) and board.secure_channel_active
        finally:
            service.close()
    assert key.to_hex() not in caplog.text


def test_wrong_key_run_never_logs_either_key(caplog):
    board_key, gate_key = SecretKey.generate(), SecretKey.generate()
    caplog.set_level(logging.DEBUG)
    with SimOsdpBoard(board_key) as board:
        hardware = OsdpDoorHardware(board_config(board), "secure", scbk=gate_key)
        events: list[str] = []
        hardware.when_board_event = lambda kind, _evidence: events.append(kind)
        try:
            assert wait_for(lambda: "board_key_refused" in events, timeout_seconds=3.0)
        finally:
            hardware.close()
    assert board_key.to_hex() not in caplog.text and gate_key.to_hex() not in caplog.text


def test_wrong_key_is_committed_to_the_event_log_as_an_alarm(tmp_path: Path):
    clock = SystemClock()
    directory = DirectoryStore(tmp_path / "gate.db", clock)
    log = EventLog(tmp_path / "gate.db", "g", clock)
    with SimOsdpBoard(SecretKey.generate()) as board:
        hardware = OsdpDoorHardware(board_config(board), "secure", clock,
                                    scbk=SecretKey.generate())
        door = DoorDriver(DoorStateMachine(DoorConfig(), clock), hardware, clock,
                          on_event=lambda event: None)
        access = CredentialAccess(gate_id="g", directory=directory, policy=PolicySettings(),
                                  event_log=log, door=door, clock=clock)
        access.attach(hardware)
        try:
            assert wait_for(lambda: any(e.type == "board_key_refused"
                                        for e in log.iter_events()), timeout_seconds=3.0)
        finally:
            door.close()
    refused = [e for e in log.iter_events() if e.type == "board_key_refused"]
    directory.close()
    log.close()
    assert len(refused) == 1 and refused[0].evidence["alarm"] is True
    assert board.energised_since(0.0) == []


def test_config_switches_the_door_to_osdp_with_the_key_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    key = SecretKey.generate()
    document = yaml.safe_load(PI_EXAMPLE.read_text(encoding="utf-8"))
    assert document["door"]["backend"]["type"] == "gpio"
    with SimOsdpBoard(key) as board:
        document["door"]["backend"] = {"type": "osdp", "port": board.port}
        path = tmp_path / "gate.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        monkeypatch.setenv("GATE_OSDP_SCBK", key.to_hex())
        hardware = open_door_hardware(load_config(path))
        try:
            assert isinstance(hardware, OsdpDoorHardware)
            assert hardware.wait_online(5) and board.secure_channel_active
            hardware.set_released(True)
            assert wait_for(lambda: board.relay_energised)
        finally:
            hardware.close()
        assert wait_for(lambda: not board.relay_energised)
