"""Enrol a resident: check each photo (one face, big and sharp enough), store templates."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from gate.config import GateConfig
from gate.errors import EnrolmentError, ImageError
from gate.vision.detection import HogFaceDetector
from gate.vision.images import read_image
from gate.vision.quality import assess
from gate.vision.recognisers.base import Recogniser

logger = logging.getLogger(__name__)

ENROL_MIN_FACE_PX = 64
ENROL_MIN_SHARPNESS = 15.0
ENROL_MAX_YAW_RATIO = 0.4


@dataclass(frozen=True)
class EnrolmentTemplate:
    """One accepted photo's embedding and the hash of the photo it came from."""

    vector: np.ndarray
    source_sha256: str
    face_px: int


def template_from_image(
    image_bgr: np.ndarray,
    recogniser: Recogniser,
    detector: HogFaceDetector,
    name: str,
) -> EnrolmentTemplate:
    """Embedding of the single face in a photo; `EnrolmentError` says why a photo is refused."""
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    faces = detector.detect(rgb)
    if not faces and min(rgb.shape[:2]) < 400:
        # Small photos (ID-card crops, 160 px thumbnails) need one more upsampling to be found.
        faces = HogFaceDetector(detector.detect_width_px, upsample=2).detect(rgb)
    if not faces:
        raise EnrolmentError(f"{name}: no face found", "no_face")
    if len(faces) > 1:
        raise EnrolmentError(f"{name}: {len(faces)} faces found, exactly one expected",
                             "several_faces")
    face = faces[0]
    quality = assess(
        rgb, face, min_face_px=ENROL_MIN_FACE_PX, min_sharpness=ENROL_MIN_SHARPNESS,
        max_yaw_ratio=ENROL_MAX_YAW_RATIO,
    )
    if quality.failed == "too_small":
        raise EnrolmentError(
            f"{name}: face too small ({quality.face_px} px, at least {ENROL_MIN_FACE_PX} px)",
            "too_small",
        )
    if quality.failed == "blurred":
        raise EnrolmentError(
            f"{name}: face too blurred (sharpness {quality.sharpness:.0f}, "
            f"at least {ENROL_MIN_SHARPNESS:.0f})",
            "blurred",
        )
    if quality.failed == "not_frontal":
        raise EnrolmentError(f"{name}: face turned too far from the camera", "not_frontal")
    vector = recogniser.encode(rgb, face)
    digest = hashlib.sha256(np.ascontiguousarray(image_bgr).tobytes()).hexdigest()
    return EnrolmentTemplate(vector, digest, quality.face_px)


def templates_from_photos(
    photos: list[Path], recogniser: Recogniser, detector: HogFaceDetector
) -> list[EnrolmentTemplate]:
    """Templates of every photo; refuses the whole set if any photo is unusable."""
    if not photos:
        raise EnrolmentError("at least one photo is needed", "no_photos")
    templates = []
    for photo in photos:
        try:
            image = read_image(photo)
        except ImageError as err:
            raise EnrolmentError(str(err), "unreadable") from err
        templates.append(template_from_image(image, recogniser, detector, photo.name))
    return templates


def derive_person_id(name: str, unit: str) -> str:
    """A stable id from name and unit, so re-enrolling the same person updates them.

    It does not show the name, but it is a plain hash, not a secret: anyone holding the
    resident list can recompute it. Pass `--person-id` to use the community's own ids.
    """
    return "p-" + hashlib.sha256(f"{unit}\x00{name}".encode()).hexdigest()[:12]


def enroll_command(
    config: GateConfig,
    *,
    person_id: str | None,
    name: str,
    unit: str,
    groups: list[str],
    photos: list[Path],
) -> int:
    """`gate enroll`: check every photo, then store the resident and their templates."""
    from gate.clock import SystemClock
    from gate.policy.model import Person
    from gate.runtime import load_gallery, open_stores
    from gate.vision.recognisers.registry import (
        create_recogniser,
        effective_margin,
        effective_threshold,
    )

    recogniser = create_recogniser(config.face.recogniser)
    try:
        templates = templates_from_photos(photos, recogniser, HogFaceDetector(800, upsample=1))
    except EnrolmentError as err:
        print(f"refused: {err}")  # noqa: T201 - CLI output
        return 1
    person_id = person_id or derive_person_id(name, unit)
    stores = open_stores(config, SystemClock())
    try:
        directory = stores.directory
        with directory.batch():
            directory.upsert_person(Person(person_id, name, unit, groups=tuple(groups)))
            directory.delete_face_templates(person_id, recogniser.name)
            for template in templates:
                directory.add_face_template(person_id, recogniser.name, template.vector,
                                            template.source_sha256)
        # The same gallery load as the running gate: templates plus look-alike flags.
        load_gallery(directory, recogniser, effective_threshold(config.face.recogniser),
                     config.face.recogniser.person_threshold_ratio,
                     effective_margin(config.face.recogniser))
        person = directory.person(person_id)
        flagged = person is not None and person.lookalike_flag
        stores.event_log.append("resident_enrolled", subject=person_id,
                                evidence={"templates": len(templates),
                                          "recogniser": recogniser.name})
    finally:
        stores.close()
    note = " (flagged as a look-alike: card/PIN needed as well)" if flagged else ""
    print(f"enrolled {person_id} with {len(templates)} photo(s){note}")  # noqa: T201
    return 0
