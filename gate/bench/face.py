"""`gate bench face --json`: per-stage ms, arrival-to-unlock latency vs a naive baseline, RSS.

The process pins itself to one core (`os.sched_setaffinity`) and OpenCV to one thread,
as on a gate that shares its board with other work.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from gate.bench.arrivals import ArrivalRunner, enrolees_for, live_arrivals, play_naive
from gate.cli import print_json
from gate.config.face import LivenessConfig, RecogniserConfig
from gate.vision.detection import HogFaceDetector
from gate.vision.gallery import Gallery
from gate.vision.landmarks import landmarks_68
from gate.vision.liveness.registry import create_liveness
from gate.vision.recognisers.registry import create_recogniser
from hw_sim.datasets import faces_dir
from hw_sim.scenarios import video_clip

GALLERY_SIZES = (1_000, 10_000, 100_000)


def pin_to_one_core() -> int:
    """Run this process on one CPU only; returns which."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    cv2.setNumThreads(1)
    return cpu


def _timed(fn: Callable[[], object], repeats: int) -> dict[str, float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return {"p50": round(statistics.median(samples), 3), "p95": round(_p95(samples), 3)}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def stage_timings(frame_bgr: np.ndarray, repeats: int) -> dict[str, object]:
    """ms per stage on one 640x480 frame with one face."""
    ok, jpeg = cv2.imencode(".jpg", frame_bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
    detector = HogFaceDetector(480, upsample=0)
    face = detector.detect(rgb)[0]
    stages: dict[str, object] = {
        "decode": _timed(lambda: cv2.imdecode(jpeg, cv2.IMREAD_COLOR), repeats),
        "detect": _timed(lambda: detector.detect(rgb, with_landmarks=False), repeats),
        "landmarks": _timed(lambda: landmarks_68(rgb, face.box), repeats),
    }
    encode = {}
    for name in ("dlib", "sface"):
        recogniser = create_recogniser(RecogniserConfig(type=name))
        recogniser.encode(rgb, face)  # warm-up: first call loads/compiles
        encode[name] = _timed(lambda r=recogniser: r.encode(rgb, face), repeats)
    stages["encode"] = encode
    session = create_liveness(LivenessConfig()).start()
    from gate.vision.types import Frame

    counter = iter(range(10**9))
    stages["liveness_update"] = _timed(
        lambda: session.update(Frame(frame_bgr, next(counter) / 25.0, 0), face), repeats
    )
    rng = np.random.default_rng(0)
    match = {}
    for size in GALLERY_SIZES:
        vectors = rng.normal(size=(size, 128)).astype(np.float32)
        gallery = Gallery(((f"p{i}", v) for i, v in enumerate(vectors)), metric="cosine")
        probe = rng.normal(size=128).astype(np.float32)
        gallery.match(probe)  # builds the matrix once
        match[str(size)] = _timed(lambda g=gallery, p=probe: g.match(p), max(repeats, 20))
    stages["match"] = match
    return stages


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    return {"p50": round(statistics.median(values), 1), "p95": round(_p95(values), 1)}


def bench_face(root: Path, quick: bool = False) -> dict[str, object]:
    """Run every measurement; returns the JSON document."""
    cpu = pin_to_one_core()
    arrivals = live_arrivals(root)
    if quick:
        arrivals = arrivals[::4]
    runner = ArrivalRunner(arrivals)
    latencies: list[float] = []
    per_arrival = []
    try:
        for arrival in arrivals:
            latency, report = runner.play(arrival)
            per_arrival.append({
                "clip": arrival.path.name,
                "granted": latency is not None,
                "arrival_to_unlock_ms": None if latency is None else round(latency, 1),
                "reason": str(report.decision.reason) if report else "no_decision",
            })
            if latency is not None:
                latencies.append(latency)
        recogniser = runner.gate.recogniser.name
        encodings = runner.gate.controller.pipeline.encodings
        frames = runner.gate.controller.frames_processed
    finally:
        runner.close()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    naive = play_naive(arrivals, enrolees_for(arrivals))
    naive_ok = [n for n in naive if n is not None]
    ours = _percentiles(latencies)
    baseline = _percentiles(naive_ok)
    ratio = None
    if ours["p95"] and baseline["p95"]:
        ratio = round(baseline["p95"] / ours["p95"], 2)
    sample = video_clip(arrivals[0].path, "stage", "", max_seconds=1.0).images[5]
    return {
        "cpu_pinning": f"os.sched_setaffinity(0, {{{cpu}}}); cv2.setNumThreads(1)",
        "recogniser": recogniser,
        "stages_ms": stage_timings(sample, repeats=10 if quick else 30),
        "arrivals": len(arrivals),
        "granted": len(latencies),
        "arrival_to_unlock_ms": ours,
        "encodings_per_frame": round(encodings / max(1, frames), 3),
        "baseline_naive": {
            "method": "face_recognition face_locations + face_encodings + compare_faces on every "
                      "full frame, no liveness",
            "granted": len(naive_ok),
            "arrival_to_unlock_ms": baseline,
        },
        "baseline_p95_over_ours_p95": ratio,
        "peak_rss_mb": round(peak_rss_mb, 1),
        "per_arrival": per_arrival,
    }


def bench_face_command(as_json: bool, quick: bool) -> int:
    """CLI entry: print the JSON (or a short text summary)."""
    root = faces_dir()
    if root is None:
        print("shared face data absent (set GATE_SHARED_DATA); nothing to measure")  # noqa: T201
        return 2
    result = bench_face(root, quick=quick)
    if as_json:
        print_json(result)
    else:
        print(f"arrival_to_unlock_ms {result['arrival_to_unlock_ms']}  "  # noqa: T201
              f"baseline {result['baseline_naive']}  peak_rss_mb {result['peak_rss_mb']}")
    return 0
