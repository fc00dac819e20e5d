"""Demo faces for machines without the shared dev data: images that PyPI packages ship.

The `insightface` wheel (installed with --no-deps by scripts/install.sh, only for its
sample pictures; none of its code is imported) carries a group photo of six people and a
portrait. Residents are cut from the group photo; "live" arrivals are simulated talking
heads (`hw_sim.talking_head`) because no video of these people ships anywhere.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from gate.errors import GateError
from gate.vision.detection import HogFaceDetector
from gate.vision.images import read_image
from hw_sim.photo_attack import hand_moved_photo_frames
from hw_sim.replay_camera import Clip, blank_clip
from hw_sim.scenarios import CAMERA_SIZE, Enrolee, Scenario, fit_to_camera
from hw_sim.talking_head import talking_head_frames


class FallbackFacesMissingError(GateError, FileNotFoundError):
    """Neither the shared dev data nor the packaged sample images are available."""


def packaged_images_dir() -> Path:
    """insightface's sample image folder, located without importing the package."""
    spec = importlib.util.find_spec("insightface")
    if spec is None or not spec.submodule_search_locations:
        raise FallbackFacesMissingError(
            "no face images: set GATE_SHARED_DATA to the dev data, or run scripts/install.sh "
            "(it installs the insightface wheel's sample pictures)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "images"


def _people(group: np.ndarray) -> list[np.ndarray]:
    rgb = cv2.cvtColor(group, cv2.COLOR_BGR2RGB)
    faces = HogFaceDetector(group.shape[1], upsample=1).detect(rgb, with_landmarks=False)
    crops = []
    for face in sorted(faces, key=lambda f: f.box.x1):
        box = face.box
        pad_x, pad_y = box.width, box.height
        y1, y2 = max(0, box.y1 - pad_y), min(group.shape[0], box.y2 + pad_y)
        x1, x2 = max(0, box.x1 - pad_x), min(group.shape[1], box.x2 + pad_x)
        crop = group[y1:y2, x1:x2]
        crops.append(fit_to_camera(cv2.resize(crop, None, fx=2.0, fy=2.0,
                                              interpolation=cv2.INTER_CUBIC)))
    return crops


def _live(image: np.ndarray, name: str, seed: int) -> Clip:
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    face = HogFaceDetector(image.shape[1], upsample=1).detect(rgb)[0]
    frames = talking_head_frames(image, face.landmarks, seconds=3.0, fps=25.0, seed=seed)
    return Clip(name, [f.image for f in frames], 25.0, expect="granted")


def fallback_scenario(name: str) -> Scenario:
    """The pedestrian story on packaged images (every scenario name maps to it)."""
    folder = packaged_images_dir()
    people = _people(read_image(folder / "t1.jpg"))
    if len(people) < 4:
        raise FallbackFacesMissingError("the packaged group photo no longer shows four faces")
    enrolees = [
        Enrolee("r-demo-1", "张伟", "1-1-101", ("residents",), (people[0],)),
        Enrolee("r-demo-2", "李娜", "2-3-502", ("residents",), (people[2],)),
    ]
    attack = hand_moved_photo_frames(people[0], seconds=3.5, fps=25.0, size=CAMERA_SIZE,
                                     seed=5, style="print")
    clips = [
        blank_clip(1.0),
        _live(people[0], "resident 张* walks up (simulated talking head)", seed=1),
        blank_clip(1.5),
        _live(people[3], "a stranger walks up (simulated talking head)", seed=2),
        blank_clip(1.5),
        Clip("a photo of resident 张* held up", [f.image for f in attack], 25.0,
             expect="denied"),
        blank_clip(1.5),
        _live(people[2], "resident 李* walks up (simulated talking head)", seed=3),
        blank_clip(1.0),
    ]
    clips[3].expect = "denied"
    return Scenario(name, "packaged sample faces (no dev data found): residents, a stranger, "
                    "a photo attack", enrolees, clips)
