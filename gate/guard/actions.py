"""Guard actions and views: sign-in, manual open, the decision feed, alarms and the muster list.

Every guard action is an event in the gate's durable, hash-chained log with the guard's id
(`guard_signed_in`, `manual_open`, `alarm_acknowledged`, ...), committed before it takes
effect: the manual open is in the log before the relay moves, like every decision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gate.errors import GateError, HardwareError
from gate.eventlog.store import EventRecord
from gate.guard.context import GuardContext
from gate.guard.sessions import GuardSession
from gate.privacy import mask_name
from wire.plates import mask_plate

logger = logging.getLogger(__name__)

DECISION = "access_decision"
MANUAL_OPEN = "manual_open"
ALARM_ACK = "alarm_acknowledged"
MARKED_LEFT = "muster_marked_left"
DELIVERY_REFUSED = "visitor_delivery_refused"
ALARM_TYPES = frozenset({"door_forced", "door_held_open", "door_command_failed", "camera_lost",
                         DELIVERY_REFUSED})
RECENT_SCAN = 5000
"""How many newest events the alarm list and feed look through."""


class SignInError(GateError, PermissionError):
    """Wrong PIN, unknown guard, or an account paused after too many wrong PINs."""

    def __init__(self, code: str, detail: str, retry_after_seconds: float = 0.0) -> None:
        super().__init__(detail)
        self.code = code
        self.retry_after_seconds = retry_after_seconds


class DoorUnavailableError(GateError, RuntimeError):
    """The manual open was recorded but the door could not be released."""


class UnknownPersonError(GateError, LookupError):
    """The person is not in this gate's directory."""


@dataclass(frozen=True)
class Alarm:
    sequence: int
    type: str
    occurred_at: str
    reason: str | None
    acknowledged_by: str | None


def sign_in(ctx: GuardContext, guard_id: str, pin: str) -> tuple[str, GuardSession]:
    """A session token for the guard; SignInError (and a logged failure) otherwise.

    The attempt is counted before the PIN is checked, so requests sent in parallel cannot
    try more PINs than the lockout allows.
    """
    known = any(g.guard_id == guard_id for g in ctx.store.guards())
    # Unknown ids are not counted: a typed-in id might be anything, and counting it would
    # let anyone grow the table without bound. They are never checked against a hash either.
    wait = ctx.sessions.attempt(guard_id) if known else 0.0
    if wait > 0:
        raise SignInError("locked", f"too many wrong PINs; try again in {wait:.0f} s", wait)
    account = ctx.store.check_pin(guard_id, pin) if known else None
    if account is None:
        # Only a known account's id goes into the log.
        ctx.event_log.append("guard_sign_in_failed",
                             evidence={"guard_id": guard_id if known else None})
        raise SignInError("wrong_pin", "wrong guard or PIN")
    token = ctx.sessions.open(account.guard_id, account.display_name)
    ctx.event_log.append("guard_signed_in", evidence={"guard_id": account.guard_id})
    session = ctx.sessions.touch(token)
    assert session is not None  # just opened
    return token, session


def sign_out(ctx: GuardContext, session: GuardSession, why: str) -> None:
    """Record the end of a session (`manual` or `idle`)."""
    ctx.event_log.append("guard_signed_out", evidence={"guard_id": session.guard_id,
                                                       "why": why})


def manual_open(ctx: GuardContext, session: GuardSession, reason: str) -> EventRecord:
    """Record the guard's manual open with its reason, then release the door for one pulse."""
    record = ctx.event_log.append(
        MANUAL_OPEN, decision="granted", reason="manual_open",
        evidence={"guard_id": session.guard_id, "note": reason})
    try:
        ctx.door.grant(None)
    except HardwareError as err:
        ctx.event_log.append("door_command_failed", reason="hardware_error", evidence={
            "decision_sequence": record.sequence, "error": str(err), "alarm": True,
            "guard_id": session.guard_id})
        raise DoorUnavailableError(f"recorded, but the door did not open: {err}") from err
    return record


def recent_events(ctx: GuardContext, scan: int = RECENT_SCAN) -> list[EventRecord]:
    last = ctx.event_log.last_sequence()
    return ctx.event_log.events_after(max(0, last - scan), scan)


def decisions(ctx: GuardContext, limit: int = 30) -> list[dict[str, Any]]:
    """The newest access decisions and manual opens, newest first, names masked."""
    people = ctx.directory.snapshot().people
    found = [r for r in recent_events(ctx, 1000) if r.type in (DECISION, MANUAL_OPEN)]
    out = []
    for record in reversed(found[-limit:]):
        person = people.get(record.subject or "")
        out.append({
            "sequence": record.sequence, "type": record.type, "occurred_at": record.occurred_at,
            "decision": record.decision, "reason": record.reason,
            "name": mask_name(person.display_name) if person else None,
            "kind": person.kind.value if person else None,
            "lookalike": bool(person and person.lookalike_flag),
            "snapshot_ref": record.snapshot_ref,
            "guard_id": record.evidence.get("guard_id"),
            **_vehicle_fields(record),
        })
    return out


def _vehicle_fields(record: EventRecord) -> dict[str, Any]:
    """A plate decision's plate and, for an unknown or near-miss car, the guard prompt.

    The plate is shown in full only where the guard must act on it (compare it with the
    car at the barrier, register it); elsewhere it is masked like a name.
    """
    plate = record.evidence.get("plate")
    if not isinstance(plate, str):
        return {}
    policy = record.evidence.get("policy") or {}
    prompt = bool(policy.get("guard_prompt"))
    return {"plate": plate if prompt else mask_plate(plate), "guard_prompt": prompt,
            "near_miss_plates": list(policy.get("near_miss_plates") or []) if prompt else []}


def _is_alarm(record: EventRecord) -> bool:
    return record.type in ALARM_TYPES or (record.type == DECISION
                                          and record.evidence.get("alarm") is True)


def alarms(ctx: GuardContext) -> list[Alarm]:
    """Alarms among the newest events, newest first, with who acknowledged each."""
    records = recent_events(ctx)
    acked = {r.evidence.get("alarm_sequence"): r.evidence.get("guard_id")
             for r in records if r.type == ALARM_ACK}
    return [Alarm(r.sequence, r.type, r.occurred_at, r.reason, acked.get(r.sequence))
            for r in reversed(records) if _is_alarm(r)]


def acknowledge(ctx: GuardContext, session: GuardSession, sequence: int) -> EventRecord | None:
    """Acknowledge one alarm; None when there is no such alarm. Already acknowledged: the
    earlier acknowledgement stands and nothing is written."""
    match = next((a for a in alarms(ctx) if a.sequence == sequence), None)
    if match is None:
        return None
    if match.acknowledged_by is not None:
        return None
    return ctx.event_log.append(ALARM_ACK, evidence={"alarm_sequence": sequence,
                                                     "alarm_type": match.type,
                                                     "guard_id": session.guard_id})


def mark_left(ctx: GuardContext, session: GuardSession, person_id: str) -> EventRecord:
    """A guard saw a person leave (egress is not identified at a pedestrian gate).

    Only a person of this gate's directory: the subject of a log record is never free text.
    """
    if person_id not in ctx.directory.snapshot().people:
        raise UnknownPersonError("no such person in this gate's directory")
    return ctx.event_log.append(MARKED_LEFT, subject=person_id,
                                evidence={"guard_id": session.guard_id})


@dataclass(frozen=True)
class Passage:
    """A person's last passage: when, whether it left them inside, and at which gate."""

    at: datetime
    inside: bool
    gate_id: str


def local_passages(ctx: GuardContext, cutoff: datetime) -> dict[str, Passage]:
    """Each person's last passage at this gate since `cutoff`, from its own event log.

    An entry is a granted decision naming a person; an exit is a decision whose policy
    evidence says `direction: exit`, or a guard's `muster_marked_left`. The exit button
    does not identify anyone, so people who left through it stay listed until marked.
    """
    last: dict[str, Passage] = {}
    for record in recent_events(ctx, 20000):
        if record.subject is None or record.type not in (MARKED_LEFT, DECISION):
            continue
        if record.type == DECISION and record.decision != "granted":
            continue
        policy = record.evidence.get("policy") or {}
        exit_lane = isinstance(policy, dict) and policy.get("direction") == "exit"
        inside = record.type == DECISION and not exit_lane
        at = _parse(record.occurred_at)
        if at >= cutoff:
            last[record.subject] = Passage(at, inside, ctx.gate_id)
    return last


def community_passages(body: dict[str, Any]) -> dict[str, Passage]:
    """The aggregator's muster answer as passages; ValueError if it is malformed."""
    try:
        return {str(p["person_id"]): Passage(_parse(str(p["at"])), bool(p["inside"]),
                                             str(p["gate_id"])) for p in body["people"]}
    except (KeyError, TypeError) as err:
        raise ValueError(f"malformed muster answer: {err}") from err


def muster(ctx: GuardContext, community: dict[str, Passage] | None = None) -> list[dict[str, Any]]:
    """Who is inside now: people whose last passage in the muster window was an entry.

    With `community` (every gate's passages, from the aggregator) the newer of its and this
    gate's own last passage counts: a guard's "has left" here counts before it is uploaded.
    """
    cutoff = ctx.clock.now() - timedelta(hours=ctx.config.muster_hours)
    last = dict(community or {})
    for person_id, passage in local_passages(ctx, cutoff).items():
        known = last.get(person_id)
        if known is None or passage.at >= known.at:
            last[person_id] = passage
    snapshot = ctx.directory.snapshot()
    rows = []
    for person_id, passage in last.items():
        if not passage.inside or passage.at < cutoff:
            continue
        person = snapshot.people.get(person_id)
        rows.append({
            "person_id": person_id,
            "name": person.display_name if person else person_id,
            "unit": person.unit if person else "",
            "kind": person.kind.value if person else "unknown",
            "since": passage.at.isoformat(),
            "gate_id": passage.gate_id,
        })
    return sorted(rows, key=lambda r: (r["kind"], r["unit"], r["since"]))


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
