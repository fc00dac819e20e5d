"""`gate eval faces DIR`: detection, 1:1 verification and open-set 1:N on a labelled faces folder.

DIR has the layout of the shared dev set: `identities/<id>/<photo>` (one face
per photo) and `pairs.csv` (`file_a,file_b,same`, paths relative to DIR).
Every decision uses the gate's own match rule and operating point
(`gate.vision.gallery.decide` with the recogniser's threshold and margin).
"""

from __future__ import annotations

import csv
import importlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gate.config.face import RecogniserConfig
from gate.errors import GateError, ImageError
from gate.eval.face_protocols import (
    EncodedImage,
    EncodedSet,
    all_pair_distances,
    open_set,
    tar_at_far,
    verification_at,
)
from gate.vision.detection import HogFaceDetector
from gate.vision.images import read_image
from gate.vision.recognisers.base import Recogniser
from gate.vision.recognisers.registry import (
    create_recogniser,
    effective_margin,
    effective_threshold,
)

logger = logging.getLogger(__name__)

EAST_ASIAN_PREFIX = "ea_"
SMALL_IMAGE_PX = 400  # below this long side, HOG needs 2x upsampling to find the face
DETECT_WIDTH_PX = 480  # the gate's default detection width (face.detect_width_px)


class DatasetError(GateError, ValueError):
    """The evaluation folder does not have the expected layout."""


def identity_paths(root: Path) -> dict[str, list[Path]]:
    """identities/<id>/ photos by identity, both sorted (ids, then file names)."""
    folder = root / "identities"
    if not folder.is_dir():
        raise DatasetError(f"{root} has no identities/ folder")
    return {
        person.name: sorted(p for p in person.iterdir() if p.is_file())
        for person in sorted(folder.iterdir())
        if person.is_dir()
    }


def encode_dataset(
    root: Path, recogniser: Recogniser
) -> tuple[dict[str, list[EncodedImage]], dict[str, float | int]]:
    """Detect (largest face) and encode every identity photo; also counts and timing."""
    detectors = {1: HogFaceDetector(DETECT_WIDTH_PX, 1), 2: HogFaceDetector(DETECT_WIDTH_PX, 2)}
    encoded: dict[str, list[EncodedImage]] = {}
    images = no_face = 0
    elapsed = 0.0
    for person, paths in identity_paths(root).items():
        rows = encoded.setdefault(person, [])
        for path in paths:
            relative = path.relative_to(root).as_posix()
            try:
                rgb = cv2.cvtColor(read_image(path), cv2.COLOR_BGR2RGB)
            except ImageError:
                logger.warning("skipping unreadable image %s", relative)
                continue
            images += 1
            started = time.perf_counter()
            upsample = 2 if max(rgb.shape[:2]) < SMALL_IMAGE_PX else 1
            faces = detectors[upsample].detect(rgb)
            vector = recogniser.encode(rgb, faces[0]) if faces else None
            elapsed += time.perf_counter() - started
            if vector is None:
                no_face += 1
                logger.info("no face found in %s", relative)
            rows.append(EncodedImage(relative, person, vector))
    stats = {
        "images": images,
        "no_face": no_face,
        "ms_per_image": round(1000.0 * elapsed / images, 1) if images else 0.0,
    }
    return encoded, stats


def read_pairs(
    root: Path, encoded: EncodedSet
) -> list[tuple[EncodedImage, EncodedImage, bool]]:
    """pairs.csv rows resolved to encoded images (rows naming unknown files are skipped)."""
    by_path = {image.path: image for rows in encoded.values() for image in rows}
    pairs = []
    with (root / "pairs.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            first, second = by_path.get(row["file_a"]), by_path.get(row["file_b"])
            if first is None or second is None:
                logger.warning("pairs.csv names a file that was not encoded; row skipped")
                continue
            pairs.append((first, second, row["same"].strip() == "1"))
    return pairs


def _liveness(root: Path) -> dict[str, Any]:
    """The liveness evaluation's result under "liveness", or why it is absent."""
    try:
        module = importlib.import_module("gate.eval.liveness")
    except ImportError as err:
        logger.warning("liveness evaluation unavailable: %s", err)
        return {"liveness_unavailable": f"gate.eval.liveness cannot be imported: {err}"}
    try:
        return {"liveness": module.evaluate_liveness(root)}
    except (OSError, GateError) as err:  # e.g. a folder without labels.csv or videos
        logger.warning("liveness evaluation failed: %s", err)
        return {"liveness_unavailable": f"liveness evaluation failed: {err}"}


def evaluate_faces(
    root: Path, recogniser_name: str | None = None, *, include_liveness: bool = True
) -> dict[str, Any]:
    """Every face metric of `gate eval faces` as a JSON-ready dict (see module docstring)."""
    root = Path(root)
    config = RecogniserConfig() if recogniser_name is None else RecogniserConfig(
        type=recogniser_name  # type: ignore[arg-type]  # pydantic validates the name
    )
    recogniser = create_recogniser(config)
    threshold, margin = effective_threshold(config), effective_margin(config)
    metric = recogniser.metric
    ratio = config.person_threshold_ratio
    encoded, stats = encode_dataset(root, recogniser)
    same, different = all_pair_distances(encoded, metric)
    verification = verification_at(read_pairs(root, encoded), metric, threshold)
    verification["tar_at_far_1e-3"] = tar_at_far(same, different, 1e-3)
    east_asian = [p for p in encoded if p.startswith(EAST_ASIAN_PREFIX)]
    result: dict[str, Any] = {
        "recogniser": recogniser.name,
        "metric": metric,
        "threshold": threshold,
        "margin": margin,
        "person_threshold_ratio": ratio,
        **stats,
        "verification": verification,
        "open_set": open_set(encoded, metric, threshold, margin, per_person_ratio=ratio),
        "open_set_east_asian": open_set(
            encoded, metric, threshold, margin, identities=east_asian, per_person_ratio=ratio
        ),
        "open_set_east_asian_enrol2": open_set(
            encoded, metric, threshold, margin, enrol_per_person=2, identities=east_asian,
            per_person_ratio=ratio,
        ),
    }
    if include_liveness:
        result.update(_liveness(root))
    return result


def _summary_lines(result: dict[str, Any]) -> list[str]:
    lines = [
        f"recogniser {result['recogniser']}  threshold {result['threshold']}  "
        f"margin {result['margin']}",
        f"images {result['images']}  no face {result['no_face']}  "
        f"{result['ms_per_image']} ms/image",
    ]
    ver = result["verification"]
    lines.append(
        f"verification  TAR {ver['true_accept_rate']:.3f}  FAR {ver['false_accept_rate']:.3f}  "
        f"TAR@FAR1e-3 {ver['tar_at_far_1e-3']:.3f}"
    )
    for key in ("open_set", "open_set_east_asian", "open_set_east_asian_enrol2"):
        row = result[key]
        lines.append(
            f"{key:28s} correct {row['correct_accept_rate']:.3f}  "
            f"wrong id {row['wrong_identity_rate']:.3f}  "
            f"stranger {row['stranger_accept_rate']:.3f}"
        )
    if "liveness" not in result:
        lines.append(f"liveness: {result.get('liveness_unavailable', 'not evaluated')}")
    return lines


def eval_faces_command(
    root: Path, as_json: bool, recogniser: str | None, curve: bool = False
) -> int:
    """CLI body of `gate eval faces DIR [--json] [--recogniser NAME] [--curve]`."""
    root = Path(root)
    if not (root / "identities").is_dir() or not (root / "pairs.csv").is_file():
        sys.stderr.write(f"error: {root} needs identities/ and pairs.csv\n")
        return 2
    if curve:
        from gate.eval.face_curve import curve_markdown

        sys.stdout.write(curve_markdown(root) + "\n")
        return 0
    result = evaluate_faces(root, recogniser)
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, default=_json_default) + "\n")
    else:
        sys.stdout.write("\n".join(_summary_lines(result)) + "\n")
    return 0


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
