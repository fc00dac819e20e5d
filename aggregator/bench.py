"""`gate bench aggregator`: ingest rate, console query latency and gate-to-central latency.

A test harness, not product code, so it may use both sides: simulated gates build real
hash-chained batches; the aggregator runs as a uvicorn subprocess on 127.0.0.1 (so client and
server do not share a GIL); the latency part runs the real gate uplink against it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import httpx
import numpy as np
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from aggregator.db.partitions import add_months, create_month_partition, month_of
from wire.chain import GENESIS_HASH, compute_hash

GATES = 8
BATCH = 500
QUERY_REPEATS = 20
SPAN_DAYS = 180
REASONS = ("granted_resident", "denied_unknown_face", "granted_resident", "granted_resident",
           "denied_liveness_failed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _batches(gate_id: str, count: int, start: datetime, step_ms: float, people: int):  # type: ignore[no-untyped-def]
    """Valid hash-chained event batches of one simulated gate, as JSON bodies."""
    prev, sequence = GENESIS_HASH, 0
    while sequence < count:
        events = []
        for _ in range(min(BATCH, count - sequence)):
            sequence += 1
            at = start + timedelta(milliseconds=step_ms * sequence)
            reason = REASONS[sequence % len(REASONS)]
            kind = "door_forced" if sequence % 997 == 0 else "access_decision"
            event = {
                "event_id": str(uuid.uuid4()), "gate_id": gate_id, "sequence": sequence,
                "occurred_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "type": kind,
                "subject": f"p{sequence % people}" if kind == "access_decision" else None,
                "decision": (reason.split("_")[0] if kind == "access_decision" else None),
                "reason": reason if kind == "access_decision" else None,
                "evidence": {"distance": 0.31, "frames": 3} if kind == "access_decision" else {},
                "snapshot_ref": None, "prev_hash": prev,
            }
            event["hash"] = prev = compute_hash(event)
            events.append(event)
        yield json.dumps({"gate_id": gate_id, "events": events}).encode()


class _Database:
    """A fresh database for the run: a temp SQLite file, or a temp PostgreSQL database."""

    def __init__(self, db: str, workdir: Path) -> None:
        self._admin_url = None
        if db == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.db'}"
        elif db.startswith("postgresql"):
            name = f"aggbench_{os.getpid()}"
            self._admin_url = make_url(db)
            self._name = name
            with self._admin().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.url = self._admin_url.set(database=name).render_as_string(hide_password=False)
        else:
            self.url = db

    def _admin(self):  # type: ignore[no-untyped-def]
        return create_engine(self._admin_url, isolation_level="AUTOCOMMIT")

    def drop(self) -> None:
        if self._admin_url is not None:
            with self._admin().connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)'))


def _prepare(url: str, workdir: Path) -> dict[str, str]:
    from aggregator.services import Services
    from aggregator.settings import AggregatorSettings

    settings = AggregatorSettings(database_url=url, demo=True, background_jobs=False,
                                  snapshot_dir=workdir / "snaps")
    svc = Services(settings)
    try:
        if svc.engine.dialect.name == "postgresql":
            # As in service: the hourly job makes each month's partition before it starts,
            # so 180 days of events sit in monthly partitions, not in events_default.
            with svc.engine.begin() as conn:
                month = month_of(datetime.now(UTC) - timedelta(days=SPAN_DAYS + 1))
                while month <= month_of(datetime.now(UTC)):
                    create_month_partition(conn, month)
                    month = add_months(month, 1)
        creds = {f"bench-{i}": svc.register_gate(f"bench-{i}") for i in range(GATES)}
        creds["latency"] = svc.register_gate("latency")
    finally:
        svc.close()
    return creds


def app_from_environment() -> FastAPI:
    """The app built from ``AGGREGATOR_*`` variables (uvicorn ``--factory``, one per worker)."""
    from aggregator.app import create_app
    from aggregator.settings import AggregatorSettings

    return create_app(AggregatorSettings())


def workers_for(url: str) -> int:
    """uvicorn worker processes for the server under test.

    PostgreSQL: one per core (2 here). Workers are separate processes, i.e. replicas, which
    ingest serialises per gate with a row lock (tests/system/test_aggregator_replicas.py).
    SQLite: one, because its writer lock is held only from the first write of a batch, so a
    second process could read a gate's state before the first one committed it.
    """
    return 1 if url.startswith("sqlite") else min(2, os.cpu_count() or 1)


def serve_workers(port: int, workers: int) -> None:
    """Serve :func:`app_from_environment` on 127.0.0.1:`port` with `workers` processes.

    The listening socket is bound here, as TCP: uvicorn's own bind for ``--workers`` leaves
    its protocol at 0, so asyncio does not set TCP_NODELAY on accepted connections and every
    keep-alive request after the first waits ~40 ms for a delayed ACK (Kludex/uvicorn#3149;
    measured here: 44 ms per request with 2 workers, 1 ms with 1).
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("aggregator.bench:app_from_environment", factory=True,
                            host="127.0.0.1", port=port, workers=workers,
                            log_level="warning", access_log=False)
    if workers == 1:
        uvicorn.Server(config).run()
        return
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()


def _serve(url: str, port: int, workdir: Path, workers: int) -> subprocess.Popen:
    env = dict(os.environ, AGGREGATOR_SNAPSHOT_DIR=str(workdir / "snaps"),
               AGGREGATOR_BACKGROUND_JOBS="false", AGGREGATOR_DATABASE_URL=url,
               AGGREGATOR_DEMO="true")
    proc = subprocess.Popen([sys.executable, "-c", "from aggregator.bench import serve_workers; "
                             f"serve_workers({port}, {workers})"], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the aggregator did not start")


def _ingest(base: str, creds: dict[str, str], events: int) -> float:
    per_gate = events // GATES
    start = datetime.now(UTC) - timedelta(days=SPAN_DAYS)
    step_ms = SPAN_DAYS * 86400_000 / max(1, per_gate)

    def run(index: int) -> None:
        gate_id = f"bench-{index}"
        with httpx.Client(base_url=base, timeout=120,
                          headers={"Authorization": f"Bearer {creds[gate_id]}",
                                   "Content-Type": "application/json"}) as client:
            for body in _batches(gate_id, per_gate, start, step_ms, 2000):
                response = client.post("/api/v1/ingest/events", content=body)
                response.raise_for_status()

    began = time.perf_counter()
    with ThreadPoolExecutor(GATES) as pool:
        list(pool.map(run, range(GATES)))
    return per_gate * GATES / (time.perf_counter() - began)


def _queries(base: str) -> tuple[float, dict[str, float]]:
    now = datetime.now(UTC)
    day_ago = (now - timedelta(days=1)).isoformat()
    week_ago = (now - timedelta(days=30)).isoformat()
    searches = {
        "latest_page": {},
        "gate_last_day": {"gate": "bench-3", "from": day_ago},
        "person": {"person": "p42"},
        "denied_last_month": {"decision": "denied", "from": week_ago},
        "door_forced_all": {"type": "door_forced"},
    }
    timings: dict[str, list[float]] = {name: [] for name in searches}
    with httpx.Client(base_url=base, timeout=60) as client:
        client.post("/api/v1/auth/login",
                    json={"username": "security", "password": "security-demo-pass"}
                    ).raise_for_status()
        for _ in range(QUERY_REPEATS):
            for name, params in searches.items():
                began = time.perf_counter()
                client.get("/api/v1/events", params=params | {"limit": 50}).raise_for_status()
                timings[name].append((time.perf_counter() - began) * 1000)
    every = [t for values in timings.values() for t in values]
    return (float(np.percentile(every, 95)),
            {name: round(float(np.percentile(v, 95)), 1) for name, v in timings.items()})


def _gate_latency(base: str, credential: str, workdir: Path, samples: int = 40) -> float:
    from gate.clock import SystemClock
    from gate.eventlog.store import EventLog
    from gate.uplink.client import AggregatorClient
    from gate.uplink.sender import EventSender
    from gate.uplink.state import UplinkState

    db = workdir / "latency-gate.db"
    log = EventLog(db, "latency", SystemClock())
    state = UplinkState(db)
    sender = EventSender(log, state, AggregatorClient(base, credential), idle_seconds=0.5)
    sender.start()
    latencies = []
    try:
        for _ in range(samples):
            record = log.append("access_decision", decision="denied", reason="denied_unknown_face")
            began = time.perf_counter()
            while state.get("ack_sequence") < record.sequence:
                time.sleep(0.005)
            latencies.append((time.perf_counter() - began) * 1000)
            time.sleep(0.1)
    finally:
        sender.stop()
        log.close()
    return float(np.percentile(latencies, 95))


def run_bench(db: str, events: int) -> dict:
    """Run the whole benchmark; returns the JSON-ready result."""
    with tempfile.TemporaryDirectory(prefix="aggbench-") as tmp:
        workdir = Path(tmp)
        database = _Database(db, workdir)
        try:
            creds = _prepare(database.url, workdir)
            port = _free_port()
            workers = workers_for(database.url)
            server = _serve(database.url, port, workdir, workers)
            base = f"http://127.0.0.1:{port}"
            try:
                rate = _ingest(base, creds, events)
                p95, per_query = _queries(base)
                latency = _gate_latency(base, creds["latency"], workdir)
            finally:
                server.terminate()
                server.wait(30)
            engine = create_engine(database.url)
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
            engine.dispose()
        finally:
            database.drop()
    return {
        "database": "sqlite" if db == "sqlite" else make_url(database.url).get_backend_name(),
        "rows": int(rows), "gates": GATES, "batch_events": BATCH, "server_workers": workers,
        "ingest_events_per_s": round(rate, 1), "query_p95_ms": round(p95, 1),
        "query_p95_ms_by_search": per_query, "gate_to_central_p95_ms": round(latency, 1),
        "targets": {"ingest_events_per_s": 5000 if db == "sqlite" else 10000,
                    "query_p95_ms": 200, "gate_to_central_p95_ms": 5000},
    }


def aggregator_bench_command(db: str, events: int, as_json: bool) -> int:
    """Entry point of `gate bench aggregator`; prints JSON (or a short text) and returns 0."""
    result = run_bench(db, events)
    if as_json:
        click.echo(json.dumps(result, sort_keys=True))
    else:
        for key, value in result.items():
            click.echo(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(aggregator_bench_command(sys.argv[1], int(sys.argv[2]), True))
