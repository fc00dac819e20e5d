"""Pydantic models of the messages between a gate and the aggregator.

`WireEvent` has exactly the fields of ``EventRecord.to_wire()``; the hash is checked by the
receiver with :func:`wire.chain.compute_hash`, not here, so that a tampered event can still be
stored as evidence and raise an alarm.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wire.pins import PIN_HASH_PATTERN

MAX_BATCH_EVENTS = 500
"""Most events one ingest request may carry."""

MAX_BATCH_BYTES = 2 * 1024 * 1024
"""Largest ingest request body the aggregator reads."""

_HEX64 = r"^[0-9a-f]{64}$"
_ID = r"^[A-Za-z0-9_.-]{1,64}$"


class WireModel(BaseModel):
    """Strict base: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class WireEvent(WireModel):
    """One committed gate event, exactly as the gate's log holds it."""

    event_id: str = Field(..., min_length=1, max_length=64, description="UUID of the event.")
    gate_id: str = Field(..., pattern=_ID)
    sequence: int = Field(..., ge=1, le=2**62, description="Per-gate sequence, from 1.")
    occurred_at: str = Field(
        ..., pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
        description="UTC time with milliseconds, e.g. 2026-01-05T08:00:00.123Z.",
    )
    type: str = Field(..., min_length=1, max_length=64)
    subject: str | None = Field(None, max_length=64)
    decision: Literal["granted", "denied"] | None = None
    reason: str | None = Field(None, max_length=64)
    evidence: dict[str, Any] = Field(default_factory=dict)
    snapshot_ref: str | None = Field(None, max_length=200)
    prev_hash: str = Field(..., pattern=_HEX64)
    hash: str = Field(..., pattern=_HEX64)

    @model_validator(mode="after")
    def _no_nul_characters(self) -> WireEvent:
        # PostgreSQL text cannot hold U+0000; refuse it on every database alike.
        if _has_nul(self.__dict__):
            raise ValueError("NUL characters (U+0000) are not allowed in an event")
        return self


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class EventBatch(WireModel):
    """Events of one gate, in sequence order, sent in one request."""

    gate_id: str = Field(..., pattern=_ID)
    events: list[WireEvent] = Field(..., min_length=1, max_length=MAX_BATCH_EVENTS)


class IngestResult(WireModel):
    """What the aggregator did with a batch."""

    accepted: int = Field(..., description="Events stored for the first time.")
    duplicates: int = Field(..., description="Events already stored (a replayed batch).")
    gaps: list[tuple[int, int]] = Field(
        default_factory=list, description="Sequence ranges [from, to] found missing."
    )
    chain_ok: bool = Field(..., description="False when a hash or link did not verify.")


# -- sync down -----------------------------------------------------------------------------


class PersonWire(WireModel):
    """A resident or visitor as a gate needs it (no ID or phone numbers)."""

    person_id: str = Field(..., pattern=_ID)
    display_name: str = Field(..., min_length=1, max_length=100)
    unit: str = Field(..., max_length=64)
    kind: Literal["resident", "visitor"] = "resident"
    groups: list[str] = Field(default_factory=list)
    valid_from: str | None = None
    valid_until: str | None = None
    enabled: bool = True
    lookalike: bool = Field(
        False, description="Set by the aggregator: another resident's face is too close to this "
        "one's, so face gates ask for a second factor (card or PIN). Ignored when sent to it.")


class GroupWire(WireModel):
    group_id: str = Field(..., pattern=_ID)
    schedule_id: str = Field(..., pattern=_ID)


class ScheduleWire(WireModel):
    """Seven lists (Monday first) of [start_minute, end_minute) in local time."""

    schedule_id: str = Field(..., pattern=_ID)
    timezone: str = "Asia/Shanghai"
    windows: list[list[tuple[int, int]]] = Field(..., min_length=7, max_length=7)


class VisitorWire(WireModel):
    person_id: str = Field(..., pattern=_ID)
    host_unit: str = Field(..., max_length=64)
    valid_from: str
    valid_until: str
    max_entries: int = Field(1, ge=1)


class BlacklistWire(WireModel):
    person_id: str | None = None
    plate: str | None = None
    reason: str = ""
    alarm: bool = True


class VehicleWire(WireModel):
    plate: str = Field(..., min_length=1, max_length=16)
    person_id: str | None = None
    unit: str = ""


class CardWire(WireModel):
    card_number: str = Field(..., pattern=r"^[0-9A-Za-z]{1,32}$",
                             description="As the reader reports it: letters and digits.")
    person_id: str = Field(..., pattern=_ID)


class PinWire(WireModel):
    """A person's PIN as its hash with the community salt (`wire.pins.hash_pin`), never clear."""

    person_id: str = Field(..., pattern=_ID)
    pin_hash: str = Field(..., pattern=PIN_HASH_PATTERN)


class FaceTemplateWire(WireModel):
    recogniser: str = Field(..., pattern=_ID)
    vector: list[float] = Field(..., min_length=1, max_length=2048)
    source_sha256: str = Field(..., pattern=_HEX64)


class FaceTemplatesWire(WireModel):
    """Every template of one person: the gate replaces that person's set with this one."""

    person_id: str = Field(..., pattern=_ID)
    templates: list[FaceTemplateWire] = Field(default_factory=list)


class SyncDeletions(WireModel):
    """Ids removed centrally since `from_version`."""

    people: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    schedules: list[str] = Field(default_factory=list)
    visitors: list[str] = Field(default_factory=list)
    blacklist: list[str] = Field(default_factory=list, description="`person:<id>`/`plate:<p>`")
    vehicles: list[str] = Field(default_factory=list)
    cards: list[str] = Field(default_factory=list)
    pins: list[str] = Field(default_factory=list, description="People whose PIN was removed.")


class SyncDelta(WireModel):
    """Directory changes between two central versions; `full` means replace everything."""

    from_version: int = Field(..., ge=0)
    to_version: int = Field(..., ge=0)
    full: bool = False
    people: list[PersonWire] = Field(default_factory=list)
    groups: list[GroupWire] = Field(default_factory=list)
    schedules: list[ScheduleWire] = Field(default_factory=list)
    visitors: list[VisitorWire] = Field(default_factory=list)
    blacklist: list[BlacklistWire] = Field(default_factory=list)
    vehicles: list[VehicleWire] = Field(default_factory=list)
    cards: list[CardWire] = Field(default_factory=list)
    pins: list[PinWire] = Field(default_factory=list)
    pin_salt: str | None = Field(
        None, pattern=r"^[0-9a-f]{32}$",
        description="The community PIN salt (hex) the `pins` were hashed with; gates adopt it.",
    )
    face_templates: list[FaceTemplatesWire] = Field(default_factory=list)
    deletions: SyncDeletions = Field(default_factory=SyncDeletions)

