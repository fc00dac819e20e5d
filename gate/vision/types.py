"""Plain data passed between the vision stages."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One camera frame: BGR uint8 pixels and when it was captured (monotonic seconds)."""

    image: np.ndarray
    captured_at: float
    index: int
    source: str = ""


@dataclass(frozen=True)
class Box:
    """Axis-aligned box in pixels of the full frame; x2/y2 are exclusive."""

    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def width(self) -> int:
        return self.x2 - self.x1

    @property
    def height(self) -> int:
        return self.y2 - self.y1

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def iou(self, other: Box) -> float:
        """Intersection over union with another box (0 when disjoint)."""
        ix = max(0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0, min(self.y2, other.y2) - max(self.y1, other.y1))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def css(self) -> tuple[int, int, int, int]:
        """As face_recognition's (top, right, bottom, left)."""
        return (self.y1, self.x2, self.y2, self.x1)

    @classmethod
    def from_css(cls, css: tuple[int, int, int, int]) -> Box:
        top, right, bottom, left = css
        return cls(int(left), int(top), int(right), int(bottom))


@dataclass(frozen=True)
class DetectedFace:
    """A face found in a frame: its box and, once computed, dlib's 68 landmarks (x, y)."""

    box: Box
    score: float = 1.0
    landmarks: np.ndarray | None = None  # shape (68, 2), float32, full-frame pixels
    extra: dict[str, object] = field(default_factory=dict)
