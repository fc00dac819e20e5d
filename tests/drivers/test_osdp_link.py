"""The OSDP backend (control panel) against the simulated board over a real pty pair.

Both ends are libosdp: the gate's `OsdpDoorHardware` opens the pty's slave with pyserial,
the board's `osdp.PeripheralDevice` sits on the master; the secure channel is on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import osdp
import pytest
from osdp_sim_helpers import Recorder, wait_for

from firmware_bridge.door_backend import OsdpDoorHardware
from firmware_bridge.keys import SecretKey
from hw_sim.osdp_board import SimOsdpBoard, board_config


@pytest.fixture(scope="module")
def link() -> Iterator[tuple[SimOsdpBoard, OsdpDoorHardware, Recorder]]:
    key = SecretKey.generate()
    board = SimOsdpBoard(key).start()
    hardware = OsdpDoorHardware(board_config(board), "secure", scbk=key)
    recorder = Recorder(hardware)
    assert hardware.wait_online(5), "board did not come online over the pty"
    yield board, hardware, recorder
    hardware.close()
    board.close()


def test_board_comes_online_with_the_secure_channel_up(link):
    board, hardware, recorder = link
    assert hardware.online and board.secure_channel_active


def test_release_energises_the_board_output_within_100_ms(link):
    board, hardware, _ = link
    start = time.monotonic()
    hardware.set_released(True)
    try:
        energised = board.energised_since(start)
        assert energised, "the board's output did not energise"
        assert (energised[0] - start) * 1000 < 100
    finally:
        hardware.set_released(False)
    assert not board.relay_energised


def test_card_read_reaches_the_backend_as_its_number(link):
    board, _, recorder = link
    board.swipe_card(0x155AA55, bits=26)
    assert wait_for(lambda: str(0x155AA55) in recorder.cards)


def test_keypad_digits_and_enter_arrive_as_one_pin(link):
    board, _, recorder = link
    board.enter_pin("730461")
    assert wait_for(lambda: "730461" in recorder.pins)


def test_door_contact_input_reports_open_and_closed(link):
    board, hardware, recorder = link
    before = len(recorder.contact)
    board.door.force_open(open_seconds=0.3)
    assert wait_for(lambda: hardware.door_is_open is True)
    assert wait_for(lambda: hardware.door_is_open is False)
    assert recorder.contact[before:] == [True, False]


def test_exit_button_input_calls_the_exit_callback(link):
    board, _, recorder = link
    before = recorder.exits
    board.door.press_exit()
    assert wait_for(lambda: recorder.exits == before + 1)


def test_fire_input_reports_alarm_and_clear(link):
    board, hardware, recorder = link
    board.door.set_fire(True)
    assert wait_for(lambda: hardware.fire_is_active is True)
    board.door.set_fire(False)
    assert wait_for(lambda: hardware.fire_is_active is False)
    assert recorder.fire[-2:] == [True, False]


def test_tamper_switch_raises_a_board_event(link):
    board, _, recorder = link
    board.set_tamper(True)
    assert wait_for(lambda: "board_tamper" in recorder.board_events)
    board.set_tamper(False)
    assert wait_for(lambda: "board_tamper_cleared" in recorder.board_events)


def test_granted_and_denied_feedback_reach_the_reader(link):
    board, hardware, _ = link
    before = len(board.commands)
    hardware.indicate(True)
    hardware.indicate(False)

    def kinds() -> list[int]:
        return [c.get("command") for _, c in board.commands[before:]]

    assert wait_for(lambda: kinds().count(osdp.Command.LED) == 2
                    and kinds().count(osdp.Command.Buzzer) == 2)


def test_board_declares_as_many_inputs_as_it_reports(link):
    _, hardware, recorder = link
    _, inputs = hardware.panel.capability(osdp.Capability.ContactStatusMonitoring)
    assert inputs == 4
    assert "board_capability_mismatch" not in recorder.board_events


def test_board_reporting_undeclared_inputs_is_dropped_by_libosdp():
    """libosdp quirk: inputs without the contact-status capability take the board offline."""
    key = SecretKey.generate()
    with SimOsdpBoard(key, declare_inputs=False) as board:
        hardware = OsdpDoorHardware(board_config(board), "secure", scbk=key)
        recorder = Recorder(hardware)
        try:
            assert hardware.wait_online(5)
            board.door.force_open(open_seconds=0.2)
            assert wait_for(lambda: "board_offline" in recorder.board_events)
            assert "board_capability_mismatch" in recorder.board_events
        finally:
            hardware.close()
