"""Build a gate from its config (nothing is built at import time) and run it."""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gate.clock import Clock, SystemClock
from gate.config import GateConfig
from gate.config.plate import PlateConfig
from gate.controller import (
    DecisionReport,
    GateController,
    RecognitionPipeline,
    record_door_event,
)
from gate.credentials import CredentialAccess, CredentialReport
from gate.directory.store import DirectoryStore
from gate.door.driver import DoorDriver
from gate.door.hardware import DoorHardware
from gate.door.state_machine import DoorEvent, DoorStateMachine
from gate.errors import ConfigError, GateError
from gate.eventlog.retention import RetentionReport, enforce_retention
from gate.eventlog.snapshots import SnapshotStore
from gate.eventlog.store import EventLog
from gate.face_access import FaceAccess
from gate.guard.visit_end import end_expired_visits
from gate.http import GateHttpServer, GateState
from gate.pairing import SecondFactorBook
from gate.plate_access import PlateAccess
from gate.policy.engine import PolicySettings
from gate.policy.model import VehicleDirection
from gate.retention_job import RetentionJob
from gate.safety import config_warnings
from gate.uplink.service import Uplink, build_uplink
from gate.vision.detection import HogFaceDetector
from gate.vision.face_pipeline import FacePipeline, MatchVote, PipelineSettings
from gate.vision.frames import FrameSource, OpenCVCamera
from gate.vision.gallery import Gallery, decide
from gate.vision.liveness.registry import create_liveness
from gate.vision.lookalikes import find_lookalikes, person_thresholds
from gate.vision.plates.detector import ClassicalPlateDetector
from gate.vision.plates.pipeline import PlatePipeline, PlatePipelineSettings
from gate.vision.plates.recogniser import OnnxPlateRecogniser
from gate.vision.plates.voting import VoteSettings
from gate.vision.recognisers.base import Recogniser
from gate.vision.recognisers.registry import (
    create_recogniser,
    effective_margin,
    effective_threshold,
)

logger = logging.getLogger(__name__)

DB_NAME = "gate.db"


@dataclass
class GateStores:
    """The gate's persistent state: one SQLite file and a snapshot folder."""

    event_log: EventLog
    directory: DirectoryStore
    snapshots: SnapshotStore

    def close(self) -> None:
        self.directory.close()
        self.event_log.close()


def open_stores(config: GateConfig, clock: Clock) -> GateStores:
    """Open (creating if needed) the event log, directory and snapshots under `data_dir`."""
    data_dir = Path(config.storage.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    db = data_dir / DB_NAME
    return GateStores(
        event_log=EventLog(db, config.gate_id, clock),
        directory=DirectoryStore(db, clock),
        snapshots=SnapshotStore(data_dir / "snapshots", config.storage.snapshot_retention_days,
                                clock),
    )


class GalleryMatcher:
    """The gallery plus the operating point: a probe vector in, a `MatchVote` out."""

    def __init__(self, gallery: Gallery, threshold: float, margin: float) -> None:
        self.gallery = gallery
        self.threshold = threshold
        self.margin = margin

    def __call__(self, vector: np.ndarray) -> MatchVote:
        match = self.gallery.match(vector)
        verdict = decide(match, self.threshold, self.margin)
        return MatchVote(
            person_id=verdict.person_id,
            reason=verdict.reason,
            distance=_finite(match.best_distance),
            margin=_finite(match.margin),
            second_person_id=match.second_id,
        )


def _finite(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None


def load_gallery(
    directory: DirectoryStore,
    recogniser: Recogniser,
    lookalike_threshold: float,
    person_threshold_ratio: float | None = None,
    lookalike_margin: float = 0.0,
) -> Gallery:
    """Every template of the configured recogniser, and refreshed look-alike flags.

    Two residents look alike when their templates sit closer than the match threshold plus
    the margin: a probe of one may then land within the threshold of the other, with only
    the margin rule between them.

    A corrupt template row is skipped and reported once; the rest of the gallery works.
    """
    templates = directory.face_templates(recogniser.name)
    if directory.corrupt_templates:
        logger.error("skipped %d corrupt face template(s) in the gallery",
                     directory.corrupt_templates)
    gallery = Gallery(templates, metric=recogniser.metric, dimension=recogniser.dimension)
    flag_lookalikes(directory, gallery, lookalike_threshold + lookalike_margin)
    if person_threshold_ratio is not None:
        gallery.set_person_thresholds(
            person_thresholds(gallery, lookalike_threshold, person_threshold_ratio)
        )
    return gallery


def flag_lookalikes(directory: DirectoryStore, gallery: Gallery, threshold: float) -> set[str]:
    """Mark residents whose face sits within `threshold` of another's (or whom the aggregator
    flags); clear the rest."""
    # The aggregator sees every gate's residents; its flags stand beside the local check.
    flagged = set(find_lookalikes(gallery, threshold)) | directory.central_lookalikes()
    snapshot = directory.snapshot()
    with directory.batch():
        for person in snapshot.people.values():
            wanted = person.person_id in flagged
            if person.lookalike_flag != wanted:
                directory.upsert_person(dataclasses.replace(person, lookalike_flag=wanted))
    if flagged:
        logger.warning("%d resident(s) look alike another and need a second factor", len(flagged))
    return flagged


def build_pipeline(config: GateConfig, recogniser: Recogniser, gallery: Gallery) -> FacePipeline:
    """The face pipeline with the configured detector, recogniser, matcher and liveness."""
    face = config.face
    matcher = GalleryMatcher(gallery, effective_threshold(face.recogniser),
                             effective_margin(face.recogniser))
    settings = PipelineSettings(
        min_face_px=face.min_face_px,
        min_sharpness=face.min_sharpness,
        max_yaw_ratio=face.max_yaw_ratio,
        agreement_frames=face.agreement_frames,
        encode_every_frames=face.encode_every_frames,
        max_decision_seconds=face.liveness.max_seconds,
    )
    return FacePipeline(HogFaceDetector(face.detect_width_px, upsample=face.detect_upsample),
                        recogniser, matcher, create_liveness(face.liveness), settings)


@dataclass
class Gate:
    """A fully wired gate; `close()` drives the door to its fail mode and closes the stores."""

    config: GateConfig
    controller: GateController
    stores: GateStores
    door: DoorDriver
    recogniser: Recogniser | None
    """The face recogniser (None on a vehicle gate)."""
    gallery: Gallery | None
    uplink: Uplink | None = None
    credentials: CredentialAccess | None = None
    retention: RetentionJob | None = None

    def start(self) -> None:
        """Start the background parts: door ticker, retention and, if configured, the uplink."""
        self.door.start()
        if self.retention is not None:
            self.retention.start()
        if self.uplink is not None:
            self.uplink.start()

    def enforce_retention(self) -> RetentionReport:
        """Delete expired snapshots and events (never events the aggregator has not got)."""
        acked = self.uplink.state.get("ack_sequence") if self.uplink is not None else None
        # Ended visits first: a visitor's face template goes when the visit does.
        end_expired_visits(self.stores.directory, self.stores.event_log,
                           self.controller.clock,
                           outbox=Path(self.config.storage.data_dir) / DB_NAME)
        return enforce_retention(self.stores.event_log, self.stores.snapshots,
                                 self.config.storage.event_retention_days, max_sequence=acked)

    def reload_gallery(self) -> None:
        """Re-read the templates (after enrolment or a sync) and swap them in."""
        if self.recogniser is None:
            return  # a vehicle gate reads its directory per decision: nothing to reload
        threshold = effective_threshold(self.config.face.recogniser)
        margin = effective_margin(self.config.face.recogniser)
        self.gallery = load_gallery(self.stores.directory, self.recogniser, threshold,
                                    self.config.face.recogniser.person_threshold_ratio, margin)
        self.controller.pipeline.matcher = GalleryMatcher(self.gallery, threshold, margin)

    def close(self) -> None:
        """Door to its fail mode first, then stop shipping, then close the stores."""
        try:
            self.door.close()
        finally:
            if self.retention is not None:
                self.retention.stop()
            if self.uplink is not None:
                self.uplink.stop()
            self.controller.camera.close()
            self.stores.close()


def build_gate(
    config: GateConfig,
    *,
    camera: FrameSource,
    door_hardware: DoorHardware,
    clock: Clock | None = None,
    recogniser: Recogniser | None = None,
    on_decision: Callable[[DecisionReport], None] | None = None,
    on_door_event: Callable[[DoorEvent], None] | None = None,
    uplink_credential: str | None = None,
    on_credential: Callable[[CredentialReport], None] | None = None,
) -> Gate:
    """Wire every part of a gate; the caller supplies the camera and the door hardware."""
    clock = clock or SystemClock()
    stores = open_stores(config, clock)
    try:
        gallery: Gallery | None = None
        pipeline: RecognitionPipeline
        if config.kind == "vehicle":
            recogniser = None
            pipeline, access = build_plate_pipeline(config.plate), PlateAccess(
                VehicleDirection(config.plate.direction))
        else:
            recogniser = recogniser or create_recogniser(config.face.recogniser)
            gallery = load_gallery(stores.directory, recogniser,
                                   effective_threshold(config.face.recogniser),
                                   config.face.recogniser.person_threshold_ratio,
                                   effective_margin(config.face.recogniser))
            pipeline, access = build_pipeline(config, recogniser, gallery), FaceAccess()

        def door_event(event: DoorEvent) -> None:
            record_door_event(stores.event_log, event)
            if on_door_event is not None:
                on_door_event(event)

        door = DoorDriver(DoorStateMachine(config.door, clock), door_hardware, clock,
                          on_event=door_event)
        controller = GateController(
            gate_id=config.gate_id, camera=camera, pipeline=pipeline,
            directory=stores.directory,
            policy=PolicySettings(face_only_allowed=config.face.face_only_allowed,
                                  card_only_allowed=config.face.card_only_allowed),
            event_log=stores.event_log, snapshots=stores.snapshots, door=door, clock=clock,
            on_decision=on_decision, access=access,
            pairing=SecondFactorBook(config.face.second_factor_window_seconds),
        )
        stores.event_log.append("gate_started", evidence=_start_evidence(
            config, recogniser, gallery, pipeline))
        gate = Gate(config, controller, stores, door, recogniser, gallery)
        gate.retention = RetentionJob(gate.enforce_retention)
        # Enrolments (`gate enroll`, central sync) reach the running gallery within seconds.
        controller.on_directory_changed = gate.reload_gallery
        if hasattr(door_hardware, "when_card_read"):  # a board with a reader (OSDP)
            gate.credentials = CredentialAccess(
                gate_id=config.gate_id, directory=stores.directory, policy=controller.policy,
                event_log=stores.event_log, door=door, clock=clock,
                executor=controller.executor, on_decision=on_credential,
                pairing=controller.pairing)
            gate.credentials.attach(door_hardware)
        if config.uplink.enabled:
            gate.uplink = build_uplink(
                config.uplink, db_path=Path(config.storage.data_dir) / DB_NAME,
                event_log=stores.event_log, directory=stores.directory, snapshots=stores.snapshots,
                credential=uplink_credential,
            )
    except BaseException:
        stores.close()  # nothing half-open when wiring fails
        raise
    return gate


def build_plate_pipeline(plate: PlateConfig) -> PlatePipeline:
    """The plate pipeline with the configured detector, the shipped recogniser and votes."""
    recogniser = (OnnxPlateRecogniser(plate.recogniser_model) if plate.recogniser_model
                  else OnnxPlateRecogniser())
    settings = PlatePipelineSettings(
        votes=VoteSettings(agreement_frames=plate.agreement_frames,
                           min_confidence=plate.min_confidence),
        max_candidates=plate.max_candidates, deadline_seconds=plate.deadline_seconds,
        repeat_seconds=plate.repeat_seconds,
    )
    return PlatePipeline(ClassicalPlateDetector(), recogniser, settings)


def _start_evidence(config: GateConfig, recogniser: Recogniser | None, gallery: Gallery | None,
                    pipeline: RecognitionPipeline) -> dict[str, object]:
    evidence: dict[str, object] = {"kind": config.kind, "fail_mode": config.door.fail_mode}
    if recogniser is not None and gallery is not None:
        evidence.update(recogniser=recogniser.name, liveness=config.face.liveness.type,
                        gallery_people=len(gallery.person_ids))
    if isinstance(pipeline, PlatePipeline):
        evidence.update(plate_recogniser=pipeline.recogniser.name,
                        plate_detector=pipeline.detector.name,
                        direction=config.plate.direction)
    return evidence


def open_door_hardware(config: GateConfig) -> DoorHardware:
    """The configured real door hardware: GPIO on the header or an OSDP board."""
    backend = config.door.backend
    if backend.type == "osdp":
        from firmware_bridge.door_backend import open_osdp_hardware

        return open_osdp_hardware(backend, config.door.fail_mode)
    return open_gpio_hardware(config)


def open_gpio_hardware(config: GateConfig) -> DoorHardware:
    """The door on the Pi's header; `HardwareError` in one sentence where there is no GPIO."""
    backend = config.door.backend
    if backend.type != "gpio":
        raise ConfigError(
            f"door.backend.type: `gate run` drives real hardware, not {backend.type!r}"
        )
    from gate.door.gpio_backend import GpioDoorHardware

    return GpioDoorHardware(backend, config.door.fail_mode)


def run_gate(config: GateConfig, duration_seconds: float | None = None) -> int:
    """`gate run`: a real camera and GPIO; SIGTERM/SIGINT drive the door to its fail mode."""
    from gate.guard.server import start_guard_ui
    from gate.logging_setup import configure_logging

    configure_logging(config.logging.level, config.logging.json_format)
    for warning in config_warnings(config):
        logger.warning("%s", warning)
    if config.camera.kind != "opencv":
        raise ConfigError("camera.kind: `gate run` needs `opencv` (replay is for `gate demo`)")
    try:
        hardware = open_door_hardware(config)
    except GateError as err:  # HardwareError, or a missing/bad OSDP key
        print(f"error: {err}")  # noqa: T201 - the one sentence the operator needs
        return 1
    cam = config.camera
    camera = OpenCVCamera(
        cam.source, width_px=cam.width_px, height_px=cam.height_px, fps=cam.fps,
        reconnect_initial_seconds=cam.reconnect_initial_seconds,
        reconnect_max_seconds=cam.reconnect_max_seconds,
        stale_frame_seconds=cam.stale_frame_seconds,
    )
    try:
        gate = build_gate(config, camera=camera, door_hardware=hardware)
    except BaseException:
        hardware.close()  # applies the fail mode
        camera.close()
        raise
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        logger.info("signal %d: stopping; door goes to its fail mode", signum)
        stop.set()
        gate.controller.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    http = guard_ui = None
    try:
        gate.start()
        guard_ui = start_guard_ui(gate)
        if config.http.enabled:
            http = GateHttpServer(config.http, GateState.from_gate(gate))
            try:
                http.start()
            except GateError as err:  # monitoring must never keep the door from working
                logger.error("monitoring not started: %s", err)
                http = None
        gate.controller.run(duration_seconds)
    finally:
        if guard_ui is not None:
            guard_ui.stop()
        if http is not None:
            http.stop()
        gate.close()
    return 0
