"""The parts of a running gate the guard UI uses, and the guard's own state around them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.clock import Clock
from gate.config.guard_ui import GuardUiConfig
from gate.directory.store import DirectoryStore
from gate.door.driver import DoorDriver
from gate.eventlog.snapshots import SnapshotStore
from gate.eventlog.store import EventLog
from gate.guard.camera import FrameTap, install_tap
from gate.guard.sessions import GuardSessions
from gate.guard.store import GuardStore
from gate.vision.recognisers.base import Recogniser


@dataclass
class GuardContext:
    """Everything the guard routes need; `from_gate(gate)` builds it from a runtime Gate."""

    gate_id: str
    config: GuardUiConfig
    clock: Clock
    directory: DirectoryStore
    event_log: EventLog
    snapshots: SnapshotStore
    door: DoorDriver
    recogniser: Recogniser | None  # None on a vehicle gate: no face capture there
    tap: FrameTap
    store: GuardStore
    reload_gallery: Callable[[], None] = lambda: None
    notify_outbox: Callable[[], None] = lambda: None
    # A vehicle lane's "decide this plate again" (after registering the waiting car).
    forget_plate: Callable[[str], None] = lambda plate: None
    # The aggregator's muster query (hours -> JSON); None on a gate without an uplink.
    community_muster: Callable[[int], dict[str, Any]] | None = None
    sessions: GuardSessions = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = GuardSessions(self.clock, self.config.idle_sign_out_seconds,
                                      self.config.pin_failures_before_lockout,
                                      self.config.lockout_seconds)

    @classmethod
    def from_gate(cls, gate: Any, config: GuardUiConfig | None = None) -> GuardContext:
        """From `gate.runtime.Gate` (duck-typed: the runtime is not imported here)."""
        controller = gate.controller
        clock = controller.clock
        db = Path(gate.config.storage.data_dir) / "gate.db"
        uplink = getattr(gate, "uplink", None)
        return cls(
            gate_id=gate.config.gate_id, config=config or gate.config.guard_ui, clock=clock,
            directory=gate.stores.directory, event_log=gate.stores.event_log,
            snapshots=gate.stores.snapshots, door=gate.door, recogniser=gate.recogniser,
            tap=install_tap(controller.pipeline, clock), store=GuardStore(db, clock),
            reload_gallery=gate.reload_gallery,
            forget_plate=getattr(controller.pipeline, "forget", lambda plate: None),
            community_muster=uplink.client.muster if uplink is not None else None,
        )

    def close(self) -> None:
        self.store.close()
