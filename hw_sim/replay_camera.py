"""A camera that replays clips (videos, photos, simulated attacks) through `FrameSource`.

In real-time mode a frame becomes available at its own time on the wall clock and is
dropped if the gate is busy, exactly like a live camera read through `OpenCVCamera`.
In stepped mode every frame is handed out in order, with virtual capture times, so
tests are deterministic. Faults: a camera that disappears for a while, corrupt frames.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from gate.errors import CameraError
from gate.vision.frames import FrameSource
from gate.vision.types import Frame


class ReplayFinishedError(CameraError):
    """The replay has no more frames."""


@dataclass
class Clip:
    """Frames shown one after another at `fps`; `name`/`expect` annotate the scenario."""

    name: str
    images: Sequence[np.ndarray]
    fps: float = 25.0
    expect: str = ""
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return len(self.images) / self.fps


def blank_clip(seconds: float, size: tuple[int, int] = (640, 480), fps: float = 25.0) -> Clip:
    """An empty scene (nobody in front of the camera) between two arrivals."""
    width, height = size
    image = np.full((height, width, 3), 96, dtype=np.uint8)
    return Clip("empty", [image] * max(1, round(seconds * fps)), fps, expect="nobody")


class ReplayCamera(FrameSource):
    """Replays `clips` back to back."""

    def __init__(
        self,
        clips: Sequence[Clip],
        *,
        realtime: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        outage: tuple[float, float] | None = None,
        corrupt_frame_indices: frozenset[int] = frozenset(),
    ) -> None:
        if not clips:
            raise ValueError("a replay needs at least one clip")
        # Frames are referenced, not copied: a clip may decode them only when they are shown.
        self._frames: list[tuple[int, int]] = []  # (clip index, offset in clip)
        self._times: list[float] = []
        self._clip_of: list[int] = []
        self.clips = list(clips)
        clip_start = 0.0
        for clip_index, clip in enumerate(clips):
            for offset in range(len(clip.images)):
                self._frames.append((clip_index, offset))
                # Times from the index, not summed steps, so float error does not accumulate.
                self._times.append(round(clip_start + offset / clip.fps, 9))
                self._clip_of.append(clip_index)
            clip_start += len(clip.images) / clip.fps
        self.duration_seconds = clip_start
        self._realtime = realtime
        self._monotonic = monotonic
        self._outage = outage
        self._corrupt = corrupt_frame_indices
        self._start: float | None = None
        self._next_index = 0
        self._closed = False
        self._stepped_lost = False

    @property
    def healthy(self) -> bool:
        if not self._realtime:
            return not self._stepped_lost
        return not self._in_outage(self._elapsed())

    def clip_at(self, captured_at: float) -> Clip:
        """The clip on show at a frame time of this replay (a `Frame.captured_at`).

        A decision belongs to the clip where its face or plate was first seen: the frame it
        was decided on may already show the next clip (a track that ends after its person
        left).
        """
        start = (self._start or 0.0) if self._realtime else 0.0
        index = bisect.bisect_right(self._times, captured_at - start + 1e-9) - 1
        return self.clips[self._clip_of[min(max(index, 0), len(self._clip_of) - 1)]]

    def read(self, timeout_seconds: float) -> Frame | None:
        if self._closed:
            raise ReplayFinishedError("replay camera closed")
        if self._start is None:
            self._start = self._monotonic()
        if not self._realtime:
            last = len(self._times) - 1
            return self._take(self._next_index, self._times[min(self._next_index, last)])
        deadline = self._monotonic() + timeout_seconds
        while True:
            elapsed = self._elapsed()
            if elapsed > self.duration_seconds:
                raise ReplayFinishedError("replay finished")
            newest = bisect.bisect_right(self._times, elapsed) - 1
            if newest >= self._next_index and not self._in_outage(elapsed):
                return self._take(newest, self._start + self._times[newest])
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(remaining, 0.002))

    def _take(self, index: int, captured_at: float) -> Frame | None:
        if index >= len(self._frames):
            raise ReplayFinishedError("replay finished")
        if not self._realtime:
            if self._in_outage(self._times[index]):
                # A stepped replay skips the frames a lost camera would not have delivered,
                # and reports the loss with one empty read.
                while index < len(self._frames) and self._in_outage(self._times[index]):
                    index += 1
                self._next_index = index
                self._stepped_lost = True
                return None
            self._stepped_lost = False
        self._next_index = index + 1
        clip_index, offset = self._frames[index]
        image = self.clips[clip_index].images[offset]
        if index in self._corrupt:
            image = np.zeros((0, 0), dtype=np.uint8)
        return Frame(image, captured_at, index, self.clips[self._clip_of[index]].name)

    def _elapsed(self) -> float:
        return 0.0 if self._start is None else self._monotonic() - self._start

    def _in_outage(self, elapsed: float) -> bool:
        return self._outage is not None and self._outage[0] <= elapsed < self._outage[1]

    def close(self) -> None:
        self._closed = True
