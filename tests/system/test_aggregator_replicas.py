"""Two stateless aggregator replicas on one PostgreSQL, several gates uploading to both at once.

Each gate sends its batches to a random replica and re-sends some of them to the other replica
at the same moment (a gate that timed out and retried elsewhere while the first try was still
running). Afterwards every event is stored exactly once, gaps and chain breaks are reported
once, and the login limit and offline alarms hold across replicas. The replicas are two apps
with their own engines and connection pools served by uvicorn on two ports in this process:
they share nothing but the database, which is what makes them stateless.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from aggregator_process import free_port, wait_healthy
from sqlalchemy import create_engine, text, update
from sqlalchemy.exc import OperationalError

from aggregator.app import create_app
from aggregator.db.models import Gate
from aggregator.jobs import raise_offline_alarms
from aggregator.settings import AggregatorSettings
from wire.chain import GENESIS_HASH, compute_hash

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GATES = ("g-a", "g-b", "g-gap", "g-tamper")
BATCHES = 6
PER_BATCH = 40
LATE_BATCH = 2
"""Gate g-gap sends this batch last: a gap is found, then closed when it arrives."""
TAMPERED_SEQUENCE = 100
"""Gate g-tamper alters this event after hashing it: one chain break."""


def _pg_available() -> bool:
    engine = create_engine(PG_ADMIN_URL)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    if not _pg_available():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (replicas need a shared DB)")
    name = f"aggreplica_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Replica:
    """One aggregator app served by uvicorn in a thread."""

    def __init__(self, url: str) -> None:
        settings = AggregatorSettings(database_url=url, demo=True, background_jobs=False,
                                      gate_offline_seconds=5)
        self.app = create_app(settings)  # migrates: both replicas do, under an advisory lock
        self.services = self.app.state.services
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=port,
                                                    log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        wait_healthy(self.base)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.services.close()


@pytest.fixture
def replicas(pg_url: str) -> Iterator[tuple[Replica, Replica]]:
    with ThreadPoolExecutor(2) as pool:  # started together: migrations race on purpose
        pair = tuple(pool.map(lambda _: Replica(pg_url), range(2)))
    for replica in pair:
        replica.start()
    yield pair  # type: ignore[misc]
    for replica in pair:
        replica.stop()


def _events(gate_id: str, count: int) -> list[dict]:
    start, prev, events = datetime(2026, 1, 5, 8, tzinfo=UTC), GENESIS_HASH, []
    for sequence in range(1, count + 1):
        at = (start + timedelta(seconds=sequence)).isoformat(timespec="milliseconds")
        event = {"event_id": str(uuid.uuid4()), "gate_id": gate_id, "sequence": sequence,
                 "occurred_at": at.replace("+00:00", "Z"), "type": "access_decision",
                 "subject": None, "decision": "granted", "reason": "granted_resident",
                 "evidence": {"distance": 0.3}, "snapshot_ref": None, "prev_hash": prev}
        event["hash"] = prev = compute_hash(event)
        if gate_id == "g-tamper" and sequence == TAMPERED_SEQUENCE:
            event["evidence"] = {"distance": 0.1}  # changed after hashing
        events.append(event)
    return events


def _upload(gate_id: str, credential: str, bases: list[str], seed: int) -> dict[str, int]:
    """Send a gate's batches to random replicas, re-sending some to both at once."""
    rng = random.Random(seed)
    events = _events(gate_id, BATCHES * PER_BATCH)
    batches = [events[i:i + PER_BATCH] for i in range(0, len(events), PER_BATCH)]
    if gate_id == "g-gap":
        batches.append(batches.pop(LATE_BATCH))
    headers = {"Authorization": f"Bearer {credential}"}
    totals = {"accepted": 0, "duplicates": 0, "resent": 0}
    with ThreadPoolExecutor(2) as pool:
        for batch in batches:
            body = {"gate_id": gate_id, "events": batch}
            first = rng.randrange(2)
            targets = [bases[first]] + ([bases[1 - first]] if rng.random() < 0.5 else [])
            results = list(pool.map(lambda base, body=body: httpx.post(
                f"{base}/api/v1/ingest/events", json=body, headers=headers, timeout=30),
                targets))
            for response in results:
                assert response.status_code == 200, response.text
                totals["accepted"] += response.json()["accepted"]
                totals["duplicates"] += response.json()["duplicates"]
            totals["resent"] += PER_BATCH * (len(targets) - 1)
    return totals


def test_two_replicas_store_every_event_of_concurrent_gates_exactly_once(
        replicas: tuple[Replica, Replica]) -> None:
    first, second = replicas
    credentials = {g: first.services.register_gate(g) for g in GATES}
    bases = [first.base, second.base]
    with ThreadPoolExecutor(len(GATES)) as pool:
        totals = list(pool.map(lambda item: _upload(item[1][0], item[1][1], bases, item[0]),
                               enumerate(credentials.items())))
    expected = len(GATES) * BATCHES * PER_BATCH
    assert sum(t["accepted"] for t in totals) == expected
    assert sum(t["duplicates"] for t in totals) == sum(t["resent"] for t in totals)
    with first.services.engine.connect() as conn:
        rows, distinct = conn.execute(text(
            "SELECT count(*), count(DISTINCT event_id) FROM events")).one()
        assert rows == distinct == expected
        per_gate = dict(conn.execute(text(
            "SELECT gate_id, count(DISTINCT sequence) FROM events GROUP BY gate_id")).all())
        assert per_gate == {g: BATCHES * PER_BATCH for g in GATES}
        last = dict(conn.execute(text("SELECT gate_id, last_sequence FROM gates")).all())
        assert last == {g: BATCHES * PER_BATCH for g in GATES}
        gaps = conn.execute(text("SELECT gate_id, from_sequence, to_sequence, "
                                 "closed_at IS NOT NULL FROM sequence_gaps")).all()
        late = (LATE_BATCH * PER_BATCH + 1, (LATE_BATCH + 1) * PER_BATCH)
        assert [tuple(g) for g in gaps] == [("g-gap", *late, True)]
        alarms = sorted(tuple(a) for a in conn.execute(text(
            "SELECT kind, gate_id FROM alarms")).all())
        assert alarms == [("chain_broken", "g-tamper"), ("sequence_gap", "g-gap")]
        broken = conn.execute(text("SELECT gate_id, sequence FROM events "
                                   "WHERE NOT chain_ok")).all()
        assert [tuple(b) for b in broken] == [("g-tamper", TAMPERED_SEQUENCE)]


def test_login_limit_is_shared_by_the_replicas(replicas: tuple[Replica, Replica]) -> None:
    bases = [r.base for r in replicas]
    wrong = {"username": "security", "password": "wrong-password"}
    for attempt in range(5):  # the limit is 5 per user and address, spread over both
        response = httpx.post(f"{bases[attempt % 2]}/api/v1/auth/login", json=wrong)
        assert response.status_code == 401
    for base in bases:
        response = httpx.post(f"{base}/api/v1/auth/login",
                              json={"username": "security", "password": "security-demo-pass"})
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1


def test_offline_check_on_both_replicas_raises_one_alarm_per_gate(
        replicas: tuple[Replica, Replica]) -> None:
    first, second = replicas
    for gate_id in GATES:
        first.services.register_gate(gate_id)
    long_ago = "2020-01-01T00:00:00.000Z"
    with first.services.engine.begin() as conn:
        conn.execute(update(Gate).values(last_seen=long_ago))
    barrier = threading.Barrier(2)

    def check(replica: Replica) -> list[str]:
        barrier.wait()
        return raise_offline_alarms(replica.services)

    with ThreadPoolExecutor(2) as pool:
        raised = [g for found in pool.map(check, replicas) for g in found]
    assert sorted(raised) == sorted(GATES)
    with first.services.engine.connect() as conn:
        kinds = conn.execute(text("SELECT gate_id FROM alarms WHERE kind = 'gate_offline'"))
        assert sorted(kinds.scalars()) == sorted(GATES)
