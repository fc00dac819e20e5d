"""Two hw_sim gates with their real uplink against the aggregator run as a subprocess
(`python -m aggregator serve`): events visible centrally within 5 s (GB 51348), snapshots
uploaded after their events, a gate restart with a backlog delivering every event once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from aggregator_process import free_port, serve_aggregator, wait_healthy

from gate.config.loader import load_config
from gate.config.uplink import UplinkConfig
from gate.demo import DEMO_CONFIG
from gate.uplink.service import Uplink, build_uplink
from hw_sim.harness import SimulatedGate

VISIBLE_WITHIN_S = 5.0


@dataclass
class Central:
    """The aggregator subprocess and an admin session on it."""

    base: str
    admin: httpx.Client

    def register(self, gate_id: str) -> str:
        response = self.admin.post("/api/v1/gates", json={"gate_id": gate_id, "name": gate_id})
        assert response.status_code == 201, response.text
        return str(response.json()["credential"])

    def events(self, gate_id: str) -> list[dict]:
        items, cursor = [], None
        while True:
            params = {"gate": gate_id, "limit": 500} | ({"cursor": cursor} if cursor else {})
            page = self.admin.get("/api/v1/events", params=params).json()
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    folder = tmp_path_factory.mktemp("central")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve_aggregator(f"sqlite:///{folder / 'agg.db'}", port, folder / "snaps")
    try:
        wait_healthy(base, server, timeout_seconds=60)
        with httpx.Client(base_url=base, timeout=10) as admin:
            admin.post("/api/v1/auth/login", json={
                "username": "admin", "password": "admin-demo-pass"}).raise_for_status()
            yield Central(base, admin)
    finally:
        server.terminate()
        server.wait(10)


def _gate(folder: Path, gate_id: str) -> SimulatedGate:
    return SimulatedGate(folder / gate_id,
                         load_config(DEMO_CONFIG).model_copy(update={"gate_id": gate_id}))


def _uplink(sim: SimulatedGate, central: Central, credential: str) -> Uplink:
    """The gate's uplink as `gate run` builds it: the config's defaults, only the URL set."""
    stores = sim.gate.stores
    uplink = build_uplink(UplinkConfig(enabled=True, aggregator_url=central.base),
                          db_path=stores.event_log.path, event_log=stores.event_log,
                          directory=stores.directory, snapshots=stores.snapshots,
                          credential=credential)
    uplink.start()
    return uplink


def _press_exit(sim: SimulatedGate) -> list[str]:
    """Someone leaves by the exit button; returns the ids of the events the gate logged."""
    before = {e.event_id for e in sim.events()}
    sim.door.press_exit()
    sim.advance_to(sim.clock.monotonic() - sim._origin + 5.0)
    new = [e.event_id for e in sim.events() if e.event_id not in before]
    assert new, "the exit button logged nothing"
    return new


def _wait_for(predicate, timeout_s: float, what: str) -> float:  # type: ignore[no-untyped-def]
    """Poll `predicate` until true; returns the seconds it took."""
    began = time.monotonic()
    while not predicate():
        assert time.monotonic() - began < timeout_s, f"{what}: not within {timeout_s} s"
        time.sleep(0.05)
    return time.monotonic() - began


def test_events_of_two_gates_are_visible_centrally_within_5_s(central: Central,
                                                            tmp_path: Path) -> None:
    sims = [_gate(tmp_path, name) for name in ("east", "west")]
    uplinks = [_uplink(sim, central, central.register(sim.config.gate_id)) for sim in sims]
    try:
        latencies = []
        for _ in range(3):
            for sim in sims:
                began = time.monotonic()
                ids = set(_press_exit(sim))
                gate_id = sim.config.gate_id
                _wait_for(lambda g=gate_id, i=ids: i <= {e["event_id"] for e in central.events(g)},
                          30, f"events of {gate_id}")
                latencies.append(time.monotonic() - began)
        assert max(latencies) <= VISIBLE_WITHIN_S, latencies
    finally:
        for uplink in uplinks:
            uplink.stop()
        for sim in sims:
            sim.close()


def test_a_snapshot_is_uploaded_after_its_event_and_served_with_it(central: Central,
                                                                   tmp_path: Path) -> None:
    sim = _gate(tmp_path, "snap")
    uplink = _uplink(sim, central, central.register("snap"))
    try:
        stores = sim.gate.stores
        face = np.random.default_rng(7).integers(0, 255, (160, 128, 3), dtype=np.uint8)
        ref = stores.snapshots.save_jpeg(face)
        event = stores.event_log.append("access_decision", decision="denied",
                                        reason="denied_unknown_face", snapshot_ref=ref)
        url = f"/api/v1/events/{event.event_id}/snapshot"
        _wait_for(lambda: central.admin.get(url).status_code == 200, 30, "the snapshot")
        assert central.admin.get(url).content == (stores.snapshots.directory / ref).read_bytes()
        assert central.admin.get(f"/api/v1/events/{event.event_id}").json()["has_snapshot"]
        assert uplink.snapshots is not None and uplink.snapshots.uploaded == 1
    finally:
        uplink.stop()
        sim.close()


def test_a_gate_restarted_with_a_backlog_delivers_every_event_once(central: Central,
                                                                  tmp_path: Path) -> None:
    credential = central.register("restart")
    sim = _gate(tmp_path, "restart")
    uplink = _uplink(sim, central, credential)
    _press_exit(sim)
    _wait_for(lambda: uplink.sender.backlog() == 0, 30, "first upload")
    uplink.stop()
    for _ in range(4):  # logged while the uplink is down: the backlog
        _press_exit(sim)
    sim.close()

    sim = _gate(tmp_path, "restart")  # the gate process starts again on the same gate.db
    uplink = _uplink(sim, central, credential)
    try:
        assert uplink.sender.backlog() > 0
        _wait_for(lambda: uplink.sender.backlog() == 0, 30, "the backlog")
        _press_exit(sim)
        _wait_for(lambda: uplink.sender.backlog() == 0, 30, "after the restart")
        stored = central.events("restart")
        ids = [e["event_id"] for e in stored]
        assert len(ids) == len(set(ids))
        assert set(ids) == {e.event_id for e in sim.events()}
        assert all(e["chain_ok"] for e in stored)
        status = central.admin.get("/api/v1/gates/status").json()
        assert next(g for g in status if g["gate_id"] == "restart")["gaps"] == []
    finally:
        uplink.stop()
        sim.close()
