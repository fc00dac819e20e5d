"""Photo attacks on a camera: a still photo, or a print/phone moved and tilted by hand.

The photo is a flat card (paper with a white margin, or a phone screen with a black bezel
and moire) seen through a pinhole camera: each frame is one 3D pose of the plane, so the
photo moves by a homography, exactly as a real held-up photo does. On top come the
camera's faults: exposure flicker, focus/motion blur, sensor noise and JPEG compression.
Everything is drawn from one seed, so a scenario replays identically.
"""

from __future__ import annotations

import math
from typing import Literal

import cv2
import numpy as np

from gate.errors import ImageError
from gate.vision.types import Frame

Style = Literal["print", "phone"]


def still_photo_frames(
    image_bgr: np.ndarray, seconds: float = 3.0, fps: float = 25.0,
    size: tuple[int, int] = (640, 480), seed: int = 0, noise_sigma: float = 2.0,
) -> list[Frame]:
    """A photo filling a still camera's view: same picture every frame, fresh sensor noise.

    `size` is (width, height); the photo is letterboxed into it. `captured_at` = index / fps.
    """
    _check_image(image_bgr)
    rng = np.random.default_rng(seed)
    width, height = size
    base = _letterbox(image_bgr, width, height).astype(np.float32)
    frames = []
    for index in range(_frame_count(seconds, fps)):
        noisy = base + rng.normal(0.0, noise_sigma, base.shape).astype(np.float32)
        frames.append(Frame(image=np.clip(noisy, 0, 255).astype(np.uint8),
                            captured_at=index / fps, index=index, source="hw_sim:still_photo"))
    return frames


def hand_moved_photo_frames(
    image_bgr: np.ndarray, seconds: float = 3.0, fps: float = 25.0,
    size: tuple[int, int] = (640, 480), seed: int = 0, style: Style | None = None,
) -> list[Frame]:
    """A print or phone showing `image_bgr`, moved and tilted by hand in front of a camera.

    `style` None picks print or phone from the seed. Deterministic given the arguments.
    """
    _check_image(image_bgr)
    rng = np.random.default_rng(seed)
    width, height = size
    chosen: Style = style or ("print" if rng.random() < 0.5 else "phone")
    card = _make_card(image_bgr, chosen, height, rng)
    background = _background(width, height, rng)
    motion = _HandMotion(rng)
    focal = 1.1 * width
    frames = []
    for index in range(_frame_count(seconds, fps)):
        t = index / fps
        corners = _project_card(card.shape[1], card.shape[0], motion.pose(t), focal,
                                width, height)
        source = np.float32([[0, 0], [card.shape[1], 0], [card.shape[1], card.shape[0]],
                             [0, card.shape[0]]])
        homography = cv2.getPerspectiveTransform(source, corners)
        warped = cv2.warpPerspective(card, homography, (width, height), flags=cv2.INTER_LINEAR)
        mask = cv2.warpPerspective(np.full(card.shape[:2], 255, np.uint8), homography,
                                   (width, height), flags=cv2.INTER_LINEAR)
        alpha = (mask.astype(np.float32) / 255.0)[..., None]
        scene = background * (1.0 - alpha) + warped.astype(np.float32) * alpha
        frames.append(Frame(image=_camera(scene, t, rng), captured_at=t, index=index,
                            source=f"hw_sim:hand_moved_{chosen}"))
    return frames


def _check_image(image_bgr: np.ndarray) -> None:
    if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
        raise ImageError("a photo attack needs a BGR image of shape (h, w, 3)")


def _frame_count(seconds: float, fps: float) -> int:
    return max(1, int(round(seconds * fps)))


def _letterbox(image: np.ndarray, width: int, height: int) -> np.ndarray:
    scale = min(width / image.shape[1], height / image.shape[0])
    new_w, new_h = max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    out = np.zeros((height, width, 3), np.uint8)
    x, y = (width - new_w) // 2, (height - new_h) // 2
    out[y:y + new_h, x:x + new_w] = resized
    return out


def _make_card(image: np.ndarray, style: Style, frame_height: int,
               rng: np.random.Generator) -> np.ndarray:
    """The photo as it is held up, at about the pixel size it will appear, with margin or bezel."""
    # Held close to the lens, as an attacker would: the card spans 60-90% of the view.
    longest = rng.uniform(0.6, 0.9) * frame_height
    scale = longest / max(image.shape[:2])
    photo = cv2.resize(image, (max(1, round(image.shape[1] * scale)),
                               max(1, round(image.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA).astype(np.float32)
    h, w = photo.shape[:2]
    if style == "phone":
        # A screen: slight blue cast, raised blacks and a moire of the pixel grid.
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        angle = rng.uniform(0, math.pi)
        period = rng.uniform(3.0, 6.0)
        moire = 1.0 + 0.05 * np.sin((xx * math.cos(angle) + yy * math.sin(angle))
                                    * 2 * math.pi / period)
        photo = (photo * 0.9 + 18.0) * moire[..., None] * np.float32([1.06, 1.0, 0.96])
        border = max(4, round(0.06 * max(h, w)))
        colour = (12.0, 12.0, 14.0)
    else:
        border = max(4, round(0.05 * max(h, w)))
        colour = tuple(float(c) for c in rng.uniform(215, 245, 3))
    card = np.empty((h + 2 * border, w + 2 * border, 3), np.float32)
    card[:] = colour
    card[border:border + h, border:border + w] = photo
    return np.clip(card, 0, 255).astype(np.uint8)


def _background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A plain wall: a colour gradient with a few flat shapes (posters, a door frame)."""
    left, right = rng.uniform(40, 200, 3), rng.uniform(40, 200, 3)
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    scene = np.repeat(left + (right - left) * ramp, height, axis=0).astype(np.float32)
    for _ in range(int(rng.integers(2, 5))):
        x, y = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        w, h = int(rng.integers(40, width // 3)), int(rng.integers(40, height // 3))
        scene[y:y + h, x:x + w] = rng.uniform(30, 230, 3)
    return scene


class _HandMotion:
    """Smooth random hand motion: a few sinusoids per axis plus a fast tremor."""

    def __init__(self, rng: np.random.Generator) -> None:
        # (amplitude, [(frequency Hz, phase)]) per pose axis
        amplitudes = {"x": 0.08, "y": 0.06, "z": 0.12, "roll": 0.12, "yaw": 0.35, "pitch": 0.3}
        self.axes = {
            axis: (amp * rng.uniform(0.4, 1.0),
                   [(rng.uniform(0.15, 1.2), rng.uniform(0, 2 * math.pi)) for _ in range(3)])
            for axis, amp in amplitudes.items()
        }
        self.offset = {"x": rng.uniform(-0.12, 0.12), "y": rng.uniform(-0.08, 0.08),
                       "roll": rng.uniform(-0.1, 0.1)}
        self.tremor = [(rng.uniform(4.0, 9.0), rng.uniform(0, 2 * math.pi)) for _ in range(2)]
        self.tremor_amplitude = rng.uniform(0.001, 0.004)

    def pose(self, t: float) -> dict[str, float]:
        pose = {}
        for axis, (amp, waves) in self.axes.items():
            value = sum(math.sin(2 * math.pi * f * t + p) for f, p in waves) / len(waves)
            pose[axis] = self.offset.get(axis, 0.0) + amp * value
        shake = sum(math.sin(2 * math.pi * f * t + p) for f, p in self.tremor)
        pose["x"] += self.tremor_amplitude * shake
        pose["y"] += self.tremor_amplitude * shake * 0.7
        return pose


def _project_card(card_w: int, card_h: int, pose: dict[str, float], focal: float,
                  width: int, height: int) -> np.ndarray:
    """Image corners of the card (float32, 4x2) at `pose`; at rest it keeps its pixel size."""
    half_w, half_h = card_w / 2.0, card_h / 2.0
    corners = np.float32([[-half_w, -half_h, 0], [half_w, -half_h, 0],
                          [half_w, half_h, 0], [-half_w, half_h, 0]])
    rotation, _ = cv2.Rodrigues(np.float32([pose["pitch"], pose["yaw"], pose["roll"]]))
    distance = focal * (1.0 + pose["z"])
    centre = np.float32([pose["x"] * width, pose["y"] * height, distance])
    points = corners @ rotation.T.astype(np.float32) + centre
    projected = focal * points[:, :2] / points[:, 2:3]
    return (projected + np.float32([width / 2.0, height / 2.0])).astype(np.float32)


def _camera(scene: np.ndarray, t: float, rng: np.random.Generator) -> np.ndarray:
    """Exposure flicker, blur, sensor noise and JPEG, as a cheap webcam adds them."""
    gain = 1.0 + 0.06 * math.sin(2 * math.pi * 3.1 * t) + rng.normal(0.0, 0.02)
    image = scene * gain
    sigma = rng.uniform(0.4, 1.4)
    image = cv2.GaussianBlur(image, (0, 0), sigma)
    image = image + rng.normal(0.0, rng.uniform(2.0, 5.0), image.shape).astype(np.float32)
    image_u8 = np.clip(image, 0, 255).astype(np.uint8)
    quality = int(rng.integers(70, 90))
    ok, encoded = cv2.imencode(".jpg", image_u8, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR) if ok else image_u8
