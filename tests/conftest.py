"""Suite-wide checks and fixtures."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from hw_sim.datasets import faces_dir

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail the whole run, loudly and non-zero, if the face models cannot be imported.

    `import face_recognition` calls quit() with exit code 0 when face_recognition_models
    (which needs pkg_resources, i.e. setuptools<81) is missing: a broken install would look
    green. Check the pieces first, then import it while trapping SystemExit.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pkg_resources' deprecation notice
            importlib.import_module("pkg_resources")
            importlib.import_module("face_recognition_models")
            importlib.import_module("face_recognition")
    except (ImportError, SystemExit) as err:
        pytest.exit(f"face_recognition is not usable ({err!r}); run scripts/install.sh", 3)


@pytest.fixture(scope="session")
def faces_root() -> Path:
    """The shared faces dataset, or skip."""
    root = faces_dir()
    if root is None:
        pytest.skip("shared face data absent (set GATE_SHARED_DATA)")
    return root


@pytest.fixture(scope="session")
def plates_root() -> Path:
    """The shared plates dataset, or skip."""
    from hw_sim.vehicle_clips import plates_dir

    root = plates_dir()
    if root is None:
        pytest.skip("shared plate data absent (set GATE_SHARED_DATA)")
    return root


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """The suite's one headless Chromium (Debian's, never `playwright install`).

    One per session: Playwright's sync API cannot run two instances at once, so the console
    and the guard UI tests share it.
    """
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()
