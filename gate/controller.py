"""The gate's main loop: newest frame -> face or plate pipeline -> policy -> durable log ->
relay.

The ordering is the safety contract: a decision is committed to the event log before
the relay is driven, and nothing here ever opens the door except `DoorDriver.grant`
after a granting decision. Any error in a frame leaves the door in its current (locked)
state and is logged once.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from gate.clock import Clock
from gate.decisions import DecisionExecutor
from gate.directory.store import DirectoryStore
from gate.door.driver import DoorDriver
from gate.door.state_machine import DoorEvent
from gate.errors import CameraError, ImageError
from gate.eventlog.snapshots import SnapshotStore
from gate.eventlog.store import EventLog, EventRecord
from gate.face_access import FaceAccess
from gate.pairing import SecondFactorBook, decide_paired
from gate.policy.engine import PolicySettings
from gate.policy.model import AccessRequest, Decision
from gate.vision.frames import FrameSource
from gate.vision.types import Box, Frame

logger = logging.getLogger(__name__)

RECENT_DECISIONS = 200
DIRECTORY_CHECK_SECONDS = 2.0



class RecognitionPipeline(Protocol):
    """A face or plate pipeline: frames in, one outcome per decided face or plate out."""

    def process(self, frame: Frame) -> Sequence[Any]: ...

    def reset(self) -> None: ...


class AccessKind(Protocol):
    """What a kind of gate (pedestrian, vehicle) makes of its pipeline's outcomes."""

    def request(self, outcome: Any, gate_id: str, now: datetime) -> AccessRequest: ...

    def snapshot(self, outcome: Any) -> tuple[np.ndarray, Box | None]: ...


@dataclass(frozen=True)
class DecisionReport:
    """What happened to one tracked face or plate, for displays and benchmarks.

    `outcome` is a `FaceOutcome` or a `PlateOutcome`; both carry `first_seen_at`,
    `decided_at`, `frame`, `box` and `evidence`.
    """

    outcome: Any
    decision: Decision
    record: EventRecord
    relay_energised_at: float | None  # monotonic seconds, None when not granted

    @property
    def latency_ms(self) -> float:
        """First frame with the face -> relay energised (or -> decision committed)."""
        end = self.relay_energised_at
        if end is None:
            end = self.outcome.decided_at
        return (end - self.outcome.first_seen_at) * 1000.0


def record_door_event(event_log: EventLog, event: DoorEvent) -> EventRecord:
    """Commit a door event (the door driver's `on_event`)."""
    return event_log.append(
        str(event.type), evidence={"detail": event.detail} if event.detail else None
    )


class GateController:
    """Owns the loop; everything it uses is built elsewhere and passed in."""

    def __init__(
        self,
        *,
        gate_id: str,
        camera: FrameSource,
        pipeline: RecognitionPipeline,
        directory: DirectoryStore,
        policy: PolicySettings,
        event_log: EventLog,
        snapshots: SnapshotStore,
        door: DoorDriver,
        clock: Clock,
        executor: DecisionExecutor | None = None,
        on_decision: Callable[[DecisionReport], None] | None = None,
        access: AccessKind | None = None,
        pairing: SecondFactorBook | None = None,
    ) -> None:
        self.gate_id = gate_id
        self.pairing = pairing
        """Where a face refused alone waits for the same person's card/PIN (and back)."""
        self.access: AccessKind = access or FaceAccess()
        self.camera = camera
        self.pipeline = pipeline
        self.directory = directory
        self.policy = policy
        self.event_log = event_log
        self.snapshots = snapshots
        self.door = door
        self.clock = clock
        self.executor = executor or DecisionExecutor(event_log, door, directory, clock)
        self.on_decision = on_decision
        # Recent decisions for displays; bounded so a gate running for months does not grow.
        self.recent: deque[DecisionReport] = deque(maxlen=RECENT_DECISIONS)
        self.frames_processed = 0
        self.frame_errors = 0
        self.on_directory_changed: Callable[[], None] | None = None
        self._directory_version = directory.version
        self._next_directory_check = clock.monotonic() + DIRECTORY_CHECK_SECONDS
        self._camera_was_healthy = True
        self._stop = threading.Event()

    # -- the loop -------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask `run` to return after the current frame."""
        self._stop.set()

    def run(self, duration_seconds: float | None = None) -> None:
        """Process frames until stopped, the camera ends, or `duration_seconds` passed."""
        deadline = None if duration_seconds is None else self.clock.monotonic() + duration_seconds
        while not self._stop.is_set():
            if deadline is not None and self.clock.monotonic() >= deadline:
                return
            try:
                if not self.step(timeout_seconds=0.2):
                    return
            except Exception:  # noqa: BLE001 - one bad frame must not stop the gate
                # Nothing here releases the door, so it stays as it is (locked, or pulsing).
                logger.exception("frame skipped after an error; the door stays locked")

    def step(self, timeout_seconds: float = 0.2) -> bool:
        """Process the newest frame; False once the camera has ended for good."""
        try:
            frame = self.camera.read(timeout_seconds)
        except CameraError as err:
            logger.info("camera ended: %s", err)
            return False
        self._watch_camera_health()
        self._watch_directory()
        if frame is None:
            return True
        try:
            outcomes = self.pipeline.process(frame)
        except ImageError as err:
            self.frame_errors += 1
            logger.error("unusable frame ignored: %s", err)
            return True
        self.frames_processed += 1
        for outcome in outcomes:
            self._decide(outcome)
        return True

    def _watch_camera_health(self) -> None:
        healthy = self.camera.healthy
        if healthy != self._camera_was_healthy:
            self._camera_was_healthy = healthy
            self.event_log.append("camera_lost" if not healthy else "camera_restored")
            if not healthy:
                # Evidence from before an outage must not combine with evidence after it.
                self.pipeline.reset()

    def _watch_directory(self) -> None:
        """Every few seconds: if residents or templates changed, let the gallery reload."""
        now = self.clock.monotonic()
        if now < self._next_directory_check:
            return
        self._next_directory_check = now + DIRECTORY_CHECK_SECONDS
        version = self.directory.version
        if version != self._directory_version:
            if self.on_directory_changed is not None:
                self.on_directory_changed()
            # The reload may itself update look-alike flags: take the version after it.
            self._directory_version = self.directory.version

    def _decide(self, outcome: Any) -> DecisionReport:
        request = self.access.request(outcome, self.gate_id, self.clock.now())
        decision = decide_paired(request, self.directory.snapshot(), self.policy, self.pairing,
                                 self.clock.monotonic())
        snapshot_ref = self.snapshots.save_jpeg(*self.access.snapshot(outcome))
        decision_ms = round((outcome.decided_at - outcome.first_seen_at) * 1000.0, 1)
        executed = self.executor.execute(
            decision, snapshot_ref=snapshot_ref,
            extra_evidence={"first_frame_to_decision_ms": decision_ms},
        )
        record, relay_at = executed.record, executed.relay_energised_at
        report = DecisionReport(outcome, decision, record, relay_at)
        self.recent.append(report)
        if self.on_decision is not None:
            self.on_decision(report)
        return report
