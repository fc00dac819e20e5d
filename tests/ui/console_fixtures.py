"""Fixtures for the console tests: the real aggregator (SQLite in a temp dir) served by uvicorn
on a free port of 127.0.0.1, seeded through its HTTP API, and a page of the suite's one
headless Chromium (the `browser` fixture of tests/conftest.py).

The test module imports them; there is no conftest.py in this folder on purpose, since a second
module named `conftest` would shadow the one other test folders import helpers from."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_harness import ADMIN, VIEWPORT, Server, build_app, snapshot_jpeg
from console_seed import Seeded, seed


@pytest.fixture(scope="session", name="server")
def server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(build_app(tmp_path_factory.mktemp("aggregator"))) as running:
        yield running


@pytest.fixture(scope="session", name="seeded")
def seeded_fixture(server: Server) -> Seeded:
    return seed(server.url, ADMIN, snapshot_jpeg())


@pytest.fixture(name="page")
def page_fixture(browser, server: Server, seeded: Seeded) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies, zh-CN, Shanghai time) at 1366x768."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=server.url, accept_downloads=True)
    context.set_default_timeout(8000)
    opened = context.new_page()
    yield opened
    context.close()
