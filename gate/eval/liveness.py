"""Liveness evaluation: live videos must pass quickly, every photo attack must be refused.

Trials replay frames in frame time (a video's own index / fps; hw_sim replays at 25 fps)
through the real detector and landmarks, one liveness session per trial, starting at the
first frame with a face. A live trial passes only on a LIVE verdict; a spoof trial is
refused unless the verdict becomes LIVE (SPOOF, still undecided when the clip ends, or no face
at all: the door stays shut in each case). Spoof replays run past the 3 s liveness timeout
(spoof videos shorter than that play forwards and back, as an attacker keeps waving), so a
refused spoof normally ends as SPOOF `liveness_timeout`. Used by `gate eval faces`.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from gate.config.face import LivenessConfig
from gate.vision.detection import HogFaceDetector
from gate.vision.liveness.base import LivenessCheck, LivenessVerdict
from gate.vision.liveness.registry import create_liveness
from gate.vision.types import Frame
from hw_sim.datasets import identity_images, read_face_labels
from hw_sim.photo_attack import hand_moved_photo_frames, still_photo_frames
from hw_sim.video import read_video_frames

logger = logging.getLogger(__name__)

LIVE_KINDS = ("video_live", "video_blink")
REPLAY_SECONDS = 3.4  # past LivenessConfig.max_seconds (at most 3 s): spoofs must time out
REPLAY_FPS = 25.0


@dataclass
class TrialResult:
    """Outcome of one replay through one liveness session."""

    name: str
    category: str
    verdict: str  # live / spoof / undecided / no_face
    reason: str
    decision_ms: float | None  # frame time from the first face to a LIVE/SPOOF verdict
    frames: int
    update_ms: list[float] = field(default_factory=list)


def run_trial(frames: Iterable[Frame], check: LivenessCheck, detector: HogFaceDetector,
              name: str, category: str) -> TrialResult:
    """Feed `frames` (largest face of each) to a fresh session until it decides."""
    session = None
    first_face_at: float | None = None
    update_ms: list[float] = []
    count = 0
    for frame in frames:
        count += 1
        faces = detector.detect(cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB))
        if not faces:
            continue  # no track yet (or lost for a frame): the gate starts nothing
        if session is None:
            session, first_face_at = check.start(), frame.captured_at
        started = time.perf_counter()
        result = session.update(frame, faces[0])
        update_ms.append((time.perf_counter() - started) * 1000.0)
        if result.verdict != LivenessVerdict.UNDECIDED:
            decided_ms = (frame.captured_at - (first_face_at or 0.0)) * 1000.0
            return TrialResult(name, category, str(result.verdict), result.reason,
                               decided_ms, count, update_ms)
    if session is None:
        return TrialResult(name, category, "no_face", "no_face_detected", None, count)
    return TrialResult(name, category, "undecided", "clip_ended", None, count, update_ms)


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    return {"p50": round(float(np.percentile(values, 50)), 1),
            "p95": round(float(np.percentile(values, 95)), 1)}


def _summary(trials: list[TrialResult], live: bool) -> dict[str, object]:
    verdicts = [t.verdict for t in trials]
    good = sum(v == "live" for v in verdicts) if live else sum(v != "live" for v in verdicts)
    summary: dict[str, object] = {
        "count": len(trials),
        "passed" if live else "refused": good,
        "rate": round(good / len(trials), 4) if trials else None,
        "verdicts": {v: verdicts.count(v) for v in sorted(set(verdicts))},
    }
    failures = [t.name for t in trials if (t.verdict != "live") == live]
    if failures:
        summary["failures"] = failures
    return summary


# (name, category, a function making its frames): frames are made lazily, one trial at a time.
Trial = tuple[str, str, Callable[[], list[Frame]]]


def _video_trials(faces_root: Path) -> list[Trial]:
    trials: list[Trial] = []
    for row in read_face_labels(faces_root):
        if row.kind in LIVE_KINDS:
            trials.append((row.path.name, row.kind,
                           lambda path=row.path: read_video_frames(path)))
        elif row.kind == "video_spoof":
            trials.append((row.path.name, row.kind,
                           lambda path=row.path: back_and_forth(read_video_frames(path),
                                                                REPLAY_SECONDS)))
    return trials


def back_and_forth(frames: list[Frame], seconds: float) -> list[Frame]:
    """`frames` played forwards, backwards, forwards ... until `seconds` of frame time.

    Frame time keeps running at the clip's own rate; the pictures repeat mirrored in time.
    """
    if len(frames) < 2:
        return frames
    step = frames[1].captured_at - frames[0].captured_at
    cycle = frames + frames[-2:0:-1]
    count = max(len(frames), int(round(seconds / step)) + 1)
    return [Frame(image=cycle[i % len(cycle)].image, captured_at=i * step, index=i,
                  source=frames[0].source) for i in range(count)]


def _photo_trials(faces_root: Path) -> list[Trial]:
    trials = []
    for row in read_face_labels(faces_root):
        if row.kind == "liveness_still" and row.label == "spoof":
            trials.append((row.path.name, "spoof_still",
                           lambda path=row.path: still_photo_frames(
                               _read_image(path), REPLAY_SECONDS, REPLAY_FPS)))
    paths = [p for files in identity_images(faces_root).values() for p in files]
    for path in paths:
        # A seed from the file name: stable across runs and machines.
        seed = zlib.crc32(path.name.encode("utf-8"))
        trials.append((path.name, "identity_still",
                       lambda path=path, seed=seed: still_photo_frames(
                           _read_image(path), REPLAY_SECONDS, REPLAY_FPS, seed=seed)))
        trials.append((path.name, "identity_hand_moved",
                       lambda path=path, seed=seed: hand_moved_photo_frames(
                           _read_image(path), REPLAY_SECONDS, REPLAY_FPS, seed=seed)))
    return trials


def _read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)  # drops alpha, expands greyscale
    if image is None:
        raise ValueError(f"cannot decode {path.name}")
    return image


def _sample(trials: list[Trial], per_category: int | None) -> list[Trial]:
    """At most `per_category` trials of each category, spread over the list."""
    if per_category is None:
        return trials
    kept: list[Trial] = []
    for category in dict.fromkeys(t[1] for t in trials):
        group = [t for t in trials if t[1] == category]
        step = max(1, len(group) // per_category)
        kept.extend(group[::step][:per_category])
    return kept


def evaluate_liveness(faces_root: Path, config: LivenessConfig | None = None,
                      detect_width_px: int = 480, sample_per_category: int | None = None
                      ) -> dict[str, object]:
    """Liveness metrics over the dev faces set (see the module docstring).

    `sample_per_category` replays only that many trials of each category: for quick tests.
    """
    check = create_liveness(config or LivenessConfig())
    detector = HogFaceDetector(detect_width_px=detect_width_px)
    results: list[TrialResult] = []
    trials = _sample(_video_trials(faces_root) + _photo_trials(faces_root), sample_per_category)
    for index, (name, category, make_frames) in enumerate(trials, start=1):
        results.append(run_trial(make_frames(), check, detector, name, category))
        logger.info("liveness eval %s/%s %s: %s", index, len(trials), category,
                    results[-1].verdict)
    live = [r for r in results if r.category in LIVE_KINDS]
    spoof = [r for r in results if r.category not in LIVE_KINDS]
    categories = sorted({r.category for r in results})
    updates = [ms for r in results for ms in r.update_ms]
    live_summary = _summary(live, live=True)
    spoof_summary = _summary(spoof, live=False)
    return {
        "check": check.name,
        "live_pass_rate": live_summary["rate"],
        "live_decision_ms": _percentiles(
            [r.decision_ms for r in live if r.verdict == "live" and r.decision_ms is not None]),
        "spoof_refuse_rate": spoof_summary["rate"],
        "spoof_decision_ms": _percentiles(
            [r.decision_ms for r in spoof if r.decision_ms is not None]),
        "update_ms": {**_percentiles(updates),
                      "mean": round(float(np.mean(updates)), 2) if updates else None},
        "live": live_summary,
        "spoof": spoof_summary,
        "by_category": {
            c: _summary([r for r in results if r.category == c], live=c in LIVE_KINDS)
            for c in categories
        },
        "live_clips": {
            r.name: {"kind": r.category, "verdict": r.verdict, "reason": r.reason,
                     "decision_ms": None if r.decision_ms is None else round(r.decision_ms, 1)}
            for r in live
        },
    }
