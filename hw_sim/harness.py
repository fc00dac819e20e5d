"""A whole simulated gate in virtual time, for system tests.

The replay camera is stepped (every frame, in order) and a `ManualClock` is moved to each
frame's capture time before the frame is processed, stepping the door physics and the door
driver on the way. Runs are deterministic and as fast as the vision allows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from gate.clock import ManualClock
from gate.config import GateConfig
from gate.config.loader import load_config
from gate.controller import DecisionReport
from gate.demo import DEMO_CONFIG, enrol_scenario
from gate.eventlog.store import EventRecord
from gate.runtime import DB_NAME, Gate, build_gate
from gate.vision.frames import FrameSource
from gate.vision.types import Frame
from hw_sim.door_physics import SimDoor
from hw_sim.replay_camera import Clip, ReplayCamera
from hw_sim.scenarios import DoorAction, Enrolee


class _VirtualTimeCamera(FrameSource):
    """Moves the shared ManualClock (and the door) to each frame's time before handing it out."""

    def __init__(self, replay: ReplayCamera, harness: SimulatedGate) -> None:
        self.replay = replay
        self.harness = harness

    @property
    def healthy(self) -> bool:
        return self.replay.healthy

    def read(self, timeout_seconds: float) -> Frame | None:
        frame = self.replay.read(timeout_seconds)
        if frame is not None:
            self.harness.advance_to(frame.captured_at)
        return frame

    def close(self) -> None:
        self.replay.close()


class SimulatedGate:
    """A gate on hw_sim in virtual time: enrol, play clips, inspect the log and the relay."""

    def __init__(self, data_dir: Path, config: GateConfig | None = None) -> None:
        self.config = (config or load_config(DEMO_CONFIG)).model_copy(deep=True)
        self.config.storage.data_dir = data_dir
        self.clock = ManualClock(monotonic_start=0.0)
        self.door = SimDoor(self.clock, fail_mode=self.config.door.fail_mode)
        self._origin = 0.0
        self._actions: list[DoorAction] = []
        self.reports: list[DecisionReport] = []
        self.gate: Gate = build_gate(self.config, camera=_NoCamera(),
                                     door_hardware=self.door.hardware, clock=self.clock,
                                     on_decision=self._on_decision)
        self.walk_through_after_grant = True

    def _on_decision(self, report: DecisionReport) -> None:
        self.reports.append(report)
        if report.decision.granted and self.walk_through_after_grant:
            self.door.person_walks_through(after_seconds=0.6, pass_seconds=1.5)

    def enrol(self, enrolees: Sequence[Enrolee]) -> int:
        """Enrol residents and reload the gallery; returns how many templates were stored."""
        count = enrol_scenario(self.gate.stores.directory, self.gate.recogniser, list(enrolees))
        self.gate.reload_gallery()
        return count

    def advance_to(self, virtual_seconds: float) -> None:
        """Move time to `virtual_seconds` since the current replay began, running door actions."""
        target = self._origin + virtual_seconds
        while self._actions and self._origin + self._actions[0].at_seconds <= target:
            action = self._actions.pop(0)
            self._advance(self._origin + action.at_seconds)
            self._do(action)
        self._advance(target)

    def wait(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass with no camera frames (door physics runs)."""
        self._advance(self.clock.monotonic() + seconds)

    def _advance(self, absolute: float) -> None:
        delta = absolute - self.clock.monotonic()
        if delta > 0:
            self.door.advance(delta, on_step=self.gate.door.tick)

    def _do(self, action: DoorAction) -> None:
        if action.action == "press_exit":
            self.door.press_exit()
        elif action.action == "force_open":
            self.door.force_open(open_seconds=action.hold_seconds or 1.0)
        elif action.action == "prop_open":
            self.door.prop_open()
        elif action.action == "close":
            self.door.close()
        else:
            raise ValueError(f"unknown door action {action.action!r}")

    def play(
        self,
        clips: Sequence[Clip],
        *,
        door_actions: Sequence[DoorAction] = (),
        outage: tuple[float, float] | None = None,
        corrupt_frames: frozenset[int] = frozenset(),
        settle_seconds: float = 0.0,
    ) -> list[DecisionReport]:
        """Play clips through the gate; returns the decisions made while they played."""
        self._origin = self.clock.monotonic()
        self._actions = sorted(door_actions, key=lambda a: a.at_seconds)
        replay = ReplayCamera(clips, realtime=False, outage=outage,
                              corrupt_frame_indices=corrupt_frames)
        controller = self.gate.controller
        controller.camera = _VirtualTimeCamera(replay, self)
        controller.pipeline.reset()
        before = len(self.reports)
        controller.run()
        self.advance_to(replay.duration_seconds + settle_seconds)
        return self.reports[before:]

    def events(self, event_type: str | None = None) -> list[EventRecord]:
        """Every committed event (of one type, if given), oldest first."""
        records = list(self.gate.stores.event_log.iter_events())
        return [r for r in records if event_type is None or r.type == event_type]

    def relay_pulses(self) -> list[tuple[float, float]]:
        """(start, end) of each time the relay was energised, in virtual seconds."""
        pulses, start = [], None
        for at, energised in self.door.relay_history:
            if energised and start is None:
                start = at
            elif not energised and start is not None:
                pulses.append((start, at))
                start = None
        if start is not None:
            pulses.append((start, float("inf")))
        return pulses

    def db(self) -> sqlite3.Connection:
        """A raw connection to gate.db (for tests that tamper with it)."""
        return sqlite3.connect(Path(self.config.storage.data_dir) / DB_NAME)

    def close(self) -> None:
        self.gate.close()
        self.door.shutdown()

    def __enter__(self) -> SimulatedGate:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _NoCamera(FrameSource):
    """Stands in until the first `play`."""

    healthy = True  # type: ignore[assignment]

    def read(self, timeout_seconds: float) -> Frame | None:
        return None

    def close(self) -> None:
        return None
