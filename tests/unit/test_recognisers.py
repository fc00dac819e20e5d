"""Both recogniser plug-ins on real dev photos: the same person is closer than another."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from gate.config.face import RecogniserConfig
from gate.errors import ImageError
from gate.vision.detection import HogFaceDetector
from gate.vision.gallery import distance
from gate.vision.images import read_image
from gate.vision.recognisers.base import Recogniser
from gate.vision.recognisers.registry import (
    create_recogniser,
    effective_margin,
    effective_threshold,
)
from gate.vision.recognisers.sface_recogniser import SFaceModelError, SFaceRecogniser, model_path
from gate.vision.types import Box, DetectedFace

PHOTOS = {
    "obama_a": "identities/obama/ageitgey_obama.jpg",
    "obama_b": "identities/obama/ageitgey_obama2.jpg",
    "biden": "identities/biden/ageitgey_biden.jpg",
    "ea_a": "identities/ea_d02/Wen_Jiabao_0001.jpg",
    "ea_b": "identities/ea_d02/Wen_Jiabao_0003.jpg",
    "ea_other": "identities/ea_d04/Kim_Dae-jung_0001.jpg",
}


@pytest.fixture(scope="module")
def faces(faces_root: Path) -> dict[str, tuple[np.ndarray, DetectedFace]]:
    detector = HogFaceDetector(480, 2)
    found = {}
    for key, relative in PHOTOS.items():
        rgb = cv2.cvtColor(read_image(faces_root / relative), cv2.COLOR_BGR2RGB)
        found[key] = (rgb, detector.detect(rgb)[0])
    return found


@pytest.fixture(scope="module", params=["dlib", "sface"])
def recogniser(request: pytest.FixtureRequest) -> Recogniser:
    return create_recogniser(RecogniserConfig(type=request.param))


def test_embedding_has_declared_dimension_and_is_finite(recogniser: Recogniser, faces) -> None:
    vector = recogniser.encode(*faces["obama_a"])
    assert vector.shape == (recogniser.dimension,) and vector.dtype == np.float32
    assert np.all(np.isfinite(vector))


@pytest.mark.parametrize("same, other", [(("obama_a", "obama_b"), "biden"),
                                         (("ea_a", "ea_b"), "ea_other")])
def test_same_person_is_closer_than_a_different_person(
    recogniser: Recogniser, faces, same: tuple[str, str], other: str
) -> None:
    first, second, stranger = (recogniser.encode(*faces[k]) for k in (*same, other))
    assert distance(first, second, recogniser.metric) < distance(
        first, stranger, recogniser.metric
    )


def test_encode_refuses_a_face_without_landmarks(recogniser: Recogniser, faces) -> None:
    rgb, _ = faces["obama_a"]
    with pytest.raises(ImageError):
        recogniser.encode(rgb, DetectedFace(box=Box(0, 0, 100, 100)))


def test_encode_refuses_a_grey_image(recogniser: Recogniser, faces) -> None:
    rgb, face = faces["obama_a"]
    with pytest.raises(ImageError):
        recogniser.encode(rgb[:, :, 0], face)


def test_sface_refuses_an_altered_model_file(tmp_path: Path) -> None:
    altered = tmp_path / "sface.onnx"
    altered.write_bytes(model_path().read_bytes()[:-1] + b"\0")
    with pytest.raises(SFaceModelError):
        SFaceRecogniser(altered)


def test_operating_point_defaults_to_the_recogniser_and_config_overrides_it() -> None:
    default = RecogniserConfig(type="sface")
    assert effective_threshold(default) == SFaceRecogniser.default_threshold
    assert effective_margin(default) == SFaceRecogniser.default_margin
    tuned = RecogniserConfig(type="sface", threshold=0.3, margin=0.1)
    assert (effective_threshold(tuned), effective_margin(tuned)) == (0.3, 0.1)
