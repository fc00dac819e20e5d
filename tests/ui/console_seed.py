"""Data for the console tests, put in through the aggregator's real HTTP API.

Two residents; gates gate-a (东门) and gate-b (西门) registered by the admin, each pushing a
hash-chained batch with its own credential. gate-a's batch lacks sequences 3-4 (a gap) and
holds a forced door; gate-b's holds a door held open. Twelve access decisions in the last two
hours: every third is a denial (unknown face), eight of them at gate-a.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from wire.chain import GENESIS_HASH, compute_hash

RESIDENTS = [
    {"person_id": "p1", "display_name": "张伟", "unit": "1-101"},
    {"person_id": "p2", "display_name": "李娜", "unit": "2-202"},
]
GATES = {"gate-a": "东门", "gate-b": "西门"}
GAP = (3, 4)
DECISIONS = 12
GRANTED = 8
DENIED_AT_GATE_A = 3
EVENT_ROWS = DECISIONS + 2  # plus door_forced and door_held_open
OPEN_ALARMS = 3  # door_forced, sequence_gap (both gate-a), door_held_open (gate-b)


@dataclass(frozen=True)
class Seeded:
    """What the tests may rely on."""

    event_rows: int = EVENT_ROWS
    granted: int = GRANTED
    denials: int = DECISIONS - GRANTED
    denied_at_gate_a: int = DENIED_AT_GATE_A
    open_alarms: int = OPEN_ALARMS


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _snapshot_ref(moment: datetime) -> str:
    return f"{moment:%Y/%m/%d}/{moment:%Y%m%dT%H%M%S}{moment.microsecond // 1000:03d}Z-" \
           f"{secrets.token_hex(6)}.jpg"


def _decision(i: int) -> dict[str, Any]:
    granted = i % 3 != 0
    person = "p1" if i % 2 else "p2"
    return {
        "type": "access_decision", "subject": person if granted else None,
        "decision": "granted" if granted else "denied",
        "reason": "granted_resident" if granted else "denied_unknown_face",
        "evidence": {
            "identity": person if granted else None, "distance": 0.31 if granted else 0.62,
            "margin": 0.12 if granted else 0.02, "second_identity": None,
            "recogniser": "sface", "frames_used": 5, "encodings": 3,
            "liveness": {"check": "blink", "verdict": "live", "score": 0.9, "reason": None,
                         "frames": 5},
            "policy": {"credential": "face", "match": "identified", "directory_version": 2,
                       "checks": ["blacklist", "validity", "schedule"]},
            "alarm": False, "first_frame_to_decision_ms": 412.5,
        },
    }


def _chain(gate_id: str, drafts: list[tuple[datetime, dict[str, Any]]]) -> list[dict[str, Any]]:
    events, prev = [], GENESIS_HASH
    for sequence, (moment, draft) in enumerate(sorted(drafts, key=lambda d: d[0]), start=1):
        body = {"event_id": str(uuid.uuid4()), "gate_id": gate_id, "sequence": sequence,
                "occurred_at": _stamp(moment), "type": draft["type"],
                "subject": draft.get("subject"), "decision": draft.get("decision"),
                "reason": draft.get("reason"), "evidence": draft.get("evidence", {}),
                "snapshot_ref": _snapshot_ref(moment) if draft.get("decision") else None,
                "prev_hash": prev}
        body["hash"] = prev = compute_hash(body)
        events.append(body)
    return events


def _drafts(now: datetime) -> dict[str, list[tuple[datetime, dict[str, Any]]]]:
    drafts: dict[str, list[tuple[datetime, dict[str, Any]]]] = {"gate-a": [], "gate-b": []}
    for i in range(DECISIONS):
        gate_id = "gate-a" if i < GRANTED else "gate-b"
        drafts[gate_id].append((now - timedelta(minutes=10 * i + 1), _decision(i)))
    drafts["gate-a"].append((now - timedelta(minutes=5), {"type": "door_forced"}))
    drafts["gate-b"].append((now - timedelta(minutes=85), {"type": "door_held_open"}))
    # Two door events after gate-a's two oldest decisions (sequences 3-4) are 'lost' in
    # transit, never sent: a sequence gap between received events.
    drafts["gate-a"] += [(now - timedelta(minutes=58 - k), {"type": "door_opened"})
                         for k in range(2)]
    return drafts


def seed(base_url: str, admin: tuple[str, str], snapshot: bytes) -> Seeded:
    """Create residents and gates as the admin, then ingest as each gate."""
    now = datetime.now(UTC)
    with httpx.Client(base_url=base_url, timeout=30) as console:
        login = console.post("/api/v1/auth/login",
                             json={"username": admin[0], "password": admin[1]})
        login.raise_for_status()
        # The cookie is Secure outside demo mode; httpx keeps such cookies off plain http.
        console.headers["Cookie"] = f"agg_session={login.cookies['agg_session']}"
        for resident in RESIDENTS:
            console.post("/api/v1/residents", json=resident).raise_for_status()
        credentials = {}
        for gate_id, name in GATES.items():
            reply = console.post("/api/v1/gates", json={"gate_id": gate_id, "name": name})
            reply.raise_for_status()
            credentials[gate_id] = reply.json()["credential"]
    for gate_id, drafts in _drafts(now).items():
        events = _chain(gate_id, drafts)
        lost = [e["sequence"] for e in events if e["type"] == "door_opened"]
        assert lost in ([], list(range(GAP[0], GAP[1] + 1))), lost
        events = [e for e in events if e["type"] != "door_opened"]
        auth = {"Authorization": f"Bearer {credentials[gate_id]}"}
        with httpx.Client(base_url=base_url, headers=auth, timeout=30) as gate:
            result = gate.post("/api/v1/ingest/events",
                               json={"gate_id": gate_id, "events": events})
            result.raise_for_status()
            for event in events:
                if event["snapshot_ref"]:
                    gate.put(f"/api/v1/ingest/snapshots/{event['snapshot_ref']}",
                             content=snapshot, headers={"Content-Type": "image/jpeg"}
                             ).raise_for_status()
            gate.post("/api/v1/ingest/heartbeat").raise_for_status()
    return Seeded()
