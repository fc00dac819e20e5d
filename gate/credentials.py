"""Cards and PINs at the gate: reader event -> directory -> policy -> durable log -> door.

A card or PIN is a credential like a face: the same directory (people, validity,
schedules, visitors, blacklist), the same `policy.decide`, the same `access_decision`
record. A resident who declined face enrolment gets in with a card.

The ordering contract is the controller's: the decision is committed to the event log
*before* `DoorDriver.grant()`, and nothing else here drives the relay. A grant that cannot
reach the door (board offline, driver faulted, command not acknowledged) is itself
recorded as `door_command_failed`; it is never silently dropped.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gate.clock import Clock
from gate.decisions import DOOR_COMMAND_FAILED, DecisionExecutor
from gate.directory.credential_rows import CredentialType, hint
from gate.directory.store import DirectoryStore
from gate.door.driver import DoorDriver
from gate.eventlog.store import EventLog, EventRecord
from gate.pairing import SecondFactorBook, decide_paired
from gate.policy.engine import PolicySettings
from gate.policy.model import AccessRequest, CredentialKind, Decision, MatchOutcome

logger = logging.getLogger(__name__)

ALARM_BOARD_EVENTS = frozenset({
    "board_offline", "board_key_refused", "board_tamper", DOOR_COMMAND_FAILED,
})


@dataclass(frozen=True)
class CredentialReport:
    """What happened to one card or PIN, for displays and benchmarks."""

    credential: CredentialKind
    decision: Decision
    record: EventRecord
    presented_at: float
    """Monotonic seconds when the reader event reached the gate."""
    decided_at: float
    """Monotonic seconds when the decision was committed to the log."""
    relay_energised_at: float | None

    @property
    def decision_ms(self) -> float:
        """Reader event -> decision committed."""
        return (self.decided_at - self.presented_at) * 1000.0


def credential_request(
    kind: CredentialKind,
    person_id: str | None,
    gate_id: str,
    now: Any,
    evidence: dict[str, Any],
) -> AccessRequest:
    """The access request a card or PIN makes: matched when the directory knows it."""
    return AccessRequest(
        gate_id=gate_id, now=now, credential=kind, subject=person_id, evidence=evidence,
        match=MatchOutcome.MATCHED if person_id is not None else MatchOutcome.NO_MATCH,
    )


class CredentialAccess:
    """Decides cards and PINs for one gate and drives its door on a grant.

    `attach(reader)` wires a reader backend (e.g. `OsdpDoorHardware`): its card reads,
    PINs and board events (offline, key refused, tamper) land here and in the event log.
    Thread-safe: readers call in from their own threads.
    """

    def __init__(
        self,
        *,
        gate_id: str,
        directory: DirectoryStore,
        policy: PolicySettings,
        event_log: EventLog,
        door: DoorDriver,
        clock: Clock,
        executor: DecisionExecutor | None = None,
        on_decision: Callable[[CredentialReport], None] | None = None,
        pairing: SecondFactorBook | None = None,
    ) -> None:
        self.gate_id = gate_id
        self.pairing = pairing
        self.directory = directory
        self.policy = policy
        self.event_log = event_log
        self.door = door
        self.clock = clock
        self.executor = executor or DecisionExecutor(event_log, door, directory, clock)
        self.on_decision = on_decision
        # Recent decisions for displays; bounded so a long-running gate does not grow.
        self.recent: deque[CredentialReport] = deque(maxlen=200)
        self._indicate: Callable[[bool], None] | None = None
        self._lock = threading.Lock()

    def attach(self, reader: Any) -> None:
        """Take card reads, PINs and board events from `reader`; use its LED/buzzer."""
        reader.when_card_read = lambda card: self.present_card(card.number, card.reader)
        reader.when_pin_entered = self.present_pin
        reader.when_board_event = self.record_board_event
        self._indicate = getattr(reader, "indicate", None)

    # -- credentials -----------------------------------------------------------------

    def present_card(self, card_number: str, reader: int = 0) -> CredentialReport:
        """A card was read: decide, record, and release the door on a grant."""
        presented_at = self.clock.monotonic()
        person_id = self.directory.person_for_card(card_number)
        evidence = {"reader": reader, "card_hint": hint(CredentialType.CARD, card_number)}
        return self._decide(CredentialKind.CARD, person_id, evidence, presented_at)

    def present_pin(self, pin: str, reader: int = 0) -> CredentialReport:
        """A PIN was entered: decide, record, and release the door on a grant."""
        presented_at = self.clock.monotonic()
        person_id = self.directory.person_for_pin(pin)
        return self._decide(CredentialKind.PIN, person_id, {"reader": reader}, presented_at)

    # -- board events ----------------------------------------------------------------

    def record_board_event(self, event_type: str, evidence: dict[str, Any]) -> EventRecord:
        """Commit a board event (online, offline, key refused, tamper, lost command)."""
        body = dict(evidence)
        body["alarm"] = event_type in ALARM_BOARD_EVENTS
        return self.event_log.append(event_type, evidence=body)

    # -- internals -------------------------------------------------------------------

    def _decide(
        self,
        kind: CredentialKind,
        person_id: str | None,
        evidence: dict[str, Any],
        presented_at: float,
    ) -> CredentialReport:
        with self._lock:
            request = credential_request(kind, person_id, self.gate_id, self.clock.now(),
                                         evidence)
            decision = decide_paired(request, self.directory.snapshot(), self.policy,
                                     self.pairing, presented_at)
            executed = self.executor.execute(decision)
            record, relay_at = executed.record, executed.relay_energised_at
            decided_at = self.clock.monotonic()
            report = CredentialReport(kind, decision, record, presented_at, decided_at,
                                      relay_at)
            self.recent.append(report)
        self._feedback(decision.granted and relay_at is not None)
        if self.on_decision is not None:
            self.on_decision(report)
        return report

    def _feedback(self, granted: bool) -> None:
        indicate = self._indicate
        if indicate is None:
            return
        try:
            indicate(granted)
        except Exception:
            logger.exception("reader feedback failed")
