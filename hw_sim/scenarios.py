"""Gate scenarios for the demo, the benchmarks and the system tests.

A scenario is data: who is enrolled (with which photos or video frames), what the camera
shows one clip after another (each clip annotated with the decision a correct gate makes),
and what happens at the door (exit button, forced door) at given times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

import cv2
import numpy as np

from gate.errors import CameraError
from gate.vision.images import read_image
from hw_sim.datasets import faces_dir
from hw_sim.photo_attack import hand_moved_photo_frames, still_photo_frames
from hw_sim.replay_camera import Clip, blank_clip
from hw_sim.video import read_video_frames, video_fps

CAMERA_SIZE = (640, 480)


@dataclass(frozen=True)
class Enrolee:
    """A resident to enrol before the scenario starts."""

    person_id: str
    display_name: str
    unit: str
    groups: tuple[str, ...]
    images: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class DoorAction:
    """Something done at the door `at_seconds` into the replay (`press_exit`, `force_open`...)."""

    at_seconds: float
    action: str
    hold_seconds: float = 0.0


@dataclass
class Scenario:
    """Everything a simulated gate needs to play one story."""

    name: str
    description: str
    enrolees: list[Enrolee]
    clips: list[Clip]
    door_actions: list[DoorAction] = field(default_factory=list)
    camera_outage: tuple[float, float] | None = None
    corrupt_frames: frozenset[int] = frozenset()

    @property
    def seconds(self) -> float:
        return sum(clip.seconds for clip in self.clips)

    def start_of(self, clip_name: str) -> float:
        """Seconds from the start of the replay to the first frame of a clip."""
        t = 0.0
        for clip in self.clips:
            if clip.name == clip_name:
                return t
            t += clip.seconds
        raise KeyError(clip_name)


def fit_to_camera(image: np.ndarray, size: tuple[int, int] = CAMERA_SIZE) -> np.ndarray:
    """Letterbox an image into the camera's frame size (one camera, one size)."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
    canvas = np.full((height, width, 3), 96, dtype=np.uint8)
    y = (height - resized.shape[0]) // 2
    x = (width - resized.shape[1]) // 2
    canvas[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
    return canvas


class StreamedVideo(Sequence[np.ndarray]):
    """A video's frames decoded on demand (in order, as a replay reads them), letterboxed.

    Keeps one decoded frame in memory instead of the whole clip, so a benchmark's peak
    memory is the gate's, not the replay's.
    """

    def __init__(self, path: Path, max_frames: int) -> None:
        self.path = path
        capture = cv2.VideoCapture(str(path))
        count = 0
        while count < max_frames and capture.grab():
            count += 1
        capture.release()
        if count == 0:
            raise CameraError(f"video {path.name} holds no readable frame")
        self._length = count
        self._capture: cv2.VideoCapture | None = None
        self._position = 0  # index of the next frame the capture will return
        self._last: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> np.ndarray: ...
    @overload
    def __getitem__(self, index: slice) -> list[np.ndarray]: ...

    def __getitem__(self, index: int | slice) -> np.ndarray | list[np.ndarray]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if not 0 <= index < self._length:
            raise IndexError(index)
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        if self._capture is None or index < self._position:
            if self._capture is not None:
                self._capture.release()
            self._capture = cv2.VideoCapture(str(self.path))
            self._position = 0
        while self._position < index:  # skip frames the gate was too busy to see
            self._capture.grab()
            self._position += 1
        ok, image = self._capture.read()
        self._position += 1
        if not ok or image is None:
            raise CameraError(f"video {self.path.name} ended early at frame {index}")
        frame = fit_to_camera(image)
        self._last = (index, frame)
        return frame


def video_clip(path: Path, name: str, expect: str, max_seconds: float = 4.0) -> Clip:
    """A recorded person walking up, letterboxed to the camera size, decoded as it plays."""
    fps = video_fps(path)
    return Clip(name, StreamedVideo(path, round(max_seconds * fps)), fps, expect=expect)


def video_stills(path: Path, indices: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Chosen frames of a video, as enrolment photos."""
    frames = read_video_frames(path, max_frames=max(indices) + 1)
    return tuple(frames[i].image for i in indices)


def _pedestrian(root: Path) -> Scenario:
    live = root / "video" / "live"
    ident = root / "identities"
    spoof = root / "video" / "spoof"
    obama = sorted((ident / "obama").iterdir())
    enrolees = [
        Enrolee("r-grid-s2", "张伟", "1-1-101", ("residents",),
                video_stills(live / "grid_id2_vcd_swwp2s.mpg", (5, 40, 70))),
        Enrolee("r-cremad-1001", "李娜", "2-3-502", ("residents",),
                video_stills(live / "cremad_1001_DFA_NEU_XX.flv", (3, 30, 55))),
        Enrolee("r-obama", "王芳", "3-1-1201", ("residents",),
                tuple(read_image(p) for p in obama[:2])),
        Enrolee("r-family1-mom", "陈静", "3-2-301", ("residents",),
                (read_image(ident / "family1_mom" / "azure_Family1-Mom1.jpg"),)),
    ]
    photo = read_image(obama[2])
    attack = hand_moved_photo_frames(photo, seconds=3.5, fps=25.0, size=CAMERA_SIZE, seed=11,
                                     style="print")
    clips = [
        blank_clip(1.0),
        video_clip(live / "grid_pwij3p.mpg", "resident 张* walks up", "granted"),
        blank_clip(1.5),
        video_clip(live / "grid_brbk7n.mpg", "a stranger walks up", "denied"),
        blank_clip(1.5),
        Clip("a photo of resident 王* held up", [f.image for f in attack], 25.0,
             expect="denied"),
        blank_clip(1.5),
        video_clip(live / "cremad_1001_DFA_SAD_XX.flv", "resident 李* walks up", "granted"),
        blank_clip(1.5),
        video_clip(spoof / "spoof_phone_azure_Family1-Mom2.mp4",
                   "resident 陈*'s photo on a phone", "denied"),
        blank_clip(1.0),
    ]
    scenario = Scenario("pedestrian", "residents, a stranger and two photo attacks", enrolees,
                        clips)
    exit_at = scenario.start_of("resident 李* walks up") - 1.2
    scenario.door_actions.append(DoorAction(exit_at, "press_exit"))
    return scenario


def _faults(root: Path) -> Scenario:
    base = _pedestrian(root)
    live = root / "video" / "live"
    clips = [
        blank_clip(1.0),
        video_clip(live / "grid_pwij3p.mpg", "resident 张* walks up", "granted"),
        blank_clip(2.0),
        video_clip(live / "grid_brbk7n.mpg", "camera lost while a stranger walks up", "denied"),
        blank_clip(6.0),
    ]
    scenario = Scenario("faults", "camera outage, corrupt frames, a forced and a propped door",
                        base.enrolees[:1], clips)
    outage_start = scenario.start_of("camera lost while a stranger walks up") + 0.5
    scenario.camera_outage = (outage_start, outage_start + 1.5)
    scenario.corrupt_frames = frozenset({30, 31})
    scenario.door_actions += [
        DoorAction(outage_start + 2.5, "force_open", hold_seconds=1.0),
        DoorAction(outage_start + 4.0, "prop_open", hold_seconds=4.0),
    ]
    return scenario


def _still_photo(root: Path) -> Scenario:
    base = _pedestrian(root)
    photo = read_image(root / "identities" / "family1_mom" / "azure_Family1-Mom2.jpg")
    frames = still_photo_frames(photo, seconds=3.5, fps=25.0, size=CAMERA_SIZE, seed=3)
    clips = [blank_clip(0.5),
             Clip("a still photo of 陈* in front of the camera",
                  [f.image for f in frames], 25.0, expect="denied"),
             blank_clip(0.5)]
    return Scenario("still-photo", "a still photo of a resident", base.enrolees, clips)


SCENARIOS: dict[str, Callable[[Path], Scenario]] = {
    "pedestrian": _pedestrian,
    "faults": _faults,
    "still-photo": _still_photo,
}


def build_scenario(name: str, root: Path | None = None) -> Scenario:
    """The named scenario on the shared faces data (or `root`)."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    root = root or faces_dir()
    if root is None:
        from hw_sim.fallback_faces import fallback_scenario

        return fallback_scenario(name)
    return SCENARIOS[name](root)
