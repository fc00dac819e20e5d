"""Run the gate's monitoring app with uvicorn on a background thread."""

from __future__ import annotations

import logging
import threading
import time

import uvicorn

from gate.config.http import HttpConfig
from gate.errors import GateError
from gate.http.app import create_gate_app
from gate.http.state import GateState

logger = logging.getLogger(__name__)


class GateHttpError(GateError, OSError):
    """The monitoring server could not start (port taken, bad address)."""


class GateHttpServer:
    """`/metrics` and `/healthz` on `config.host:config.port`; start() and stop() are idempotent."""

    def __init__(self, config: HttpConfig, state: GateState) -> None:
        self.config = config
        self._server = uvicorn.Server(uvicorn.Config(
            create_gate_app(state), host=config.host, port=config.port, log_level="warning",
            access_log=False, lifespan="off"))
        self._thread: threading.Thread | None = None

    def start(self, timeout_seconds: float = 10.0) -> None:
        """Start serving; GateHttpError if it is not listening within the timeout."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._server.run, name="gate-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_seconds
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise GateHttpError(
                    f"monitoring server did not start on {self.config.host}:{self.config.port}")
            time.sleep(0.02)
        logger.info("monitoring on http://%s:%d/metrics", self.config.host, self.config.port)

    def stop(self, timeout_seconds: float = 5.0) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout_seconds)
        self._thread = None
