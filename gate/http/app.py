"""`create_gate_app(state)`: the gate's Prometheus `/metrics` and `/healthz`.

Read-only by design: nothing here can move the door or change the directory, so exposing it
to a monitoring network cannot open a gate. Every value is sampled when scraped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.responses import Response

from gate.http.state import GateState

logger = logging.getLogger(__name__)


class GateCollector(Collector):
    """Turns a `GateState` into Prometheus metrics at each scrape."""

    def __init__(self, state: GateState) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        state = self._state
        info = GaugeMetricFamily("gate_info", "This gate", labels=["gate_id"])
        info.add_metric([state.gate_id], 1)
        yield info
        decisions = CounterMetricFamily("gate_decisions", "Access decisions since start",
                                        labels=["decision", "reason"])
        for (decision, reason), count in sorted(state.decisions.refresh().items()):
            decisions.add_metric([decision, reason], count)
        yield decisions
        yield CounterMetricFamily("gate_frames_processed", "Camera frames run through the "
                                  "face pipeline", value=state.controller.frames_processed)
        yield CounterMetricFamily("gate_frame_errors", "Frames dropped as unusable",
                                  value=state.controller.frame_errors)
        yield _gauge("gate_camera_healthy", "1 while the camera delivers frames",
                     state.camera_healthy())
        yield _gauge("gate_door_released", "1 while the lock is released",
                     state.door_released())
        yield _gauge("gate_door_faulted", "1 after an error drove the door to its fail mode",
                     state.door_faulted())
        online = state.board_online()
        if online is not None:  # only for door boards behind a link (OSDP)
            yield _gauge("gate_board_online", "1 while the door board answers", online)
        last = state.last_sequence()
        if last is not None:
            yield _gauge("gate_event_log_last_sequence", "Newest committed event", last)
        backlog = state.uplink_backlog()
        if backlog is not None:
            yield _gauge("gate_uplink_backlog_events",
                         "Events committed but not yet stored by the aggregator", backlog)


def _gauge(name: str, documentation: str, value: float | bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def health(state: GateState) -> dict[str, bool]:
    """Each check: True when fine."""
    checks = {
        "event_log": state.last_sequence() is not None,
        "door": not state.door_faulted(),
        "camera": state.camera_healthy(),
    }
    online = state.board_online()
    if online is not None:
        checks["board"] = online
    return checks


def create_gate_app(gate_state: GateState) -> FastAPI:
    """The monitoring app of one gate (its own metrics registry, no globals)."""
    registry = CollectorRegistry()
    registry.register(GateCollector(gate_state))
    app = FastAPI(title=f"Gate {gate_state.gate_id}", version="1",
                  description="Read-only monitoring of one gate.")
    app.state.gate_state = gate_state

    @app.get("/metrics", response_class=Response,
             responses={200: {"content": {"text/plain": {}}}})
    def metrics() -> Response:
        """Prometheus metrics: decisions by reason, frames, camera, door, board, uplink."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """`ok` when the event log, door, camera (and board) are fine; 503 naming what is not."""
        checks = health(gate_state)
        failing = sorted(name for name, fine in checks.items() if not fine)
        body: dict[str, object] = {"status": "degraded" if failing else "ok",
                                   "gate_id": gate_state.gate_id, "checks": checks}
        if failing:
            body["detail"] = "not healthy: " + ", ".join(failing)
        return JSONResponse(body, status_code=503 if failing else 200)

    return app
