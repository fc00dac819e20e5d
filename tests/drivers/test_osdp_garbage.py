"""Garbage on the line never energises a relay and never crashes the gate.

One board and one panel over a pty for the whole module; hypothesis throws random bytes,
truncated frames, frames with a bad CRC and replayed panel frames at both ends. After
every example the board's output must never have been energised, and at the end the
link must still work.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from osdp_sim_helpers import Recorder, wait_for

from firmware_bridge.door_backend import OsdpDoorHardware
from firmware_bridge.framing import COMMAND_OUT, build_packet
from firmware_bridge.keys import SecretKey
from gate.errors import HardwareError
from hw_sim.osdp_board import SimOsdpBoard, board_config


@pytest.fixture(scope="module")
def line() -> Iterator[tuple[SimOsdpBoard, OsdpDoorHardware, Recorder, float]]:
    key = SecretKey.generate()
    board = SimOsdpBoard(key).start()
    hardware = OsdpDoorHardware(board_config(board), "secure", scbk=key)
    recorder = Recorder(hardware)
    assert hardware.wait_online(5)
    # One real release first, so that there is a real OUT frame to replay.
    hardware.set_released(True)
    hardware.set_released(False)
    started = time.monotonic()
    yield board, hardware, recorder, started
    hardware.close()
    board.close()


def _output_on_frame(address: int, sequence: int) -> bytes:
    return build_packet(address, COMMAND_OUT, bytes([0, 2, 0, 0]), sequence=sequence)


@st.composite
def garbage(draw: st.DrawFn) -> bytes:
    """Random bytes, or a plausible frame that is truncated or has a bad CRC."""
    kind = draw(st.sampled_from(["random", "truncated", "bad_crc", "som_storm"]))
    if kind == "random":
        return draw(st.binary(min_size=1, max_size=200))
    frame = bytearray(_output_on_frame(1, draw(st.integers(0, 3))))
    if kind == "truncated":
        return bytes(frame[: draw(st.integers(1, len(frame) - 1))])
    if kind == "bad_crc":
        frame[-1] ^= draw(st.integers(1, 255))
        return bytes(frame)
    return b"\x53" * draw(st.integers(1, 64))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(noise=garbage(), towards=st.sampled_from(["panel", "board"]),
       replay=st.booleans())
def test_garbage_on_the_line_never_energises_the_relay(line, noise, towards, replay):
    board, hardware, _, started = line
    board.inject_noise(noise, towards=towards)
    if replay:
        board.replay_last(COMMAND_OUT)
    time.sleep(0.03)
    assert board.energised_since(started) == []
    assert not board.relay_energised


def test_gate_survives_the_garbage_and_the_link_still_works(line):
    board, hardware, recorder, started = line
    assert board.energised_since(started) == []
    assert hardware.panel.running
    assert hardware.wait_online(5)
    for _ in range(3):  # a command may meet the tail of a resynchronisation
        try:
            hardware.set_released(True)
            break
        except HardwareError:
            assert hardware.wait_online(5)
    assert wait_for(lambda: board.relay_energised)
    hardware.set_released(False)
    assert wait_for(lambda: not board.relay_energised)
