"""`gate bench plate --json`: per-stage ms and arrival-to-lift latency of the vehicle gate.

One core (process affinity + one OpenCV thread). Residents' cars from the shared scenes
roll up to a simulated barrier camera in real time (frames the gate cannot keep up with are
dropped: it always reads the newest); `arrival_to_lift_ms` runs from the car's first frame
to the barrier relay energising. The baseline, measured in the same run on the same clips,
is the naive gate: read every frame and lift on the first frame whose best read is a
registered plate (no voting; faster, but one misread lifts for a neighbour's plate).
Clips are made one at a time, so the peak RSS is the gate's own.
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2

from gate.bench.arrivals import run_arrival
from gate.bench.face import pin_to_one_core
from gate.cli import print_json
from gate.clock import SystemClock
from gate.config.loader import load_config
from gate.controller import DecisionReport
from gate.demo import PROJECT_ROOT
from gate.eval.plate_data import PlateScene
from gate.policy.model import Group, Person
from gate.policy.schedule import always_open
from gate.runtime import build_gate, build_plate_pipeline
from hw_sim.door_physics import SimDoor
from hw_sim.replay_camera import Clip, ReplayCamera, ReplayFinishedError
from hw_sim.vehicle_clips import car_clip, empty_lane, plates_dir, scene_cars
from wire.plates import is_valid_plate

VEHICLE_CONFIG = PROJECT_ROOT / "config" / "gate.vehicle.demo.yaml"
LEAD_IN_SECONDS = 0.3


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _summary(values: list[float]) -> dict[str, float | None]:
    return {"p50": _p(values, 0.5), "p95": _p(values, 0.95)}


def _clip_for(scene: PlateScene, index: int) -> Clip:
    return car_clip(scene, f"car-{index}", "granted", stop_seconds=3.0, seed=index)


class _Lane:
    """A vehicle gate on a SimDoor in real time, every scene's plate registered."""

    def __init__(self, cars: list[PlateScene]) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="gate-bench-plate-")
        config = load_config(VEHICLE_CONFIG).model_copy(deep=True)
        config.storage.data_dir = Path(self._tmp.name)
        self.clock = SystemClock()
        self.door = SimDoor(self.clock, fail_mode=config.door.fail_mode)
        self.reports: list[DecisionReport] = []
        self.gate = build_gate(config, camera=ReplayCamera([empty_lane(0.2)], realtime=False),
                               door_hardware=self.door.hardware, clock=self.clock,
                               on_decision=self.reports.append)
        directory = self.gate.stores.directory
        with directory.batch():
            directory.upsert_schedule(always_open("always"))
            directory.upsert_group(Group("residents", "always"))
            for index, car in enumerate(cars):
                directory.upsert_person(Person(f"driver-{index}", f"Driver {index}", "1-1-101",
                                               groups=("residents",)))
                directory.upsert_vehicle(car.label, f"driver-{index}", "1-1-101")
        self.gate.door.start()

    def play(self, clip: Clip) -> tuple[float | None, DecisionReport | None]:
        camera, arrived_at = _start_replay(clip)
        return run_arrival(self.gate.controller, camera, self.reports, arrived_at)

    def close(self) -> None:
        self.gate.close()
        self.door.stop()
        self._tmp.cleanup()


def _start_replay(clip: Clip) -> tuple[ReplayCamera, float]:
    """A real-time replay of an empty lane, `clip`, an empty lane; and when the car arrives
    (monotonic seconds of the clip's first frame)."""
    lead_in = empty_lane(LEAD_IN_SECONDS)
    camera = ReplayCamera([lead_in, clip, empty_lane(0.5)], realtime=True)
    first = camera.read(1.0)  # starts the replay clock; frame 0 is at its start
    started = first.captured_at if first else time.monotonic()
    return camera, started + lead_in.seconds


def _naive(scenes: list[PlateScene], arrivals: int, registered: set[str]) -> list[float | None]:
    """Lift on the first frame whose best valid read is registered (no votes, no tracks)."""
    pipeline = build_plate_pipeline(load_config(VEHICLE_CONFIG).plate)
    results: list[float | None] = []
    for index in range(arrivals):
        camera, arrived_at = _start_replay(_clip_for(scenes[index % len(scenes)], index))
        lifted = None
        while lifted is None:
            try:
                frame = camera.read(0.2)
            except ReplayFinishedError:
                break
            if frame is None:
                continue
            reads = [r for _, _, r in pipeline.read_frame(frame.image) if is_valid_plate(r.text)]
            if reads and reads[0].text in registered:
                lifted = (time.monotonic() - arrived_at) * 1000.0
        results.append(lifted)
    return results


def _stages(cars: list[PlateScene]) -> dict[str, Any]:
    pipeline = build_plate_pipeline(load_config(VEHICLE_CONFIG).plate)
    frames = [_clip_for(car, i).images[-1] for i, car in enumerate(cars)]  # parked cars
    pipeline.read_frame(frames[0])  # warm-up
    per_stage: dict[str, list[float]] = {"detect": [], "rectify": [], "recognise": []}
    whole: list[float] = []
    for _ in range(3):
        for frame in frames:
            before = dict(pipeline.stage_seconds)
            started = time.perf_counter()
            pipeline.read_frame(frame)
            whole.append((time.perf_counter() - started) * 1000.0)
            for stage in per_stage:
                per_stage[stage].append((pipeline.stage_seconds[stage] - before[stage]) * 1000.0)
    scenes_ms = []
    for car in cars:
        image = cv2.imread(str(car.path))
        started = time.perf_counter()
        pipeline.read_frame(image)
        scenes_ms.append((time.perf_counter() - started) * 1000.0)
    return {"frame_size": list(frames[0].shape[1::-1]),
            **{stage: _summary(values) for stage, values in per_stage.items()},
            "frame_total": _summary(whole), "scene_image_ms_mean": round(
                statistics.fmean(scenes_ms), 1)}


def bench_plate(arrivals: int = 24) -> dict[str, Any]:
    """The benchmark report (see the module docstring)."""
    root = plates_dir()
    if root is None:
        raise FileNotFoundError("shared plate data absent (set GATE_SHARED_DATA)")
    cpu = pin_to_one_core()
    cars = scene_cars(root)
    stages = _stages(cars)
    lane = _Lane(cars)
    latencies: list[float | None] = []
    reasons: dict[str, int] = {}
    try:
        for index in range(arrivals):  # clips made one at a time: RSS is the gate's, not ours
            latency, report = lane.play(_clip_for(cars[index % len(cars)], index))
            latencies.append(latency)
            reason = report.decision.reason.value if report else "undecided"
            reasons[reason] = reasons.get(reason, 0) + 1
    finally:
        lane.close()
    naive = _naive(cars, arrivals, {car.label for car in cars})
    lifted = [v for v in latencies if v is not None]
    naive_lifted = [v for v in naive if v is not None]
    ours, baseline = _summary(lifted), _summary(naive_lifted)
    ratio = (round(ours["p95"] / baseline["p95"], 2)
             if ours["p95"] and baseline["p95"] else None)
    return {
        "cpu": cpu, "threads": 1, "arrivals": arrivals, "stages_ms": stages,
        "arrival_to_lift_ms": ours, "lifted": len(lifted), "outcomes": reasons,
        "baseline_naive_first_read": {"arrival_to_lift_ms": baseline,
                                      "lifted": len(naive_lifted)},
        "ratio_p95_vs_baseline": ratio,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bench_plate_command(as_json: bool, arrivals: int = 24) -> int:
    """CLI entry: print the report; 2 when the shared plate data is absent."""
    try:
        report = bench_plate(arrivals)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        return 2
    if as_json:
        print_json(report)
    else:
        print(f"arrival_to_lift_ms {report['arrival_to_lift_ms']} "  # noqa: T201
              f"lifted {report['lifted']}/{arrivals}")
    return 0
