"""Panel and board over a pty in every fault case: cut cable, reset, wrong key, a marginal
line, replayed and forged frames. Assertions are on the board's own output pin."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import osdp
import pytest
from osdp_sim_helpers import Recorder, wait_for

from firmware_bridge.door_backend import OsdpDoorHardware
from firmware_bridge.errors import BoardOfflineError, CommandNotDeliveredError
from firmware_bridge.framing import COMMAND_OUT, build_packet
from firmware_bridge.keys import SecretKey
from gate.clock import SystemClock
from gate.config.door import DoorConfig, OsdpBackendConfig
from gate.door.driver import DoorDriver
from gate.door.state_machine import DoorStateMachine
from gate.errors import HardwareError
from hw_sim.osdp_board import SimOsdpBoard, board_config


@pytest.fixture
def pair() -> Iterator[tuple[SimOsdpBoard, OsdpDoorHardware, Recorder]]:
    key = SecretKey.generate()
    board = SimOsdpBoard(key).start()
    hardware = OsdpDoorHardware(board_config(board), "secure", scbk=key)
    recorder = Recorder(hardware)
    assert hardware.wait_online(5)
    yield board, hardware, recorder
    hardware.close()
    board.close()


def test_cut_cable_is_declared_offline_within_2_s_alarmed_and_fails_secure(pair):
    board, hardware, recorder = pair
    hardware.set_released(True)
    assert wait_for(lambda: board.relay_energised)
    cut_at = time.monotonic()
    board.cut_cable()
    assert wait_for(lambda: not hardware.online, timeout_seconds=2.5)
    assert time.monotonic() - cut_at <= 2.0
    assert "board_offline" in recorder.board_events
    # The board secures the door itself once the panel has gone quiet.
    assert wait_for(lambda: not board.relay_energised, timeout_seconds=1.5)


def test_cut_cable_with_fail_mode_safe_releases_the_door_and_recovers_locked():
    key = SecretKey.generate()
    with SimOsdpBoard(key, fail_mode="safe", energised_releases=False) as board:
        hardware = OsdpDoorHardware(board_config(board), "safe", scbk=key)
        recorder = Recorder(hardware)
        try:
            assert hardware.wait_online(5)
            assert wait_for(lambda: board.relay_energised)  # the maglock is held
            board.cut_cable()
            assert wait_for(lambda: not hardware.online, timeout_seconds=2.0)
            assert "board_offline" in recorder.board_events
            # The board releases the door by itself (safe), as its comm-loss setting says.
            assert wait_for(lambda: board.door.hardware.released, timeout_seconds=1.5)
            board.restore_cable()
            assert hardware.wait_online(5)
            # Back online, the gate re-drives what it last commanded: locked.
            assert wait_for(lambda: not board.door.hardware.released)
        finally:
            hardware.close()
        # Closing the gate applies its fail mode over the line: released.
        assert wait_for(lambda: board.door.hardware.released)
        assert any(c.get("control_code") == 1 for _, c in board.commands[-2:])


def test_release_while_offline_raises_instead_of_being_dropped(pair):
    board, hardware, _ = pair
    board.cut_cable()
    assert wait_for(lambda: not hardware.online, timeout_seconds=2.5)
    with pytest.raises(BoardOfflineError):
        hardware.set_released(True)
    assert not board.relay_energised


def test_board_comes_back_by_itself_after_the_cable_is_restored(pair):
    board, hardware, recorder = pair
    board.cut_cable()
    assert wait_for(lambda: not hardware.online, timeout_seconds=2.5)
    board.restore_cable()
    assert hardware.wait_online(5)
    assert recorder.board_events[-1] == "board_online"
    hardware.set_released(True)
    assert wait_for(lambda: board.relay_energised)
    hardware.set_released(False)


def test_unacknowledged_command_is_reported_as_not_delivered(pair):
    board, hardware, _ = pair
    board.set_drop_rate(1.0)  # every byte lost, not yet noticed by supervision
    with pytest.raises(CommandNotDeliveredError):
        hardware.set_released(True)
    assert not board.relay_energised


def _drop_everything_for(board: SimOsdpBoard, seconds: float) -> threading.Timer:
    board.set_drop_rate(1.0)
    timer = threading.Timer(seconds, board.set_drop_rate, args=(0.0,))
    timer.start()
    return timer


def test_release_survives_one_lost_frame_through_libosdps_resend(pair):
    board, hardware, recorder = pair
    since = time.monotonic()
    _drop_everything_for(board, 0.2)  # the release frame (or its ack) is lost
    hardware.set_released(True)  # would raise if the lost frame cost the command
    assert board.energised_since(since)
    assert "door_command_failed" not in recorder.board_events
    hardware.set_released(False)
    assert wait_for(lambda: not board.relay_energised)


def test_release_reported_as_failed_does_not_stay_on_the_board_when_resent_late():
    """libosdp re-sends a command the gate gave up on; the gate must take it back."""
    key = SecretKey.generate()
    with SimOsdpBoard(key, watchdog_seconds=5.0) as board:
        # Supervision slower than the outage, so no offline/online cycle re-drives the relay.
        hardware = OsdpDoorHardware(board_config(board, offline_seconds=4.0), "secure",
                                    scbk=key)
        recorder = Recorder(hardware)
        try:
            assert hardware.wait_online(5)
            # Let the relay re-drive that follows coming online reach the board first.
            assert wait_for(lambda: any(c.get("command") == osdp.Command.Output
                                        for _, c in board.commands))
            since = time.monotonic()
            _drop_everything_for(board, 1.6)
            with pytest.raises(CommandNotDeliveredError):
                hardware.set_released(True)
            assert not hardware.released
            # The late copy reaches the board once the line is back, then is taken back.
            assert wait_for(lambda: board.energised_since(since), timeout_seconds=3.0)
            assert wait_for(lambda: not board.relay_energised, timeout_seconds=1.0)
            time.sleep(0.3)
            assert not board.relay_energised
            on_at = board.energised_since(since)[0]
            off_at = next(t for t, on in board.relay_history if not on and t > on_at)
            assert off_at - on_at < 0.3
            assert "board_offline" not in recorder.board_events
        finally:
            hardware.close()


def test_secure_lost_on_the_line_is_reported_and_the_board_ends_secured(pair):
    board, hardware, recorder = pair
    hardware.set_released(True)
    assert wait_for(lambda: board.relay_energised)
    _drop_everything_for(board, 1.5)
    hardware.set_released(False)  # a secure never raises: it is reported and re-sent
    assert "door_command_failed" in recorder.board_events
    assert wait_for(lambda: not board.relay_energised, timeout_seconds=3.0)
    assert hardware.wait_online(5)
    time.sleep(0.3)
    assert not board.relay_energised


def test_board_reset_mid_pulse_drops_the_output_then_resyncs_and_ends_the_pulse():
    key = SecretKey.generate()
    clock = SystemClock()
    with SimOsdpBoard(key) as board:
        hardware = OsdpDoorHardware(board_config(board), "secure", clock, scbk=key)
        recorder = Recorder(hardware)
        driver = DoorDriver(DoorStateMachine(DoorConfig(unlock_seconds=2.5), clock), hardware,
                            clock, on_event=lambda event: None)
        try:
            assert hardware.wait_online(5)
            driver.start()
            driver.grant("r1")
            assert wait_for(lambda: board.relay_energised)
            board.reset(down_seconds=0.2)
            assert any(what == "power_off" for _, what in board.history)
            # The panel notices the reset (the board lost the session) ...
            assert wait_for(lambda: "board_offline" in recorder.board_events)
            # ... and once the board is back, while the pulse still runs, re-drives it.
            assert hardware.wait_online(3)
            assert wait_for(lambda: board.relay_energised, timeout_seconds=1.0)
            # The pulse then ends normally and the board secures; the driver never faulted.
            assert wait_for(lambda: not board.relay_energised, timeout_seconds=3.0)
            assert not driver.faulted
        finally:
            driver.close()


def test_door_driver_faulted_by_a_cut_cable_leaves_its_fail_mode_when_the_board_is_back():
    key = SecretKey.generate()
    clock = SystemClock()
    with SimOsdpBoard(key) as board:
        hardware = OsdpDoorHardware(board_config(board), "secure", clock, scbk=key)
        driver = DoorDriver(DoorStateMachine(DoorConfig(unlock_seconds=0.5), clock), hardware,
                            clock, on_event=lambda event: None)
        try:
            assert hardware.wait_online(5)
            board.cut_cable()
            assert wait_for(lambda: not hardware.online, timeout_seconds=2.5)
            with pytest.raises(HardwareError):
                driver.grant("r1")  # the release cannot be delivered: fail mode, reported
            assert driver.faulted and not board.relay_energised
            board.restore_cable()
            assert hardware.wait_online(5)
            assert wait_for(lambda: not driver.faulted, timeout_seconds=2.0)
            assert not board.relay_energised  # back in its last commanded (secure) state
            driver.grant("r2")
            assert wait_for(lambda: board.relay_energised)
        finally:
            driver.close()


def test_board_with_the_wrong_key_is_refused_and_alarmed():
    with SimOsdpBoard(SecretKey.generate()) as board:
        hardware = OsdpDoorHardware(board_config(board), "secure", scbk=SecretKey.generate())
        recorder = Recorder(hardware)
        try:
            assert wait_for(lambda: "board_key_refused" in recorder.board_events,
                            timeout_seconds=3.0)
            assert not hardware.online and not board.secure_channel_active
            with pytest.raises(HardwareError):
                hardware.set_released(True)
            assert board.energised_since(0.0) == []
        finally:
            hardware.close()


def test_replayed_output_frame_does_not_energise_the_relay(pair):
    board, hardware, _ = pair
    hardware.set_released(True)
    hardware.set_released(False)
    assert not board.relay_energised
    since = time.monotonic()
    for _ in range(3):
        assert board.replay_last(COMMAND_OUT) is not None
        time.sleep(0.05)
    time.sleep(0.2)
    assert board.energised_since(since) == []


def test_forged_plain_output_frame_with_valid_crc_is_ignored(pair):
    board, _, _ = pair
    since = time.monotonic()
    forged = build_packet(board.address, COMMAND_OUT, bytes([0, 2, 0, 0]))  # output 0 ON
    for sequence in range(4):
        board.inject_noise(forged[:4] + bytes([forged[4] | sequence]) + forged[5:],
                           towards="board")
        time.sleep(0.05)
    time.sleep(0.2)
    assert board.energised_since(since) == []


def test_marginal_line_loses_no_relay_command_silently(pair):
    board, hardware, _ = pair
    board.set_drop_rate(0.02)
    outcomes = []
    for _ in range(10):
        try:
            hardware.set_released(True)
            outcomes.append(("delivered", wait_for(lambda: board.relay_energised, 0.3)))
        except HardwareError:
            outcomes.append(("reported", True))
        try:
            hardware.set_released(False)
        except HardwareError:
            pass
    board.set_drop_rate(0.0)
    # Every release either reached the board or raised: none vanished.
    assert all(ok for _, ok in outcomes)
    assert hardware.wait_online(5)
    hardware.set_released(False)
    assert wait_for(lambda: not board.relay_energised)


def test_missing_serial_port_leaves_the_board_offline_without_crashing(tmp_path):
    config = OsdpBackendConfig(port=str(tmp_path / "ttyUSB-unplugged"), reconnect_seconds=0.2)
    hardware = OsdpDoorHardware(config, "secure", scbk=SecretKey.generate())
    try:
        time.sleep(0.3)
        assert not hardware.online and hardware.panel.running
        assert not hardware.panel.link.port_open
        with pytest.raises(BoardOfflineError):
            hardware.set_released(True)
    finally:
        hardware.close()
