"""Measure the plate detector alone on a labelled plates folder (dev tool; prints JSON).

    python -m gate.eval.plate_detection DIR [--faces DIR] [--threads 1]

DIR has the shared dev set's layout (`scenes/`, `crops/`, optionally `train/`, each with a
`labels.csv`). Reports, overall and per plate colour: detect recall (some candidate's box
has IoU >= 0.5 with the labelled box), top-1 recall, candidates per image, mean corner
error (px) of the best-matching candidate, and ms per frame (mean, median, max). Parts:
the scenes as they are, the same scenes re-framed as 1280x720 gate-camera frames, the
tight crops padded onto a canvas, every 4th training crop padded, and (with `--faces`)
face images, which hold no plates. `gate eval plates` measures the whole read instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gate.errors import GateError
from gate.eval.plate_data import PlateScene, read_crops, read_scenes
from gate.vision.images import read_image
from gate.vision.plates.corners import order_corners
from gate.vision.plates.detector import ClassicalPlateDetector
from gate.vision.plates.types import PlateCandidate, PlateDetector
from gate.vision.types import Box

IOU_FOUND = 0.5
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


@dataclass(frozen=True)
class Target:
    """One plate the detector should find in a frame."""

    colour: str
    box: Box
    corners: np.ndarray | None  # ordered TL, TR, BR, BL, when labelled


def best_match(cands: Sequence[PlateCandidate], box: Box) -> tuple[int, float]:
    """Index and IoU of the candidate overlapping `box` most (-1, 0.0 when none)."""
    best, best_iou = -1, 0.0
    for i, cand in enumerate(cands):
        iou = cand.box.iou(box)
        if iou > best_iou:
            best, best_iou = i, iou
    return best, best_iou


def timed_detect(detector: PlateDetector, image: np.ndarray) -> tuple[list[PlateCandidate], float]:
    """The detector's candidates and the milliseconds it took."""
    start = time.perf_counter()
    cands = detector.detect(image)
    return cands, (time.perf_counter() - start) * 1000.0


def _timing(ms: list[float]) -> dict[str, float]:
    return {
        "ms_per_image": round(float(np.mean(ms)), 1),
        "ms_median": round(float(np.median(ms)), 1),
        "ms_max": round(float(np.max(ms)), 1),
    }


def _summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    errors = [r["corner_err"] for r in rows if r["found"] and r["corner_err"] is not None]
    return {
        "plates": n,
        "detect_recall": round(sum(r["found"] for r in rows) / n, 3),
        "top1_recall": round(sum(r["top1"] for r in rows) / n, 3),
        "corner_error_px": round(float(np.mean(errors)), 2) if errors else None,
    }


def evaluate_frames(
    detector: PlateDetector, frames: Iterable[tuple[np.ndarray, list[Target]]]
) -> dict[str, Any]:
    """Recall overall and by colour, candidates per frame and timing, for labelled frames."""
    by_colour: dict[str, list[dict[str, Any]]] = defaultdict(list)
    counts: list[int] = []
    times: list[float] = []
    for image, targets in frames:
        cands, ms = timed_detect(detector, image)
        counts.append(len(cands))
        times.append(ms)
        for target in targets:
            idx, iou = best_match(cands, target.box)
            found = iou >= IOU_FOUND
            err = None
            if found and target.corners is not None:
                err = float(np.linalg.norm(cands[idx].corners - target.corners, axis=1).mean())
            by_colour[target.colour].append(
                {"found": found, "top1": found and idx == 0, "corner_err": err}
            )
    if not times:
        return {"frames": 0}
    report: dict[str, Any] = {"frames": len(times)}
    report.update(_summarise([r for rows in by_colour.values() for r in rows]))
    report["candidates_per_image"] = round(float(np.mean(counts)), 2)
    report.update(_timing(times))
    report["by_colour"] = {c: _summarise(rows) for c, rows in sorted(by_colour.items())}
    return report


def _target(scene: PlateScene, scale: float = 1.0, top: int = 0) -> Target:
    corners = None
    if scene.corners is not None:
        corners = order_corners(scene.corners * np.float32(scale) - np.float32([0, top]))
    box = Box(
        round(scene.box.x1 * scale), round(scene.box.y1 * scale) - top,
        round(scene.box.x2 * scale), round(scene.box.y2 * scale) - top,
    )
    return Target(scene.colour, box, corners)


def scene_frames(scenes: list[PlateScene]) -> list[tuple[np.ndarray, list[Target]]]:
    """Each scene image once, with all the plates labelled in it."""
    grouped: dict[Path, list[PlateScene]] = defaultdict(list)
    for scene in scenes:
        grouped[scene.path].append(scene)
    return [(read_image(path), [_target(s) for s in rows]) for path, rows in grouped.items()]


def reframe_1280x720(image: np.ndarray, scene: PlateScene) -> tuple[np.ndarray, Target]:
    """The scene scaled to 1280 px wide, cut to 720 rows around the plate (a gate camera's view)."""
    scale = 1280.0 / image.shape[1]
    big = cv2.resize(image, (1280, round(image.shape[0] * scale)), interpolation=cv2.INTER_LINEAR)
    if big.shape[0] < 720:
        big = cv2.copyMakeBorder(big, 0, 720 - big.shape[0], 0, 0, cv2.BORDER_REPLICATE)
    centre_y = (scene.box.y1 + scene.box.y2) / 2.0 * scale
    top = int(np.clip(centre_y - 420, 0, big.shape[0] - 720))
    return big[top:top + 720], _target(scene, scale, top)


def padded_crop(crop: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Box]:
    """A tight plate crop scaled to ~140 px wide, pasted on a 640x480 noisy grey canvas."""
    scale = 140.0 / crop.shape[1]
    plate = cv2.resize(crop, (140, min(200, max(8, round(crop.shape[0] * scale)))))
    canvas = rng.normal(110, 25, (480, 640, 3)).clip(0, 255).astype(np.uint8)
    canvas = cv2.GaussianBlur(canvas, (7, 7), 0)
    x, y = 250, 220
    canvas[y:y + plate.shape[0], x:x + plate.shape[1]] = plate
    return canvas, Box(x, y, x + plate.shape[1], y + plate.shape[0])


def _padded_crops(folder: Path, rng: np.random.Generator, step: int = 1) -> list[
    tuple[np.ndarray, list[Target]]
]:
    frames = []
    for crop in read_crops(folder)[::step]:
        canvas, box = padded_crop(read_image(crop.path), rng)
        frames.append((canvas, [Target(crop.colour, box, None)]))
    return frames


def faces_without_plates(detector: PlateDetector, faces: Path) -> dict[str, Any]:
    """Candidates the detector reports on face images (there are no plates to find)."""
    counts, times, top = [], [], []
    for path in sorted(p for p in faces.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        image = read_image(path)
        if min(image.shape[:2]) < 16:
            continue
        cands, ms = timed_detect(detector, image)
        counts.append(len(cands))
        times.append(ms)
        top.append(cands[0].score if cands else 0.0)
    if not counts:
        return {"images": 0}
    return {
        "images": len(counts),
        "candidates_per_image": round(float(np.mean(counts)), 2),
        "images_with_any": sum(1 for c in counts if c),
        "mean_top_score": round(float(np.mean(top)), 3),
        **_timing(times),
    }


def run(root: Path, faces: Path | None, detector: PlateDetector) -> dict[str, Any]:
    """All measurements on `root` (and `faces`, if given) as one JSON-able dict."""
    report: dict[str, Any] = {"dir": str(root), "detector": detector.name}
    scenes = read_scenes(root / "scenes")
    report["scenes"] = evaluate_frames(detector, scene_frames(scenes))
    reframed = []
    for scene in scenes:
        frame, target = reframe_1280x720(read_image(scene.path), scene)
        reframed.append((frame, [target]))
    report["scenes_1280x720"] = evaluate_frames(detector, reframed)
    rng = np.random.default_rng(0)
    if (root / "crops" / "labels.csv").is_file():
        report["crops_padded"] = evaluate_frames(detector, _padded_crops(root / "crops", rng))
    if (root / "train" / "labels.csv").is_file():
        train = evaluate_frames(detector, _padded_crops(root / "train", rng, step=4))
        train.pop("by_colour", None)  # training colours are mostly unlabelled
        report["train_padded_every_4th"] = train
    if faces is not None:
        report["faces_no_plates"] = faces_without_plates(detector, faces)
    return report


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: print the report as JSON; 2 on an unusable folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="plates folder (scenes/, crops/, train/)")
    parser.add_argument("--faces", type=Path, default=None, help="faces folder (negatives)")
    parser.add_argument("--threads", type=int, default=1, help="cv2.setNumThreads (default 1)")
    args = parser.parse_args(argv)
    if not (args.dir / "scenes" / "labels.csv").is_file():
        print(f"error: {args.dir} has no scenes/labels.csv", file=sys.stderr)  # noqa: T201
        return 2
    if args.faces is not None and not args.faces.is_dir():
        print(f"error: {args.faces} is not a folder", file=sys.stderr)  # noqa: T201
        return 2
    if args.threads < 1:
        print("error: --threads must be at least 1", file=sys.stderr)  # noqa: T201
        return 2
    cv2.setNumThreads(args.threads)
    try:
        report = run(args.dir, args.faces, ClassicalPlateDetector())
    except GateError as err:
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        return 2
    print(json.dumps(report, indent=1, ensure_ascii=False))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
