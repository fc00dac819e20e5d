"""SFace variants tried for East-Asian faces and not adopted, kept so their curves can be redrawn.

Not registered as recognisers (a gate cannot select them): `gate eval faces DIR --curve`
measures them beside `dlib` and `sface` (docs/face-recognition.md, "Approaches tried").
"""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np

from gate.vision.landmarks import five_points
from gate.vision.recognisers.dlib_recogniser import check_landmarks, check_rgb
from gate.vision.recognisers.sface_recogniser import (
    ARCFACE_TEMPLATE,
    CROP_PX,
    INPUT_NAME,
    SFaceModelError,
    SFaceRecogniser,
    align,
)
from gate.vision.types import DetectedFace


def least_squares_similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """2x3 similarity (rotation, uniform scale, shift) taking `source` onto `target`
    in the least-squares sense (Umeyama 1991), with no outlier rejection."""
    src, dst = source.astype(np.float64), target.astype(np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    u, singular, vt = np.linalg.svd(dst_c.T @ src_c / len(src))
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rotation = u @ sign @ vt
    scale = float(np.trace(np.diag(singular) @ sign)) / float(src_c.var(axis=0).sum())
    shift = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, shift[:, None]])


class _SFaceVariant(SFaceRecogniser):
    """The shipped SFace network, fed a crop made differently."""

    def _embed(self, aligned_rgb: np.ndarray) -> np.ndarray:
        """Unit-length embedding of an aligned 112x112 RGB crop (as SFaceRecogniser does)."""
        bgr = cv2.cvtColor(aligned_rgb, cv2.COLOR_RGB2BGR)
        blob = cv2.dnn.blobFromImage(bgr, 1.0, (CROP_PX, CROP_PX), swapRB=False)
        with self._lock:
            self._net.setInput(blob, INPUT_NAME)
            vector = np.asarray(self._net.forward(), dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm < 1e-12:
            raise SFaceModelError("SFace produced an empty embedding")
        return vector / norm


class SFaceLeastSquares(_SFaceVariant):
    """SFace on a crop aligned by a plain least-squares fit instead of LMEDS."""

    name: ClassVar[str] = "sface-lstsq"

    def encode(self, image_rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """Unit-length SFace embedding of the least-squares-aligned crop."""
        matrix = least_squares_similarity(five_points(check_landmarks(face)), ARCFACE_TEMPLATE)
        aligned = cv2.warpAffine(check_rgb(image_rgb), matrix, (CROP_PX, CROP_PX),
                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return self._embed(aligned)


class SFaceMirrored(_SFaceVariant):
    """SFace (LMEDS alignment, as shipped) averaged with the embedding of the mirrored crop."""

    name: ClassVar[str] = "sface-mirror"

    def encode(self, image_rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """Unit-length mean of the crop's and its mirror image's embeddings (2 forwards)."""
        aligned = align(check_rgb(image_rgb), check_landmarks(face))
        both = self._embed(aligned) + self._embed(np.ascontiguousarray(aligned[:, ::-1]))
        return both / float(np.linalg.norm(both))


VARIANTS: dict[str, type[_SFaceVariant]] = {
    SFaceLeastSquares.name: SFaceLeastSquares,
    SFaceMirrored.name: SFaceMirrored,
}
