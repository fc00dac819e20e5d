"""A simulated community for the demo: the aggregator on this machine, gates uploading to it.

The aggregator runs in-process (uvicorn on 127.0.0.1, SQLite in the demo's folder, demo
logins); residents are enrolled centrally through its API (photo + consent), and gates
receive them by the normal sync. This is a test harness, so it may import both sides.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import cv2
import httpx
import uvicorn

from aggregator.app import create_app
from aggregator.services import DEMO_USERS
from aggregator.settings import AggregatorSettings
from gate.errors import GateError
from hw_sim.scenarios import Enrolee
from wire.schemas import SyncDelta

PREFERRED_PORT = 8080


class CommunityError(GateError, RuntimeError):
    """The simulated aggregator did not start or refused a setup step."""


def _port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])


class SimulatedCommunity:
    """The aggregator plus an admin session to set the community up."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        settings = AggregatorSettings(
            database_url=f"sqlite:///{folder / 'aggregator.db'}", demo=True,
            snapshot_dir=folder / "central-snapshots",
        )
        self.app = create_app(settings.check())
        self.port = port or _port(PREFERRED_PORT)
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self._thread = threading.Thread(target=self._server.run, name="aggregator", daemon=True)
        self._thread.start()
        self._wait_healthy()
        self.admin = httpx.Client(base_url=self.url, timeout=30)
        self.admin.post("/api/v1/auth/login", json={
            "username": "admin", "password": DEMO_USERS["admin"]}).raise_for_status()

    def _wait_healthy(self, timeout_seconds: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise CommunityError(f"the aggregator did not come up on {self.url}")

    def register_gate(self, gate_id: str, name: str) -> str:
        """Register a gate; returns its credential."""
        response = self.admin.post("/api/v1/gates", json={"gate_id": gate_id, "name": name})
        self._check(response, f"register gate {gate_id}")
        return str(response.json()["credential"])

    def enrol(self, enrolees: list[Enrolee]) -> int:
        """Residents in group `residents` (open all week), faces from their photos."""
        self._check(self.admin.post("/api/v1/schedules", json={
            "schedule_id": "always", "windows": [[[0, 1440]]] * 7}), "schedule")
        self._check(self.admin.post("/api/v1/groups", json={
            "group_id": "residents", "schedule_id": "always"}), "group")
        templates = 0
        for enrolee in enrolees:
            self._check(self.admin.post("/api/v1/residents", json={
                "person_id": enrolee.person_id, "display_name": enrolee.display_name,
                "unit": enrolee.unit, "groups": list(enrolee.groups)}), "resident")
            for index, image in enumerate(enrolee.images):
                ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
                response = self.admin.post(
                    f"/api/v1/residents/{enrolee.person_id}/faces",
                    files={"photo": (f"{index}.jpg", jpeg.tobytes(), "image/jpeg")},
                    data={"consent": "true"},
                )
                templates += response.status_code == 201
        return templates

    def load(self, delta: SyncDelta) -> None:
        """Enter a directory change through the management API, as an admin would."""
        for path, items in (("/api/v1/schedules", delta.schedules),
                            ("/api/v1/groups", delta.groups),
                            ("/api/v1/residents", delta.people),
                            ("/api/v1/visitors", delta.visitors),
                            ("/api/v1/vehicles", delta.vehicles),
                            ("/api/v1/blacklist", delta.blacklist)):
            for item in items:
                body = item.model_dump(mode="json", exclude_none=True)
                self._check(self.admin.post(path, json=body), f"POST {path}")

    def central_events(self, gate_id: str) -> int:
        """How many of a gate's events the aggregator holds."""
        count, cursor = 0, None
        while True:
            params: dict[str, object] = {"gate": gate_id, "limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = self.admin.get("/api/v1/events", params=params)
            self._check(page, "search events")
            body = page.json()
            count += len(body["items"])
            cursor = body.get("next_cursor")
            if not cursor:
                return count

    @staticmethod
    def _check(response: httpx.Response, what: str) -> None:
        if response.status_code >= 400:
            raise CommunityError(f"{what}: HTTP {response.status_code} {response.text[:200]}")

    def close(self) -> None:
        self.admin.close()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.app.state.services.close()
