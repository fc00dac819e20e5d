"""Pieces of the guard UI tests: a simulated gate with its guard UI served by uvicorn on a free
port, a camera the test puts frames in front of, headless Chromium and screenshots.

A plain module (not conftest), imported by name like console_harness."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from gate.config.guard_ui import GuardUiConfig
from gate.guard.context import GuardContext
from gate.guard.server import GuardServer
from gate.policy.model import Group, Person
from gate.policy.schedule import always_open
from hw_sim.datasets import faces_dir
from hw_sim.harness import SimulatedGate

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "guard"
KIOSK = {"width": 1024, "height": 600}
LARGE = {"width": 1280, "height": 800}
GUARD = ("g-wang", "王保安", "2580")
HOST_UNIT = "3-2-1201"
FACE_PHOTO = Path("identities") / "obama" / "ageitgey_obama_small.jpg"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class GuardRig:
    """The gate, its guard UI on http://127.0.0.1:<port>/, and a way to show frames."""

    def __init__(self, folder: Path) -> None:
        self.sim = SimulatedGate(folder)
        directory = self.sim.gate.stores.directory
        directory.upsert_schedule(always_open("always"))
        directory.upsert_group(Group("residents", "always"))
        directory.upsert_person(Person("r-host", "陈静", HOST_UNIT, groups=("residents",)))
        self.ctx = GuardContext.from_gate(self.sim.gate, GuardUiConfig(enabled=True,
                                                                       port=_free_port()))
        self.ctx.store.add_guard(*GUARD)
        self.server = GuardServer(self.ctx)
        self.server.start()
        self.url = self.server.url.rstrip("/")

    def show(self, image_bgr: np.ndarray) -> None:
        self.ctx.tap.observe(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))

    def show_nobody(self) -> None:
        self.show(np.full((480, 640, 3), 96, dtype=np.uint8))

    def events(self, event_type: str) -> list:
        return [r for r in self.ctx.event_log.iter_events() if r.type == event_type]

    def close(self) -> None:
        self.server.stop()
        self.sim.close()


def face_image() -> np.ndarray:
    root = faces_dir()
    if root is None or not (root / FACE_PHOTO).is_file():
        pytest.skip("shared face data absent (set GATE_SHARED_DATA)")
    from gate.vision.images import read_image

    return read_image(root / FACE_PHOTO)


@pytest.fixture(scope="module", name="rig")
def rig_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuardRig]:
    made = GuardRig(tmp_path_factory.mktemp("guard-ui") / "gate")
    yield made
    made.close()


def shoot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a screenshot as test-artifacts/guard/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
