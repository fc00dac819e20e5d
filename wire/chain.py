"""The canonical JSON form of an event and its hash: one definition for the gate and the aggregator.

An event's hash is the lowercase hex SHA-256 of the UTF-8 bytes of

    json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

where ``body`` holds exactly the :data:`HASHED_FIELDS` of the wire dict (absent values are JSON
``null``). ``prev_hash`` is inside the body, so each hash commits to the whole history before it.
See ``gate/eventlog/chain.py`` for the record type and the full description.

Pure standard library on purpose.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first event ever written by a gate."""

HASHED_FIELDS: tuple[str, ...] = (
    "event_id",
    "gate_id",
    "sequence",
    "occurred_at",
    "type",
    "subject",
    "decision",
    "reason",
    "evidence",
    "snapshot_ref",
    "prev_hash",
)
"""Wire fields covered by the hash (every wire field except ``hash`` itself)."""

WIRE_FIELDS: tuple[str, ...] = (*HASHED_FIELDS, "hash")


def canonical_json(value: Any) -> str:
    """JSON text in the canonical form: sorted keys, no whitespace, UTF-8 kept, no NaN/Infinity."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def canonical_bytes(body: dict[str, Any]) -> bytes:
    """The bytes that are hashed: the canonical JSON of the :data:`HASHED_FIELDS` of `body`."""
    try:
        hashed = {name: body[name] for name in HASHED_FIELDS}
    except KeyError as err:
        raise ValueError(f"event is missing wire field {err.args[0]!r}") from err
    return canonical_json(hashed).encode("utf-8")


def compute_hash(body: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical form of `body` (a wire dict, with or without ``hash``)."""
    return hashlib.sha256(canonical_bytes(body)).hexdigest()
