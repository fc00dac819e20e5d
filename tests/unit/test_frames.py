"""Frame sources hand out the newest frame and recover from a lost camera."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from gate.errors import CameraError
from gate.vision.frames import LatestFrameSlot, OpenCVCamera
from gate.vision.types import Frame
from hw_sim.replay_camera import Clip, ReplayCamera, ReplayFinishedError


def _frame(index: int) -> Frame:
    return Frame(np.zeros((4, 4, 3), np.uint8), float(index), index)


def test_slot_returns_only_the_newest_frame_and_counts_drops() -> None:
    slot = LatestFrameSlot()
    for i in range(5):
        slot.put(_frame(i))
    assert slot.take(0.01).index == 4
    assert slot.dropped == 4
    assert slot.take(0.01) is None  # nothing newer


def test_slot_close_wakes_a_waiting_reader() -> None:
    slot = LatestFrameSlot()
    threading.Timer(0.05, slot.close).start()
    with pytest.raises(CameraError):
        slot.take(2.0)


def _write_video(path: Path, frames: int) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), i % 255, np.uint8))
    writer.release()


def test_opencv_camera_reconnects_with_backoff_after_failed_opens(tmp_path: Path) -> None:
    video = tmp_path / "cam.avi"
    _write_video(video, 50)
    attempts: list[float] = []

    def flaky_open(source: int | str) -> cv2.VideoCapture:
        attempts.append(time.monotonic())
        # The first two opens hit a missing device, as when a USB camera is unplugged.
        return cv2.VideoCapture(str(tmp_path / "absent.avi") if len(attempts) <= 2 else source)

    camera = OpenCVCamera(str(video), reconnect_initial_seconds=0.05,
                          reconnect_max_seconds=1.0, capture_factory=flaky_open)
    try:
        frame = camera.read(5.0)
        assert frame is not None and frame.image.shape == (48, 64, 3)
        assert camera.healthy
        assert len(attempts) >= 3
        # Exponential back-off: the second wait is about twice the first.
        first, second = attempts[1] - attempts[0], attempts[2] - attempts[1]
        assert second >= first * 1.5
    finally:
        camera.close()


def test_replay_camera_stepped_mode_hands_out_every_frame_then_finishes() -> None:
    images = [np.full((8, 8, 3), i, np.uint8) for i in range(3)]
    camera = ReplayCamera([Clip("c", images, fps=10)], realtime=False)
    assert [camera.read(0).index for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ReplayFinishedError):
        camera.read(0)


def test_replay_camera_realtime_drops_frames_when_reader_is_slow() -> None:
    images = [np.full((8, 8, 3), i, np.uint8) for i in range(50)]
    camera = ReplayCamera([Clip("c", images, fps=100)], realtime=True)
    first = camera.read(1.0)
    time.sleep(0.2)  # a busy gate: 20 frames go by
    later = camera.read(1.0)
    assert first is not None and later is not None
    assert later.index - first.index >= 10


def test_replay_camera_outage_delivers_nothing_then_recovers() -> None:
    images = [np.full((8, 8, 3), i, np.uint8) for i in range(20)]
    camera = ReplayCamera([Clip("c", images, fps=10)], realtime=False, outage=(0.5, 1.0))
    indices, lost_reads = [], 0
    while True:
        try:
            frame = camera.read(0)
        except ReplayFinishedError:
            break
        if frame is None:
            lost_reads += 1
            assert not camera.healthy
        else:
            indices.append(frame.index)
            assert camera.healthy
    assert indices == [0, 1, 2, 3, 4, *range(10, 20)]
    assert lost_reads == 1


@pytest.mark.parametrize("realtime", [False, True])
def test_replay_camera_names_the_clip_on_show_at_a_frame_time(realtime: bool) -> None:
    image = np.zeros((8, 8, 3), np.uint8)
    clips = [Clip("empty", [image] * 5, fps=10), Clip("stranger", [image] * 10, fps=10),
             Clip("empty", [image] * 5, fps=10)]
    camera = ReplayCamera(clips, realtime=realtime)
    first = camera.read(1.0)
    assert first is not None
    start = first.captured_at - first.index / 10
    # Each clip by a time inside it, and a decision first seen in the stranger's clip stays
    # the stranger's even when it is decided on a frame of the empty tail.
    shown = [camera.clip_at(start + t) for t in (0.0, 0.45, 0.5, 1.49, 1.5, 1.9)]
    expected = [0, 0, 1, 1, 2, 2]
    assert all(clip is clips[i] for clip, i in zip(shown, expected, strict=True))
