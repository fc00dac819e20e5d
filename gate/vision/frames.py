"""Frame sources: the newest frame is always the one handed out, so no queue builds up.

`OpenCVCamera` reads a USB/RTSP camera on a background thread, keeps only the latest
frame, and reopens a lost camera with exponential back-off. hw_sim's replay camera
implements the same `FrameSource` interface.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import cv2

from gate.errors import CameraError
from gate.vision.types import Frame

logger = logging.getLogger(__name__)


class FrameSource(ABC):
    """Something that hands out the newest camera frame."""

    @abstractmethod
    def read(self, timeout_seconds: float) -> Frame | None:
        """The newest frame not handed out before, waiting up to `timeout_seconds`.

        Returns None when no new frame arrived in time. Raises `CameraError` when the
        source has ended for good (a replay that finished, a closed camera).
        """

    @property
    @abstractmethod
    def healthy(self) -> bool:
        """False while the camera is lost and being reopened."""

    @abstractmethod
    def close(self) -> None:
        """Stop reading; idempotent."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class LatestFrameSlot:
    """A one-frame mailbox: writers overwrite, the reader gets only the newest frame."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._taken_index = -1
        self.dropped = 0
        self.closed = False

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None and self._frame.index > self._taken_index:
                self.dropped += 1
            self._frame = frame
            self._cond.notify_all()

    def take(self, timeout_seconds: float) -> Frame | None:
        deadline = time.monotonic() + timeout_seconds
        with self._cond:
            while self._frame is None or self._frame.index <= self._taken_index:
                if self.closed:
                    raise CameraError("frame source is closed")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
            self._taken_index = self._frame.index
            return self._frame

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class OpenCVCamera(FrameSource):
    """A camera read through `cv2.VideoCapture` on its own thread, with reconnect and back-off."""

    def __init__(
        self,
        source: int | str,
        *,
        width_px: int = 1280,
        height_px: int = 720,
        fps: float = 25.0,
        reconnect_initial_seconds: float = 0.5,
        reconnect_max_seconds: float = 10.0,
        stale_frame_seconds: float = 2.0,
        capture_factory: Callable[[int | str], Any] = cv2.VideoCapture,
    ) -> None:
        self._source = source
        self._size = (width_px, height_px)
        self._fps = fps
        self._backoff_initial = reconnect_initial_seconds
        self._backoff_max = reconnect_max_seconds
        self._stale_seconds = stale_frame_seconds
        self._capture_factory = capture_factory
        self._description = self._describe()  # once: it is stamped on every frame
        self._slot = LatestFrameSlot()
        self._stop = threading.Event()
        self._healthy = False
        self.reconnects = 0
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self._thread.start()

    @property
    def healthy(self) -> bool:
        return self._healthy

    @property
    def dropped_frames(self) -> int:
        """Frames overwritten before anyone read them (the price of never queueing)."""
        return self._slot.dropped

    def read(self, timeout_seconds: float) -> Frame | None:
        return self._slot.take(timeout_seconds)

    def close(self) -> None:
        self._stop.set()
        self._slot.close()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def _open(self) -> Any:
        capture = self._capture_factory(self._source)
        if isinstance(self._source, int):
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
            capture.set(cv2.CAP_PROP_FPS, self._fps)
        # A driver-side buffer of one frame keeps latency down where the backend honours it.
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        if not capture.isOpened():
            capture.release()
            raise CameraError(f"camera {self._description} cannot be opened")
        return capture

    def _describe(self) -> str:
        # RTSP URLs may carry credentials: never log them.
        if isinstance(self._source, str) and "@" in self._source:
            scheme, _, rest = self._source.partition("://")
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
        return str(self._source)

    def _run(self) -> None:
        backoff = self._backoff_initial
        index = 0
        while not self._stop.is_set():
            try:
                capture = self._open()
            except (CameraError, cv2.error) as err:
                self._mark_lost(str(err))
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._backoff_max)
                self.reconnects += 1
                continue
            self._mark_healthy()
            backoff = self._backoff_initial
            last_frame_at = time.monotonic()
            try:
                while not self._stop.is_set():
                    try:
                        ok, image = capture.read()
                    except cv2.error as err:  # a backend error is a lost camera, not a crash
                        self._mark_lost(f"read failed: {err}")
                        break
                    now = time.monotonic()
                    if ok and image is not None and image.size:
                        self._slot.put(Frame(image, now, index, self._description))
                        index += 1
                        last_frame_at = now
                    elif now - last_frame_at > self._stale_seconds:
                        self._mark_lost("no frame for %.1f s" % (now - last_frame_at))
                        break
                    else:
                        self._stop.wait(0.01)
            finally:
                capture.release()

    def _mark_lost(self, why: str) -> None:
        if self._healthy or self.reconnects == 0:
            logger.error("camera lost: %s; reconnecting with back-off", why)
        self._healthy = False

    def _mark_healthy(self) -> None:
        if not self._healthy:
            logger.info("camera %s delivering frames", self._description)
        self._healthy = True
