"""`gate bench visitor --json`: from the guard pressing "register" with a captured face to that
visitor being granted at the simulated gate.

`VisitorRig` is a simulated gate (hw_sim, virtual time) with its guard UI served over real
HTTP on 127.0.0.1: the visitor stands at the camera (a few frames of a real video), the guard
captures and registers through the API, then the visitor walks up (another recording of the
same person). The walk-up is replayed as fast as the vision allows, so `register_to_grant_ms`
is the registration round trip plus the gate's own time from the first frame to the grant.
The baseline in the same run is the same visitor enrolled straight into the directory (no
HTTP, no capture): the difference is what registering through the guard UI costs.
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from gate.cli import print_json
from gate.config.guard_ui import GuardUiConfig
from gate.controller import DecisionReport
from gate.errors import GateError
from gate.guard.context import GuardContext
from gate.guard.server import GuardServer
from gate.policy.model import Group, Person, PersonKind, Visitor
from gate.policy.schedule import always_open
from hw_sim.datasets import faces_dir
from hw_sim.harness import SimulatedGate
from hw_sim.replay_camera import Clip
from hw_sim.scenarios import video_clip, video_stills

HOST_UNIT = "3-2-1201"
GUARD = ("g-bench", "值班保安", "2580")
STANDING_VIDEO = "grid_id2_vcd_swwp2s.mpg"
WALK_UP_VIDEO = "grid_pwij3p.mpg"  # the same person, another recording


class BenchDataError(GateError, FileNotFoundError):
    """The shared face videos are absent."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class VisitorRig:
    """A simulated gate, its guard UI on real HTTP, a signed-in guard, and the two videos."""

    def __init__(self, folder: Path, faces_root: Path | None = None) -> None:
        root = faces_root or faces_dir()
        if root is None:
            raise BenchDataError("shared face data absent (set GATE_SHARED_DATA)")
        live = root / "video" / "live"
        self.standing = Clip("visitor stands at the camera",
                             list(video_stills(live / STANDING_VIDEO, (5, 10, 15, 20, 25, 30))),
                             25.0, expect="denied")
        self.walk_up_path = live / WALK_UP_VIDEO
        self.sim = SimulatedGate(folder)
        directory = self.sim.gate.stores.directory
        directory.upsert_schedule(always_open("always"))
        directory.upsert_group(Group("residents", "always"))
        directory.upsert_person(Person("r-host", "陈静", HOST_UNIT, groups=("residents",)))
        config = GuardUiConfig(enabled=True, port=_free_port())
        self.ctx = GuardContext.from_gate(self.sim.gate, config)
        self.ctx.store.add_guard(*GUARD)
        self.server = GuardServer(self.ctx)
        self.server.start()
        self.http = httpx.Client(base_url=self.server.url, timeout=30)
        self.http.post("/api/guard/session",
                       json={"guard_id": GUARD[0], "pin": GUARD[2]}).raise_for_status()
        self.granted_at: float | None = None
        inner = self.sim.gate.controller.on_decision

        def on_decision(report: DecisionReport) -> None:
            if report.decision.granted and self.granted_at is None:
                self.granted_at = time.perf_counter()
            if inner is not None:
                inner(report)

        self.sim.gate.controller.on_decision = on_decision

    def stand(self) -> list[DecisionReport]:
        """The visitor stands at the camera (as a stranger, before registration)."""
        return self.sim.play([self.standing])

    def capture(self, **consent: bool) -> httpx.Response:
        return self.http.post("/api/guard/captures", json={"consent": True, **consent})

    def register(self, **form: Any) -> httpx.Response:
        body = {"name": "李雷", "phone": "13812345678", "host_unit": HOST_UNIT,
                "purpose": "探亲", "max_entries": 1, "credential": "face", "consent": True}
        body.update(form)
        return self.http.post("/api/guard/visitors", json=body)

    def walk_up(self) -> list[DecisionReport]:
        """The visitor walks up to the camera (a fresh track)."""
        self.granted_at = None
        return self.sim.play([video_clip(self.walk_up_path, "visitor walks up", "granted")])

    def forget(self, person_id: str) -> None:
        """Remove a visitor (so the next run's same face is not ambiguous with this one)."""
        self.sim.gate.stores.directory.delete_person(person_id)
        self.sim.gate.reload_gallery()

    def close(self) -> None:
        self.http.close()
        self.server.stop()
        self.sim.close()


def _one_registration(rig: VisitorRig) -> tuple[float, str]:
    rig.stand()
    captured = rig.capture()
    if captured.status_code != 201:
        raise GateError(f"capture refused: {captured.text}")
    started = time.perf_counter()
    response = rig.register(capture_id=captured.json()["capture_id"])
    if response.status_code != 201:
        raise GateError(f"registration refused: {response.text}")
    rig.walk_up()
    if rig.granted_at is None:
        raise GateError("the registered visitor was not granted")
    return (rig.granted_at - started) * 1000.0, response.json()["person_id"]


def _one_baseline(rig: VisitorRig) -> tuple[float, str]:
    """The same visitor put straight into the directory, then walking up."""
    from gate.enrolment import template_from_image
    from gate.vision.detection import HogFaceDetector

    image = rig.standing.images[-1]
    template = template_from_image(image, rig.sim.gate.recogniser, HogFaceDetector(800), "b")
    directory, now = rig.sim.gate.stores.directory, rig.sim.clock.now()
    person_id = f"v-base{time.perf_counter_ns() % 10**6:06d}"
    started = time.perf_counter()
    until = now.replace(hour=23)
    with directory.batch():
        directory.upsert_person(Person(person_id, "基线", HOST_UNIT, kind=PersonKind.VISITOR))
        directory.upsert_visitor(Visitor(person_id, HOST_UNIT, now, until, 1, 0))
        directory.add_face_template(person_id, rig.sim.gate.recogniser.name, template.vector,
                                    template.source_sha256)
    rig.sim.gate.reload_gallery()
    rig.walk_up()
    if rig.granted_at is None:
        raise GateError("the pre-enrolled visitor was not granted")
    return (rig.granted_at - started) * 1000.0, person_id


def _summary(samples: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(samples), 1), "p95": round(_p95(samples), 1)}


def bench_visitor(runs: int = 5) -> dict[str, Any]:
    """Measure `runs` registrations and `runs` baseline enrolments on one simulated gate."""
    with tempfile.TemporaryDirectory(prefix="gate-bench-visitor-") as tmp:
        rig = VisitorRig(Path(tmp) / "gate")
        try:
            registered, baseline = [], []
            for _ in range(runs):
                elapsed, person_id = _one_registration(rig)
                registered.append(elapsed)
                rig.forget(person_id)
                elapsed, person_id = _one_baseline(rig)
                baseline.append(elapsed)
                rig.forget(person_id)
        finally:
            rig.close()
    result = {
        "runs": runs,
        "register_to_grant_ms": _summary(registered),
        "baseline_enrolled_to_grant_ms": _summary(baseline),
        "target_ms": 2000,
        "note": "wall clock; the walk-up video is replayed as fast as the vision allows "
                "(virtual time), registration goes over real HTTP to the guard UI",
    }
    result["ratio_p50_vs_baseline"] = round(
        result["register_to_grant_ms"]["p50"] / result["baseline_enrolled_to_grant_ms"]["p50"], 2)
    return result


def bench_visitor_command(as_json: bool, runs: int) -> int:
    """CLI entry: print the measurements (JSON or a short text)."""
    result = bench_visitor(runs)
    if as_json:
        print_json(result)
    else:
        for key, value in result.items():
            print(f"{key}: {value}")  # noqa: T201 - CLI output
    return 0
