"""A simulated live person made from one photo: the mouth talks, the eyes blink, the head sways.

Only for demos on machines without the dev videos: local, feathered stretches of the mouth
and eye regions found by the face's own 68 landmarks (non-rigid motion, as a live face has),
plus a small sideways sway and sensor noise. A stand-in for a person, not a realistic one,
and labelled as such wherever it is used. (A whole-face warp was tried first: it moved the
landmarks enough to spoil the identity embedding.)
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from gate.vision.types import Frame


def _stretch_patch(image: np.ndarray, centre: np.ndarray, half: np.ndarray,
                   factor: float) -> None:
    """Stretch a small patch vertically about its centre, feathered into the image (in place)."""
    x0, y0 = (centre - half).astype(int)
    x1, y1 = (centre + half).astype(int)
    height, width = image.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    patch = image[y0:y1, x0:x1]
    if patch.size == 0:
        return
    h, w = patch.shape[:2]
    matrix = np.float32([[1, 0, 0], [0, factor, (1 - factor) * h / 2]])
    moved = cv2.warpAffine(patch, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    weight = np.clip(1 - np.maximum(np.abs(xx / w - 0.5), np.abs(yy / h - 0.5)) * 2, 0, 1)
    weight = (weight**0.5)[..., None]
    image[y0:y1, x0:x1] = (moved * weight + patch * (1 - weight)).astype(np.uint8)


def talking_head_frames(
    image_bgr: np.ndarray, landmarks: np.ndarray, seconds: float = 3.0, fps: float = 25.0,
    seed: int = 0,
) -> list[Frame]:
    """Frames of the photo's person talking (mouth opening) and blinking in front of a camera.

    The motion is local (mouth and eye patches stretched, feathered), so the rest of the face,
    and with it the person's identity, stays as in the photo.
    """
    rng = np.random.default_rng(seed)
    marks = landmarks.astype(np.float32)
    mouth = marks[48:68]
    mouth_centre = mouth.mean(axis=0)
    mouth_half = np.array([np.ptp(mouth[:, 0]) * 0.8, np.ptp(mouth[:, 1]) * 1.4], np.float32)
    eyes = [marks[36:42], marks[42:48]]
    frames = []
    for index in range(max(1, round(seconds * fps))):
        t = index / fps
        frame = image_bgr.copy()
        speech = max(0.0, math.sin(2 * math.pi * 2.2 * t))
        _stretch_patch(frame, mouth_centre, mouth_half, 1.0 + 0.35 * speech)
        phase = (t % 1.6) / 1.6
        if phase < 0.12:  # a blink: the eyes squeezed shut for ~0.2 s
            for eye in eyes:
                half = np.array([np.ptp(eye[:, 0]) * 0.9, np.ptp(eye[:, 1]) * 2.5 + 2],
                                np.float32)
                _stretch_patch(frame, eye.mean(axis=0), half, 0.35)
        shift = 3.0 * math.sin(2 * math.pi * 0.3 * t)
        moved = cv2.warpAffine(frame, np.float32([[1, 0, shift], [0, 1, 0]]),
                               (frame.shape[1], frame.shape[0]), borderMode=cv2.BORDER_REPLICATE)
        noisy = moved.astype(np.float32) + rng.normal(0, 2.0, moved.shape)
        frames.append(Frame(np.clip(noisy, 0, 255).astype(np.uint8), t, index,
                            "hw_sim:talking_head"))
    return frames
