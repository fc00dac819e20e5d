"""A simulated live person made from one photo: the jaw talks, the eyes blink, the head sways.

Only for demos on machines without the dev videos: a smooth non-rigid warp driven by the
face's own 68 landmarks (radial-basis interpolation of landmark displacements, applied with
`cv2.remap`), plus small rigid head motion and sensor noise. It is a stand-in for a person,
not a realistic one, and is labelled as such wherever it is used.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from gate.vision.types import Frame

_UPPER_LIDS = (37, 38, 43, 44)
_LOWER_FACE = tuple(range(5, 12)) + tuple(range(56, 60)) + tuple(range(65, 68))
_MOUTH_OPENING = tuple(range(48, 68))


def _displacements(landmarks: np.ndarray, t: float, face_height: float) -> np.ndarray:
    moves = np.zeros_like(landmarks)
    jaw = 0.045 * face_height * max(0.0, math.sin(2 * math.pi * 2.2 * t))
    for index in _LOWER_FACE:
        moves[index, 1] += jaw
    for index in _MOUTH_OPENING:
        moves[index, 1] += 0.3 * jaw
    phase = (t % 1.6) / 1.6
    blink = 0.03 * face_height * math.sin(math.pi * phase / 0.12) if phase < 0.12 else 0.0
    for index in _UPPER_LIDS:
        moves[index, 1] += blink
    return moves


def _warp(image: np.ndarray, sources: np.ndarray, moves: np.ndarray, sigma: float) -> np.ndarray:
    """Backward map: each output pixel samples the input at itself minus the interpolated move."""
    height, width = image.shape[:2]
    diff = sources[:, None, :] - sources[None, :, :]
    kernel = np.exp(-(diff**2).sum(-1) / (2 * sigma**2)) + 1e-6 * np.eye(len(sources))
    weights = np.linalg.solve(kernel, moves)
    step = 4  # evaluate on a coarse grid, then upsample the field
    ys, xs = np.mgrid[0:height:step, 0:width:step].astype(np.float32)
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
    dist = ((grid[:, None, :] - sources[None, :, :]) ** 2).sum(-1)
    field = np.exp(-dist / (2 * sigma**2)) @ weights
    field_x = cv2.resize(field[:, 0].reshape(xs.shape), (width, height))
    field_y = cv2.resize(field[:, 1].reshape(ys.shape), (width, height))
    map_x, map_y = np.meshgrid(np.arange(width, dtype=np.float32),
                               np.arange(height, dtype=np.float32))
    map_x = (map_x - field_x).astype(np.float32)
    map_y = (map_y - field_y).astype(np.float32)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def talking_head_frames(
    image_bgr: np.ndarray, landmarks: np.ndarray, seconds: float = 3.0, fps: float = 25.0,
    seed: int = 0,
) -> list[Frame]:
    """Frames of the photo's person talking and blinking in front of a camera."""
    rng = np.random.default_rng(seed)
    height, width = image_bgr.shape[:2]
    face_height = float(np.ptp(landmarks[:, 1])) or height / 3
    frames = []
    for index in range(max(1, round(seconds * fps))):
        t = index / fps
        warped = _warp(image_bgr, landmarks.astype(np.float32),
                       _displacements(landmarks, t, face_height).astype(np.float32),
                       sigma=0.12 * face_height)
        angle = 2.0 * math.sin(2 * math.pi * 0.5 * t)
        shift = 3.0 * math.sin(2 * math.pi * 0.3 * t)
        rigid = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        rigid[0, 2] += shift
        moved = cv2.warpAffine(warped, rigid, (width, height), borderMode=cv2.BORDER_REPLICATE)
        noisy = moved.astype(np.float32) + rng.normal(0, 2.0, moved.shape)
        frames.append(Frame(np.clip(noisy, 0, 255).astype(np.uint8), t, index,
                            "hw_sim:talking_head"))
    return frames
