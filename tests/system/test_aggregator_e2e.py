"""Gates and aggregator end to end over real HTTP: outage, kill -9, exactly-once delivery."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from aggregator_process import free_port, serve_aggregator, wait_healthy

from aggregator.app import create_app
from aggregator.settings import AggregatorSettings
from gate.config.loader import load_config
from gate.config.uplink import UplinkConfig
from gate.demo import DEMO_CONFIG
from gate.uplink.service import build_uplink
from hw_sim.harness import SimulatedGate

ROOT = Path(__file__).resolve().parents[2]


class InProcessAggregator:
    """uvicorn in a thread; stop() and start() again on the same port and database."""

    def __init__(self, db: Path, port: int) -> None:
        self.settings = AggregatorSettings(database_url=f"sqlite:///{db}", demo=True,
                                           background_jobs=False,
                                           snapshot_dir=db.parent / "snaps")
        self.port = port
        self.server: uvicorn.Server | None = None
        self.app = None

    def start(self) -> None:
        self.app = create_app(self.settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error")
        self.server = uvicorn.Server(config)
        thread = threading.Thread(target=self.server.run, daemon=True)
        thread.start()
        wait_healthy(f"http://127.0.0.1:{self.port}")
        self.thread = thread

    def stop(self) -> None:
        assert self.server is not None
        self.server.should_exit = True
        self.thread.join(10)
        self.app.state.services.close()


def _central_events(base: str) -> list[dict]:
    with httpx.Client(base_url=base) as client:
        client.post("/api/v1/auth/login",
                    json={"username": "admin", "password": "admin-demo-pass"}).raise_for_status()
        items, cursor = [], None
        while True:
            params = {"limit": 500} | ({"cursor": cursor} if cursor else {})
            page = client.get("/api/v1/events", params=params).json()
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items


def _uplink_config(base: str) -> UplinkConfig:
    return UplinkConfig(enabled=True, aggregator_url=base, poll_interval_seconds=0.1,
                        backoff_initial_seconds=0.1, backoff_max_seconds=0.5,
                        sync_interval_seconds=0.5, upload_snapshots=False)


def _door_activity(sim: SimulatedGate, presses: int) -> None:
    for _ in range(presses):
        sim.door.press_exit()
        sim.advance_to(sim.clock.monotonic() - sim._origin + 5.0)


def _wait_drained(sims: list[SimulatedGate], uplinks: list, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(u.sender.backlog() == 0 for u in uplinks):
            return
        time.sleep(0.1)
    raise AssertionError(f"backlog left: {[u.sender.backlog() for u in uplinks]}")


def test_two_gates_survive_an_aggregator_outage_and_deliver_exactly_once(
        tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    aggregator = InProcessAggregator(tmp_path / "central" / "agg.db", port)
    aggregator.start()
    sims, uplinks = [], []
    try:
        for name in ("north", "south"):
            config = load_config(DEMO_CONFIG).model_copy(update={"gate_id": name})
            sim = SimulatedGate(tmp_path / name, config)
            credential = aggregator.app.state.services.register_gate(sim.gate.config.gate_id)
            stores = sim.gate.stores
            uplink = build_uplink(_uplink_config(base), db_path=stores.event_log.path,
                                  event_log=stores.event_log, directory=stores.directory,
                                  snapshots=stores.snapshots, credential=credential)
            uplink.start()
            sims.append(sim)
            uplinks.append(uplink)
        for sim in sims:
            _door_activity(sim, 3)
        _wait_drained(sims, uplinks)
        aggregator.stop()  # outage: the gates keep deciding and logging
        for sim in sims:
            _door_activity(sim, 5)
        assert all(u.sender.backlog() > 0 for u in uplinks)
        aggregator.start()
        _wait_drained(sims, uplinks)
        central = _central_events(base)
        ids = [e["event_id"] for e in central]
        assert len(ids) == len(set(ids))
        local = {e.event_id for sim in sims for e in sim.events()}
        assert set(ids) == local
        assert all(e["chain_ok"] for e in central)
    finally:
        for uplink in uplinks:
            uplink.stop()
        for sim in sims:
            sim.close()
        if aggregator.server is not None and not aggregator.server.should_exit:
            aggregator.stop()


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from gate.clock import SystemClock
    from gate.eventlog.store import EventLog
    from gate.uplink.client import AggregatorClient
    from gate.uplink.sender import EventSender
    from gate.uplink.state import UplinkState
    db, base, credential = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    log = EventLog(db, "killed", SystemClock())
    state = UplinkState(db)
    sender = EventSender(log, state, AggregatorClient(base, credential), batch_size=50,
                         idle_seconds=0.01)
    sender.start()
    while True:
        log.append("access_decision", decision="denied", reason="denied_unknown_face")
        time.sleep(0.001)
""")


@pytest.mark.timeout(120)
def test_kill_9_of_a_gate_mid_upload_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """The aggregator runs as a subprocess (`python -m aggregator serve`); so does the gate."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    central_db = tmp_path / "agg.db"
    settings = AggregatorSettings(database_url=f"sqlite:///{central_db}", demo=True,
                                  background_jobs=False, snapshot_dir=tmp_path / "snaps")
    from aggregator.services import Services

    svc = Services(settings)
    credential = svc.register_gate("killed")
    svc.close()
    server = serve_aggregator(f"sqlite:///{central_db}", port, tmp_path / "snaps")
    try:
        wait_healthy(base, server)
        gate_db = tmp_path / "gate.db"
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(gate_db), base, credential],
                                  cwd=ROOT)
        time.sleep(3.0)
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)

        from gate.clock import SystemClock
        from gate.eventlog.store import EventLog
        from gate.uplink.client import AggregatorClient
        from gate.uplink.sender import EventSender
        from gate.uplink.state import UplinkState

        log = EventLog(gate_db, "killed", SystemClock())
        state = UplinkState(gate_db)
        assert state.get("ack_sequence") > 0  # it was uploading when killed
        sender = EventSender(log, state, AggregatorClient(base, credential))
        while sender.send_pending():
            pass
        local = [e.event_id for e in log.iter_events()]
        central = [e["event_id"] for e in _central_events(base)]
        assert len(central) == len(set(central))
        assert sorted(central) == sorted(local)
        log.close()
        state.close()
    finally:
        server.terminate()
        server.wait(10)
