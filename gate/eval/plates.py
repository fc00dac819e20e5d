"""`gate eval plates DIR`: plate reading on labelled crops and plate finding on scenes.

DIR has the layout of the shared dev set (`crops/labels.csv`, `scenes/labels.csv`). Each
image is read once, as a single frame (no multi-frame voting: that only helps a gate).
A scene's reported plates are the valid-format reads at the gate's confidence threshold;
`false_plates` counts those that match no label in that image.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2

from gate.config.plate import PlateConfig
from gate.errors import GateError
from gate.eval.plate_data import PlateCrop, PlateScene, read_crops, read_scenes
from gate.runtime import build_plate_pipeline
from gate.vision.images import read_image
from gate.vision.plates.pipeline import PlatePipeline
from wire.plates import is_valid_plate

logger = logging.getLogger(__name__)
IOU_FOUND = 0.5


def _char_hits(read: str, label: str) -> int:
    """Characters of `label` matched in place (a length error costs the rest)."""
    return sum(1 for a, b in zip(read, label, strict=False) if a == b)


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def eval_crops(pipeline: PlatePipeline, crops: list[PlateCrop]) -> dict[str, Any]:
    """`n`, `plate_exact`, `char_accuracy`, `ms_per_image`, and the same per colour."""
    groups: dict[str, list[tuple[bool, int, int]]] = defaultdict(list)
    seconds = 0.0
    misreads = []
    for crop in crops:
        image = read_image(crop.path)
        started = time.perf_counter()
        read = pipeline.read_crop(image)
        seconds += time.perf_counter() - started
        exact = read.text == crop.label
        if not exact:
            misreads.append({"file": crop.path.name, "label": crop.label, "read": read.text})
        groups[crop.colour].append((exact, _char_hits(read.text, crop.label), len(crop.label)))

    def summary(rows: list[tuple[bool, int, int]]) -> dict[str, Any]:
        return {"n": len(rows), "plate_exact": _rate(sum(r[0] for r in rows), len(rows)),
                "char_accuracy": _rate(sum(r[1] for r in rows), sum(r[2] for r in rows))}

    everything = [row for rows in groups.values() for row in rows]
    result = summary(everything)
    result["ms_per_image"] = round(1000.0 * seconds / max(1, len(crops)), 2)
    result["by_colour"] = {colour: summary(rows) for colour, rows in sorted(groups.items())}
    result["misreads"] = misreads
    return result


def eval_scenes(pipeline: PlatePipeline, scenes: list[PlateScene],
                min_confidence: float) -> dict[str, Any]:
    """`n_plates`, `detect_recall`, `plate_exact`, `false_plates`, `ms_per_image`, per colour."""
    by_image: dict[Path, list[PlateScene]] = defaultdict(list)
    for scene in scenes:
        by_image[scene.path].append(scene)
    found: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    false_plates, seconds, misses = 0, 0.0, []
    for path, labelled in by_image.items():
        image = read_image(path)
        started = time.perf_counter()
        results = pipeline.read_frame(image)
        seconds += time.perf_counter() - started
        reported = {read.text for _, _, read in results
                    if read.confidence >= min_confidence and is_valid_plate(read.text)}
        labels = {scene.label for scene in labelled}
        false_plates += len(reported - labels)
        for scene in labelled:
            detected = any(c.box.iou(scene.box) >= IOU_FOUND for c, _, _ in results)
            exact = scene.label in reported
            found[scene.colour].append((detected, exact))
            if not exact:
                misses.append({"file": path.name, "label": scene.label, "detected": detected,
                               "reported": sorted(reported)})

    def summary(rows: list[tuple[bool, bool]]) -> dict[str, Any]:
        return {"n_plates": len(rows), "detect_recall": _rate(sum(r[0] for r in rows), len(rows)),
                "plate_exact": _rate(sum(r[1] for r in rows), len(rows))}

    everything = [row for rows in found.values() for row in rows]
    result = summary(everything)
    result["false_plates"] = false_plates
    result["n_images"] = len(by_image)
    result["ms_per_image"] = round(1000.0 * seconds / max(1, len(by_image)), 2)
    result["by_colour"] = {colour: summary(rows) for colour, rows in sorted(found.items())}
    result["misses"] = misses
    return result


def eval_plates(root: Path, config: PlateConfig | None = None) -> dict[str, Any]:
    """Both protocols on `root` (either part may be absent, then it is null)."""
    config = config or PlateConfig()
    cv2.setNumThreads(1)  # one core, as on a busy Pi
    pipeline = build_plate_pipeline(config)
    report: dict[str, Any] = {"dir": str(root), "recogniser": pipeline.recogniser.name,
                              "detector": pipeline.detector.name, "threads": 1}
    crops_dir, scenes_dir = root / "crops", root / "scenes"
    report["crops"] = (eval_crops(pipeline, read_crops(crops_dir))
                       if (crops_dir / "labels.csv").is_file() else None)
    report["scenes"] = (eval_scenes(pipeline, read_scenes(scenes_dir), config.min_confidence)
                        if (scenes_dir / "labels.csv").is_file() else None)
    return report


def eval_plates_command(root: Path, as_json: bool) -> int:
    """CLI entry: print the report (JSON or a short summary); 2 when DIR is unusable."""
    if not root.is_dir():
        print(f"error: {root} is not a folder", file=sys.stderr)  # noqa: T201
        return 2
    try:
        report = eval_plates(root)
    except GateError as err:
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        return 2
    if report["crops"] is None and report["scenes"] is None:
        print(f"error: {root} has neither crops/labels.csv nor scenes/labels.csv",  # noqa: T201
              file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))  # noqa: T201
        return 0
    for part in ("crops", "scenes"):
        section = report[part]
        if section is not None:
            brief = {k: v for k, v in section.items() if k not in ("misreads", "misses")}
            print(part, json.dumps(brief, ensure_ascii=False))  # noqa: T201
    return 0
