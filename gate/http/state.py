"""What the gate's monitoring endpoints read: live objects, sampled at each request.

Nothing here counts by being called from the decision path: decisions are tallied by reading
the event log forward from where the last scrape stopped, so face, card and PIN decisions are
all seen, the door path stays untouched, and a scrape costs one indexed read of new rows.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from gate.errors import GateError

DECISION_EVENT = "access_decision"


class EventLogLike(Protocol):
    def last_sequence(self) -> int: ...

    def events_after(self, sequence: int, limit: int) -> list[Any]: ...


class DecisionTally:
    """Decisions by (decision, reason) committed since the tally started (a Prometheus counter:
    it starts at zero with the process and only grows)."""

    def __init__(self, event_log: EventLogLike, page: int = 500) -> None:
        self._log = event_log
        self._page = page
        self._lock = threading.Lock()
        self._after = event_log.last_sequence()
        self.counts: Counter[tuple[str, str]] = Counter()

    def refresh(self) -> Counter[tuple[str, str]]:
        """Read events committed since the last call; returns a copy of the counts."""
        with self._lock:
            while True:
                records = self._log.events_after(self._after, self._page)
                for record in records:
                    if record.type == DECISION_EVENT:
                        self.counts[(record.decision or "", record.reason or "")] += 1
                if records:
                    self._after = records[-1].sequence
                if len(records) < self._page:
                    return Counter(self.counts)


@dataclass
class GateState:
    """The running gate as monitoring sees it; `from_gate(gate)` builds it from a runtime Gate.

    `controller` needs `frames_processed`, `frame_errors` and `camera.healthy`; `door` is the
    `DoorDriver`; `ack_sequence` (when the uplink runs) returns what the aggregator has stored.
    """

    gate_id: str
    controller: Any
    door: Any
    event_log: Any
    ack_sequence: Any = None
    decisions: DecisionTally = field(init=False)

    def __post_init__(self) -> None:
        self.decisions = DecisionTally(self.event_log)

    @classmethod
    def from_gate(cls, gate: Any) -> GateState:
        """From `gate.runtime.Gate` (duck-typed, so this module does not import the runtime)."""
        uplink = getattr(gate, "uplink", None)
        ack = (lambda: uplink.state.get("ack_sequence")) if uplink is not None else None
        return cls(gate.config.gate_id, gate.controller, gate.door, gate.stores.event_log, ack)

    def camera_healthy(self) -> bool:
        return bool(self.controller.camera.healthy)

    def door_released(self) -> bool:
        return bool(self.door.machine.released)

    def door_faulted(self) -> bool:
        return bool(self.door.faulted)

    def board_online(self) -> bool | None:
        """True/False for a door board with a link (OSDP); None when the relay is wired directly."""
        online = getattr(self.door.hardware, "online", None)
        return None if online is None else bool(online)

    def last_sequence(self) -> int | None:
        """The newest committed event, or None when the log cannot be read."""
        try:
            return int(self.event_log.last_sequence())
        except GateError:
            return None

    def uplink_backlog(self) -> int | None:
        """Events committed but not yet acknowledged by the aggregator; None without uplink."""
        if self.ack_sequence is None:
            return None
        last = self.last_sequence()
        if last is None:
            return None
        try:
            return max(0, last - int(self.ack_sequence()))
        except GateError:
            return None
