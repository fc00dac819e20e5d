"""Simulated arrivals of live people from the dev videos, replayed in real time.

Each arrival is a clip of a person walking up, after a short empty scene; the arrival
time is when the clip's first frame reaches the camera (whether or not the gate was free
to look at it), and the unlock time is when the relay was energised.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gate.clock import SystemClock
from gate.config.loader import load_config
from gate.controller import DecisionReport, GateController
from gate.demo import DEMO_CONFIG, enrol_scenario
from gate.runtime import Gate, build_gate
from gate.vision.frames import FrameSource
from hw_sim.datasets import LabelledFile, read_face_labels
from hw_sim.door_physics import SimDoor
from hw_sim.replay_camera import Clip, ReplayCamera, ReplayFinishedError, blank_clip
from hw_sim.scenarios import Enrolee, fit_to_camera, video_clip, video_stills

LIVE_KINDS = ("video_live", "video_blink")
LEAD_IN_SECONDS = 0.4
TAIL_SECONDS = 0.6


@dataclass(frozen=True)
class Arrival:
    """One live person walking up: who, and the clip the camera sees."""

    person: str
    path: Path


def person_of(item: LabelledFile) -> str:
    """The person in a live clip (EyeBlink8 clips are labelled `blink`: use the video id)."""
    match = re.search(r"eyeblink8_(v\d+)_", item.path.name)
    return f"eyeblink8_{match.group(1)}" if match else item.label


def live_arrivals(faces_root: Path) -> list[Arrival]:
    """Every dev video of a live person (kinds video_live and video_blink), by file name."""
    items = [i for i in read_face_labels(faces_root) if i.kind in LIVE_KINDS]
    return sorted((Arrival(person_of(i), i.path) for i in items), key=lambda a: a.path.name)


def enrolees_for(arrivals: list[Arrival]) -> list[Enrolee]:
    """Enrol each person from a clip other than the one they arrive in, where one exists.

    A person with a single clip is enrolled from its last frames: the arrival starts at
    the first frame, so the gate still has to recognise a different image of them.
    """
    by_person: dict[str, list[Path]] = {}
    for arrival in arrivals:
        by_person.setdefault(arrival.person, []).append(arrival.path)
    enrolees = []
    for person, paths in sorted(by_person.items()):
        source = paths[-1]
        clip = video_clip(source, "enrol", "", max_seconds=10.0)
        last = len(clip.images) - 1
        images = video_stills(source, tuple(sorted({max(0, last - 4), last})))
        enrolees.append(Enrolee(f"bench-{person}", person, "0-0-000", ("residents",),
                                tuple(fit_to_camera(image) for image in images)))
    return enrolees


class ArrivalRunner:
    """One gate (SimDoor on MockFactory pins) that plays arrivals one after another."""

    def __init__(self, arrivals: list[Arrival], recogniser_type: str | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="gate-bench-")
        config = load_config(DEMO_CONFIG).model_copy(deep=True)
        config.storage.data_dir = Path(self._tmp.name)
        if recogniser_type:
            config.face.recogniser.type = recogniser_type  # type: ignore[assignment]
        self.clock = SystemClock()
        self.door = SimDoor(self.clock, fail_mode=config.door.fail_mode)
        placeholder = ReplayCamera([blank_clip(0.04)], realtime=False)
        self.reports: list[DecisionReport] = []
        self.gate: Gate = build_gate(config, camera=placeholder,
                                     door_hardware=self.door.hardware, clock=self.clock,
                                     on_decision=self.reports.append)
        enrol_scenario(self.gate.stores.directory, self.gate.recogniser, enrolees_for(arrivals))
        self.gate.reload_gallery()
        self.gate.door.start()

    def play(self, arrival: Arrival) -> tuple[float | None, DecisionReport | None]:
        """Replay one arrival; returns (arrival-to-unlock ms or None, the decision)."""
        clip = video_clip(arrival.path, arrival.person, "granted")
        camera = ReplayCamera([blank_clip(LEAD_IN_SECONDS), clip, blank_clip(TAIL_SECONDS)],
                              realtime=True)
        first = camera.read(1.0)  # starts the replay clock
        arrived_at = (first.captured_at if first else self.clock.monotonic()) + LEAD_IN_SECONDS
        return run_arrival(self.gate.controller, camera, self.reports, arrived_at)

    def close(self) -> None:
        self.gate.close()
        self.door.stop()
        self._tmp.cleanup()


def run_arrival(controller: GateController, camera: FrameSource,
                reports: list[DecisionReport], arrived_at: float,
                ) -> tuple[float | None, DecisionReport | None]:
    """Run `controller` on `camera` until the replay ends; (arrival-to-relay ms of the first
    grant that moved the relay, or None; that decision, else the first one, else None).

    `reports` is the list the gate's `on_decision` appends to.
    """
    controller.camera = camera
    controller.pipeline.reset()
    before = len(reports)
    controller.run()
    made = reports[before:]
    granted = [r for r in made if r.decision.granted and r.relay_energised_at is not None]
    if granted:
        return (granted[0].relay_energised_at - arrived_at) * 1000.0, granted[0]
    return None, (made[0] if made else None)


def play_naive(arrivals: list[Arrival], enrolees: list[Enrolee]) -> list[float | None]:
    """The README way: face_locations + face_encodings + compare_faces on every full frame.

    No tracking, no liveness, no downscaling; the first frame whose face matches anyone
    counts as the unlock.
    """
    from gate.vision.face_models import face_recognition

    fr = face_recognition()
    known = []
    for enrolee in enrolees:
        for image in enrolee.images:
            encodings = fr.face_encodings(np.ascontiguousarray(image[:, :, ::-1]))
            if encodings:
                known.append(encodings[0])
    results: list[float | None] = []
    for arrival in arrivals:
        clip = video_clip(arrival.path, arrival.person, "granted")
        results.append(_naive_one(clip, known, fr.face_locations, fr.face_encodings,
                                  fr.compare_faces))
    return results


def _naive_one(clip: Clip, known: list[np.ndarray], locate: Callable, encode: Callable,
               compare: Callable) -> float | None:
    camera = ReplayCamera([blank_clip(LEAD_IN_SECONDS), clip, blank_clip(TAIL_SECONDS)],
                          realtime=True)
    first = camera.read(1.0)
    arrived_at = (first.captured_at if first else time.monotonic()) + LEAD_IN_SECONDS
    while True:
        try:
            frame = camera.read(0.2)
        except ReplayFinishedError:
            return None
        if frame is None:
            continue
        rgb = np.ascontiguousarray(frame.image[:, :, ::-1])
        locations = locate(rgb)
        for encoding in encode(rgb, locations):
            if any(compare(known, encoding)):
                return (time.monotonic() - arrived_at) * 1000.0
