"""The SFace variants measured for docs/face-recognition.md's curves (not selectable by a gate)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from gate.eval.face_curve import CURVE_RECOGNISERS, THRESHOLDS
from gate.eval.face_variants import VARIANTS, least_squares_similarity
from gate.vision.detection import HogFaceDetector
from gate.vision.gallery import distance
from gate.vision.images import read_image
from gate.vision.recognisers.registry import RECOGNISER_TYPES
from gate.vision.recognisers.sface_recogniser import SFaceRecogniser


def test_least_squares_similarity_recovers_a_known_transform() -> None:
    angle, scale, shift = np.deg2rad(12.0), 0.8, np.array([5.0, -3.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    source = np.array([[10, 20], [40, 22], [25, 35], [14, 50], [38, 51]], dtype=np.float64)
    target = source @ (scale * rotation).T + shift
    matrix = least_squares_similarity(source, target)
    assert matrix == pytest.approx(np.hstack([scale * rotation, shift[:, None]]), abs=1e-9)


def test_variants_are_curved_but_never_selectable_by_a_gate() -> None:
    assert set(VARIANTS) <= set(CURVE_RECOGNISERS) and set(VARIANTS) <= set(THRESHOLDS)
    assert not set(VARIANTS) & set(RECOGNISER_TYPES)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_embeds_a_real_face_near_the_shipped_sface(name: str, faces_root: Path) -> None:
    image = read_image(faces_root / "identities" / "ea_d02" / "Wen_Jiabao_0001.jpg")
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    face = HogFaceDetector(480, 2).detect(rgb)[0]
    vector = VARIANTS[name]().encode(rgb, face)
    assert vector.shape == (128,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    # Same network, a slightly different crop: the same face, not a different person.
    assert distance(vector, SFaceRecogniser().encode(rgb, face), "cosine") < 0.15
