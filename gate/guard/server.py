"""Run the guard UI with uvicorn on its own address (loopback for the kiosk by default)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import uvicorn

from gate.errors import GateError
from gate.guard.app import create_guard_app
from gate.guard.context import GuardContext
from gate.guard.outbox import VisitorOutbox

logger = logging.getLogger(__name__)


class GuardServerError(GateError, OSError):
    """The guard UI could not start (port taken, bad address)."""


class GuardServer:
    """The guard app on `ctx.config.host:port` (port 0: any free port); idempotent start/stop."""

    def __init__(self, ctx: GuardContext, outbox: VisitorOutbox | None = None) -> None:
        self.ctx = ctx
        self.outbox = outbox
        if outbox is not None:
            ctx.notify_outbox = outbox.notify
        self.app = create_guard_app(ctx)
        self._server = uvicorn.Server(uvicorn.Config(
            self.app, host=ctx.config.host, port=ctx.config.port, log_level="warning",
            access_log=False, lifespan="off"))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        port = self.ctx.config.port
        servers = getattr(self._server, "servers", [])
        if servers and servers[0].sockets:
            port = servers[0].sockets[0].getsockname()[1]
        return f"http://{self.ctx.config.host}:{port}/"

    def start(self, timeout_seconds: float = 10.0) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._server.run, name="guard-ui", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_seconds
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise GuardServerError(f"guard UI did not start on {self.ctx.config.host}:"
                                       f"{self.ctx.config.port}")
            time.sleep(0.02)
        if self.outbox is not None:
            self.outbox.start()
        logger.info("guard UI on %s", self.url)

    def stop(self, timeout_seconds: float = 5.0) -> None:
        if self.outbox is not None:
            self.outbox.stop()
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout_seconds)
            self._thread = None
        self.ctx.close()


def start_guard_ui(gate: Any) -> GuardServer | None:
    """Start the configured guard UI of a runtime Gate; None when it is off or cannot start."""
    if not gate.config.guard_ui.enabled:
        return None
    ctx = GuardContext.from_gate(gate)
    outbox = None
    if gate.uplink is not None:
        outbox = VisitorOutbox(ctx.store, gate.uplink.client.send_visitor,
                               event_log=ctx.event_log)
    server = GuardServer(ctx, outbox)
    try:
        server.start()
    except GateError as err:  # the UI must never keep the door from working
        logger.error("guard UI not started: %s", err)
        server.stop()
        return None
    return server


DEMO_GUARD = ("demo-guard", "值班保安", "2468")
"""The demo's guard account (id, name, PIN): printed by `gate demo`, never used elsewhere."""


def start_demo_guard_ui(gate: Any, preferred_port: int = 8090) -> GuardServer:
    """The guard UI of a demo gate on 127.0.0.1 (the preferred port, else any free one)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred_port))
            port = preferred_port
        except OSError:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
    config = gate.config.guard_ui.model_copy(update={"enabled": True, "host": "127.0.0.1",
                                                     "port": port})
    ctx = GuardContext.from_gate(gate, config)
    ctx.store.add_guard(*DEMO_GUARD)
    outbox = (VisitorOutbox(ctx.store, gate.uplink.client.send_visitor, event_log=ctx.event_log)
              if gate.uplink else None)
    server = GuardServer(ctx, outbox)
    server.start()
    return server
