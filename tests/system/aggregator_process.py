"""Helpers for system tests that talk to an aggregator over HTTP: a free port, the
aggregator as a subprocess (`python -m aggregator serve`), and waiting until it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_aggregator(database_url: str, port: int, snapshot_dir: Path) -> subprocess.Popen:
    """`python -m aggregator serve --demo` on `port`, background jobs off."""
    env = dict(os.environ, AGGREGATOR_BACKGROUND_JOBS="false",
               AGGREGATOR_SNAPSHOT_DIR=str(snapshot_dir))
    return subprocess.Popen([sys.executable, "-m", "aggregator", "serve", "--db", database_url,
                             "--port", str(port), "--demo"], env=env, cwd=ROOT)


def wait_healthy(base: str, server: subprocess.Popen | None = None,
                 timeout_seconds: float = 30.0) -> None:
    """Return once `base`/healthz answers 200; fail if `server` exits or time runs out."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert server is None or server.poll() is None, "the aggregator exited at start"
        time.sleep(0.1)
    raise AssertionError("aggregator did not come up")
