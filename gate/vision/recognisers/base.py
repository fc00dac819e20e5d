"""The recogniser interface: a face in, a fixed-length float32 embedding out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Literal

import numpy as np

from gate.vision.types import DetectedFace


class Recogniser(ABC):
    """Turns one detected face into an embedding comparable within the same recogniser.

    `metric` says how the gallery compares embeddings: `euclidean` (dlib, 0.6 is
    face_recognition's tolerance) or `cosine` (1 - cosine similarity).
    """

    name: ClassVar[str]
    metric: ClassVar[Literal["euclidean", "cosine"]]
    dimension: ClassVar[int]
    default_threshold: ClassVar[float]
    default_margin: ClassVar[float]

    @abstractmethod
    def encode(self, image_rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """Embedding (float32, shape (dimension,)) of `face` in the RGB uint8 `image_rgb`.

        `face.landmarks` (68 dlib points, full-frame pixels) is filled in by the
        pipeline before this is called; recognisers align from it.
        """
