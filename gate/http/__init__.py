"""The gate's own HTTP endpoints: Prometheus `/metrics` and `/healthz` (no door control)."""

from gate.http.app import create_gate_app
from gate.http.server import GateHttpServer
from gate.http.state import GateState

__all__ = ["GateHttpServer", "GateState", "create_gate_app"]
