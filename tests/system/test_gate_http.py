"""The gate's own /metrics and /healthz, on a whole simulated gate and over real HTTP."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from aggregator_process import free_port
from fastapi.testclient import TestClient

from gate.config.http import HttpConfig
from gate.http import GateHttpServer, GateState, create_gate_app
from gate.uplink.state import UplinkState
from hw_sim.harness import SimulatedGate


def _value(text: str, name: str) -> float | None:
    """The sample `name` (with its labels, if any) in a Prometheus text page."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


@pytest.fixture
def sim(tmp_path: Path):  # type: ignore[no-untyped-def]
    with SimulatedGate(tmp_path / "gate") as gate:
        yield gate


def _decide(sim: SimulatedGate, decision: str, reason: str) -> None:
    sim.gate.stores.event_log.append("access_decision", subject=None, decision=decision,
                                     reason=reason, evidence={})


def test_metrics_count_decisions_by_reason_since_start(sim: SimulatedGate) -> None:
    _decide(sim, "denied", "denied_unknown")  # before monitoring started: not counted
    client = TestClient(create_gate_app(GateState.from_gate(sim.gate)))
    _decide(sim, "denied", "denied_unknown")
    _decide(sim, "granted", "granted_resident")
    _decide(sim, "granted", "granted_resident")
    page = client.get("/metrics").text
    assert _value(page, 'gate_decisions_total{decision="granted",reason="granted_resident"}') == 2
    assert _value(page, 'gate_decisions_total{decision="denied",reason="denied_unknown"}') == 1
    _decide(sim, "denied", "denied_unknown")
    page = client.get("/metrics").text
    assert _value(page, 'gate_decisions_total{decision="denied",reason="denied_unknown"}') == 2


def test_metrics_show_frames_camera_and_a_released_door(sim: SimulatedGate) -> None:
    sim.gate.controller.frames_processed = 42
    sim.gate.controller.frame_errors = 3
    client = TestClient(create_gate_app(GateState.from_gate(sim.gate)))
    page = client.get("/metrics").text
    assert _value(page, "gate_frames_processed_total") == 42
    assert _value(page, "gate_frame_errors_total") == 3
    assert _value(page, "gate_camera_healthy") == 1
    assert _value(page, "gate_door_released") == 0
    assert _value(page, "gate_board_online") is None  # GPIO-style hardware has no link
    sim.gate.door.grant("p1")
    assert _value(client.get("/metrics").text, "gate_door_released") == 1


def test_uplink_backlog_is_committed_minus_acknowledged(sim: SimulatedGate) -> None:
    log = sim.gate.stores.event_log
    for _ in range(5):
        _decide(sim, "denied", "denied_unknown")
    uplink_state = UplinkState(log.path)
    try:
        uplink_state.set("ack_sequence", log.last_sequence() - 4)
        sim.gate.uplink = SimpleNamespace(state=uplink_state)  # as build_uplink would set it
        page = TestClient(create_gate_app(GateState.from_gate(sim.gate))).get("/metrics").text
        assert _value(page, "gate_uplink_backlog_events") == 4
    finally:
        sim.gate.uplink = None
        uplink_state.close()


def test_healthz_names_a_lost_camera_and_an_offline_board(sim: SimulatedGate) -> None:
    state = GateState.from_gate(sim.gate)
    client = TestClient(create_gate_app(state))
    assert client.get("/healthz").json()["status"] == "ok"
    state.controller = SimpleNamespace(camera=SimpleNamespace(healthy=False),
                                       frames_processed=0, frame_errors=0)
    state.door = SimpleNamespace(machine=sim.gate.door.machine, faulted=False,
                                 hardware=SimpleNamespace(online=False))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["detail"] == "not healthy: board, camera"
    assert _value(client.get("/metrics").text, "gate_board_online") == 0


def test_server_serves_metrics_over_http_and_stops(sim: SimulatedGate) -> None:
    config = HttpConfig(enabled=True, port=free_port())
    server = GateHttpServer(config, GateState.from_gate(sim.gate))
    server.start()
    try:
        response = httpx.get(f"http://127.0.0.1:{config.port}/metrics", timeout=5)
        assert response.status_code == 200
        assert f'gate_info{{gate_id="{sim.gate.config.gate_id}"}} 1.0' in response.text
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{config.port}/healthz", timeout=2)
