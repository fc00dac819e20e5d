"""Pieces of the console tests: accounts, the real aggregator app, uvicorn in a thread, screenshots.

A plain module (not conftest) so the test file can import it by a name no other folder uses."""

from __future__ import annotations

import io
import socket
import threading
import time
from pathlib import Path

import uvicorn
from PIL import Image, ImageDraw

from hw_sim.datasets import faces_dir

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
VIEWPORT = {"width": 1366, "height": 768}
ADMIN = ("admin", "admin-test-pass-1")
GUARD = ("guard", "guard-test-pass-1")
SECURITY = ("security", "security-test-pass-1")
FACE_PHOTO = Path("identities") / "obama" / "ageitgey_obama_small.jpg"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def face_photo() -> Path | None:
    """A real single-face photo from the shared data, or None when it is absent."""
    root = faces_dir()
    return root / FACE_PHOTO if root is not None and (root / FACE_PHOTO).is_file() else None


def snapshot_jpeg() -> bytes:
    """The gates' snapshot: a real face photo when the shared data is there, else a drawing."""
    photo = face_photo()
    if photo is not None:
        return photo.read_bytes()
    image = Image.new("RGB", (240, 300), (200, 180, 160))
    ImageDraw.Draw(image).ellipse((50, 50, 190, 230), fill=(230, 200, 170))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


class Server:
    """uvicorn running `app` in a thread of this process."""

    def __init__(self, app: object) -> None:
        self.port = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the aggregator did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def build_app(tmp: Path):  # type: ignore[no-untyped-def]
    from aggregator.app import create_app
    from aggregator.console import mount_console
    from aggregator.services import Services
    from aggregator.settings import AggregatorSettings

    settings = AggregatorSettings(database_url=f"sqlite:///{tmp / 'aggregator.db'}",
                                  secret_key="console-test-secret-0123456789",
                                  snapshot_dir=tmp / "snapshots", background_jobs=False)
    services = Services(settings)
    services.create_user(*ADMIN, "admin")
    services.create_user(*GUARD, "guard")
    services.create_user(*SECURITY, "security")
    app = create_app(settings, services=services)
    # Serve the console exactly as mount_console does, whether or not create_app already
    # mounted something at "/" (until the lead wires mount_console into create_app).
    app.router.routes = [r for r in app.router.routes if getattr(r, "name", "") != "console"]
    mount_console(app)
    return app


def shoot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a 1366x768 screenshot as test-artifacts/console/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
