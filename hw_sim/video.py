"""Read a video file into Frames timed by their own frame rate (not by the wall clock)."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2

from gate.errors import CameraError
from gate.vision.types import Frame

logger = logging.getLogger(__name__)

DEFAULT_FPS = 25.0


def read_video_frames(path: Path, max_frames: int | None = None) -> list[Frame]:
    """Every frame of `path` (mpg, flv, mp4 ... whatever OpenCV's FFmpeg reads), BGR.

    `captured_at` is `index / fps` with the file's own frame rate (25 fps when the
    container does not say), so replays are deterministic and run faster than real time.
    Raises CameraError when the file cannot be opened or holds no frame.
    """
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise CameraError(f"cannot open video {path.name}")
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
        if not fps or fps != fps or fps <= 0:  # NaN or 0 when the container lacks a rate
            logger.debug("video %s has no frame rate; assuming %s fps", path.name, DEFAULT_FPS)
            fps = DEFAULT_FPS
        frames: list[Frame] = []
        while max_frames is None or len(frames) < max_frames:
            ok, image = capture.read()
            if not ok or image is None:
                break
            index = len(frames)
            frames.append(Frame(image=image, captured_at=index / fps, index=index,
                                source=f"video:{path.name}"))
    finally:
        capture.release()
    if not frames:
        raise CameraError(f"video {path.name} holds no readable frame")
    return frames


def video_fps(path: Path) -> float:
    """The frame rate a video file declares (DEFAULT_FPS when it declares none)."""
    capture = cv2.VideoCapture(str(path))
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    return fps if fps and fps == fps and fps > 0 else DEFAULT_FPS
