"""Cars arriving at a barrier camera, made from still scene photos (hw_sim's vehicle lane).

A real barrier camera sees a car roll up and stop. From one labelled photo we make that:
the view starts zoomed out (the plate small and a little blurred by motion), closes in over
`approach_seconds`, then holds still while the car waits. Faults are image edits: night,
a steep viewing angle, two cars in one frame, an empty lane.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from gate.eval.plate_data import PlateScene, read_scenes
from hw_sim.datasets import shared_data_dir
from hw_sim.replay_camera import Clip

LANE_SIZE = (720, 960)  # (width, height) of the simulated barrier camera
LANE_FPS = 10.0  # what a Pi reading plates on one core keeps up with (~20-40 ms a frame)


def plates_dir() -> Path | None:
    """The plates dataset folder, or None where it is absent."""
    path = shared_data_dir() / "plates"
    return path if (path / "scenes" / "labels.csv").is_file() else None


def scene_cars(root: Path) -> list[PlateScene]:
    """Labelled scenes that show exactly one plate (one car per arrival)."""
    scenes = read_scenes(root / "scenes")
    counts: dict[Path, int] = {}
    for scene in scenes:
        counts[scene.path] = counts.get(scene.path, 0) + 1
    return [scene for scene in scenes if counts[scene.path] == 1]


def _fit(image: np.ndarray, size: tuple[int, int] = LANE_SIZE) -> np.ndarray:
    """Letterbox `image` into the lane camera's frame (aspect kept, grey bars)."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 90, dtype=np.uint8)
    top = (height - resized.shape[0]) // 2
    left = (width - resized.shape[1]) // 2
    canvas[top:top + resized.shape[0], left:left + resized.shape[1]] = resized
    return canvas


def _zoom(image: np.ndarray, centre: tuple[float, float], scale: float) -> np.ndarray:
    """The view at `scale` (<1 = further away) around `centre`, same frame size."""
    matrix = cv2.getRotationMatrix2D(centre, 0.0, scale)
    return cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]),
                          borderMode=cv2.BORDER_REPLICATE)


def approach_frames(image: np.ndarray, plate_centre: tuple[float, float], *,
                    approach_seconds: float = 1.0, stop_seconds: float = 2.5,
                    fps: float = LANE_FPS, start_scale: float = 0.7,
                    seed: int = 0) -> list[np.ndarray]:
    """Frames of a car rolling up to the barrier and waiting (sensor noise on every frame)."""
    rng = np.random.default_rng(seed)
    moving = max(1, round(approach_seconds * fps))
    still = max(1, round(stop_seconds * fps))
    frames = []
    for index in range(moving + still):
        progress = min(1.0, index / moving)
        view = _zoom(image, plate_centre, start_scale + (1.0 - start_scale) * progress)
        if progress < 1.0:  # motion blur while rolling
            view = cv2.blur(view, (3, 1))
        noise = rng.normal(0.0, 3.0, view.shape)
        frames.append(np.clip(view.astype(np.float32) + noise, 0, 255).astype(np.uint8))
    return frames


def night(image: np.ndarray) -> np.ndarray:
    """Dark, noisy, a little blue: a lane at night under weak light."""
    dark = cv2.convertScaleAbs(image, alpha=0.35, beta=-10)
    return cv2.GaussianBlur(dark, (3, 3), 0)


def steep(image: np.ndarray, strength: float = 0.35) -> np.ndarray:
    """The same scene seen from well off to one side (a strong perspective skew)."""
    height, width = image.shape[:2]
    source = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    shift = strength * height
    target = np.float32([[0, shift], [width, 0], [width, height], [0, height - shift]])
    matrix = cv2.getPerspectiveTransform(source, target)
    return cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)


WIDE_LANE_SIZE = (1440, 1160)  # a wide-angle camera over two lanes, plates at full size


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Two cars in one frame, as a wide-angle camera over two lanes sees them."""
    height = min(left.shape[0], right.shape[0])
    return _fit(np.hstack([left[:height], right[:height]]), WIDE_LANE_SIZE)


def empty_lane(seconds: float, fps: float = LANE_FPS) -> Clip:
    """Nothing in front of the camera."""
    width, height = LANE_SIZE
    frame = np.full((height, width, 3), 70, dtype=np.uint8)
    cv2.rectangle(frame, (0, height * 2 // 3), (width, height), (60, 60, 60), -1)  # road
    return Clip("empty-lane", [frame] * max(1, round(seconds * fps)), fps, expect="nobody")


def _read(scene: PlateScene) -> np.ndarray:
    image = cv2.imread(str(scene.path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read scene {scene.path}")
    return image


def car_clip(scene: PlateScene, name: str, expect: str, *, edit: str = "",
             stop_seconds: float = 2.5, seed: int = 0) -> Clip:
    """A clip of `scene`'s car arriving; `edit` is "", "night" or "steep"."""
    image = _read(scene)
    if edit == "night":
        image = night(image)
    elif edit == "steep":
        image = steep(image)
    elif edit:
        raise ValueError(f"unknown edit {edit!r}")
    fitted = _fit(image)
    scale = min(LANE_SIZE[0] / image.shape[1], LANE_SIZE[1] / image.shape[0])
    offset_x = (LANE_SIZE[0] - image.shape[1] * scale) / 2
    offset_y = (LANE_SIZE[1] - image.shape[0] * scale) / 2
    box = scene.box
    centre = ((box.x1 + box.x2) / 2 * scale + offset_x, (box.y1 + box.y2) / 2 * scale + offset_y)
    frames = approach_frames(fitted, centre, stop_seconds=stop_seconds, seed=seed)
    return Clip(name, frames, LANE_FPS, expect=expect, meta={"plate": scene.label})


def two_cars_clip(first: PlateScene, second: PlateScene, seconds: float = 3.0) -> Clip:
    """Two cars side by side, both still (e.g. a car pulling up beside the lane)."""
    images = [_read(scene) for scene in (first, second)]
    frame = side_by_side(*images).astype(np.float32)
    rng = np.random.default_rng(7)
    # Sensor noise: no two real frames are identical, even of parked cars.
    frames = [np.clip(frame + rng.normal(0.0, 3.0, frame.shape), 0, 255).astype(np.uint8)
              for _ in range(max(1, round(seconds * LANE_FPS)))]
    return Clip("two-cars", frames, LANE_FPS, expect="both plates",
                meta={"plates": [first.label, second.label]})
