"""Carry out an access decision: commit it to the event log, then (on a grant) drive the door.

One place for the safety ordering, shared by every credential (face, card, PIN): the
record is durable before the relay can move, and a door that cannot open is itself an
event, never a silent failure.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from gate.clock import Clock
from gate.directory.store import DirectoryStore
from gate.door.driver import DoorDriver
from gate.errors import HardwareError
from gate.eventlog.store import EventLog, EventRecord
from gate.policy.model import Decision

logger = logging.getLogger(__name__)

DECISION_EVENT = "access_decision"
DOOR_COMMAND_FAILED = "door_command_failed"


@dataclass(frozen=True)
class Executed:
    """The committed record and when the relay was energised (None when it was not)."""

    record: EventRecord
    relay_energised_at: float | None


class DecisionExecutor:
    """Commits decisions and releases the door for grants; thread-safe."""

    def __init__(
        self, event_log: EventLog, door: DoorDriver, directory: DirectoryStore, clock: Clock
    ) -> None:
        self.event_log = event_log
        self.door = door
        self.directory = directory
        self.clock = clock
        # Readers and the camera loop decide on different threads; one decision at a time
        # keeps "commit, then grant" ordered in the log as on the relay.
        self._lock = threading.Lock()

    def execute(
        self,
        decision: Decision,
        *,
        snapshot_ref: str | None = None,
        extra_evidence: dict[str, Any] | None = None,
    ) -> Executed:
        """Commit `decision` (with its alarm flag and any extra evidence), then act on it."""
        evidence = dict(decision.evidence)
        evidence["alarm"] = decision.alarm
        evidence.update(extra_evidence or {})
        with self._lock:
            record = self.event_log.append(
                DECISION_EVENT,
                subject=decision.subject,
                decision="granted" if decision.granted else "denied",
                reason=str(decision.reason),
                evidence=evidence,
                snapshot_ref=snapshot_ref,
            )
            relay_at = self._release(decision, record) if decision.granted else None
        return Executed(record, relay_at)

    def _release(self, decision: Decision, record: EventRecord) -> float | None:
        hardware = self.door.hardware
        if not getattr(hardware, "online", True):
            # An OSDP board that is offline: refuse before the driver tries, since a failed
            # release would latch the driver in its fail mode.
            self._command_failed(decision, record, "board_offline", "the door board is offline")
            return None
        changes_before = hardware.relay_changes
        try:
            self.door.grant(decision.subject)
        except HardwareError as err:
            logger.error("granted decision %s could not open the door: %s", record.sequence, err)
            self._command_failed(decision, record, "hardware_error", str(err))
            return None
        self.directory.record_entry(decision)
        history = hardware.relay_history
        if hardware.relay_changes > changes_before and history and history[-1][1]:
            return history[-1][0]
        return self.clock.monotonic()  # already released (exit button, hold): pulse extended

    def _command_failed(
        self, decision: Decision, record: EventRecord, reason: str, error: str
    ) -> None:
        self.event_log.append(
            DOOR_COMMAND_FAILED, subject=decision.subject, reason=reason,
            evidence={"decision_sequence": record.sequence, "error": error, "alarm": True},
        )
