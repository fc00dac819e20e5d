"""The event record and its hash chain: the one definition shared by the gate and the aggregator.

Canonical form
--------------
An event's hash is the lowercase hex SHA-256 of its *canonical bytes*: the UTF-8 encoding of

    json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

where ``body`` is the wire dict (:meth:`EventRecord.to_wire`) without the ``hash`` key, i.e. exactly
these eleven keys, none omitted (absent values are JSON ``null``):

    event_id, gate_id, sequence, occurred_at, type, subject, decision, reason, evidence,
    snapshot_ref, prev_hash

``sequence`` is a JSON integer; ``evidence`` is a JSON object (``{}`` when there is none) whose keys
are sorted at every depth like the rest; ``occurred_at`` is ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC,
milliseconds). ``prev_hash`` is the ``hash`` of the event with the previous sequence, or
:data:`GENESIS_HASH` (64 zeros) for sequence 1. Because ``prev_hash`` is inside the hashed body,
each hash commits to the whole history before it: editing, deleting, inserting or reordering an
event breaks the chain at that point. Anyone holding the wire fields (the aggregator on ingest, an
auditor with an export) can recompute it without the gate's database.

The canonical-JSON and hash functions live in ``wire/chain.py`` (shared with the aggregator)
and are re-exported here under their old names.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from wire.chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    WIRE_FIELDS,
    canonical_bytes,
    canonical_json,
    compute_hash,
)

__all__ = [
    "GENESIS_HASH", "HASHED_FIELDS", "WIRE_FIELDS", "EventRecord", "canonical_bytes",
    "canonical_json", "compute_hash", "format_timestamp", "normalise_evidence", "parse_timestamp",
]


def normalise_evidence(evidence: dict[str, Any] | None) -> dict[str, Any]:
    """A JSON round-trip copy of `evidence`, so what is stored is exactly what was hashed.

    Tuples become lists and numpy scalars (anything with ``.item()``) plain numbers; anything
    else JSON cannot represent (NaN, sets, arrays, objects) raises ``ValueError`` here rather
    than producing a hash nobody else can reproduce.
    """
    if evidence is None:
        return {}
    if not isinstance(evidence, dict):
        raise ValueError(f"evidence must be a dict, not {type(evidence).__name__}")
    try:
        text = json.dumps(evidence, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False, default=_plain_scalar)
    except (TypeError, ValueError) as err:
        raise ValueError(f"evidence is not JSON-serialisable: {err}") from err
    return json.loads(text)


def _plain_scalar(value: Any) -> Any:
    # numpy scalars (np.float32 distances, np.int64 counts) are common in vision evidence.
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def format_timestamp(moment: datetime) -> str:
    """`moment` as ISO-8601 UTC with milliseconds and a Z, e.g. ``2026-01-05T08:00:00.123Z``."""
    if moment.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    """Inverse of :func:`format_timestamp`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class EventRecord:
    """One committed event: a decision, a door event or a system event of one gate."""

    event_id: str
    gate_id: str
    sequence: int
    occurred_at: str
    type: str
    subject: str | None
    decision: str | None
    reason: str | None
    evidence: dict[str, Any] = field(default_factory=dict)
    snapshot_ref: str | None = None
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    def to_wire(self) -> dict[str, Any]:
        """All fields as a JSON-ready dict (the uplink's batch element)."""
        wire = asdict(self)
        wire["evidence"] = json.loads(canonical_json(self.evidence))  # a deep copy
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> EventRecord:
        """Rebuild a record from its wire dict; unknown or missing keys raise ``ValueError``."""
        unknown = set(wire) - set(WIRE_FIELDS)
        missing = set(WIRE_FIELDS) - set(wire)
        if unknown or missing:
            raise ValueError(
                f"not an event: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}"
            )
        return cls(**wire)

    def computed_hash(self) -> str:
        """The hash this record's content should carry."""
        return compute_hash(asdict(self))

    def content_matches_hash(self) -> bool:
        """True when ``hash`` is the hash of the other fields (the record was not edited)."""
        return self.computed_hash() == self.hash

    def sealed(self) -> EventRecord:
        """A copy with ``hash`` set from the content."""
        return replace(self, hash=self.computed_hash())
