"""Fixtures of the aggregator API tests."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*httpx2.*")

from aggregator_helpers import FakeClock, database_url  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from aggregator.app import create_app  # noqa: E402
from aggregator.settings import AggregatorSettings  # noqa: E402


def make_client(url: str, tmp_path: Path, clock: FakeClock, **settings: object) -> TestClient:
    config = AggregatorSettings(database_url=url, demo=True, background_jobs=False,
                                snapshot_dir=tmp_path / "snaps", **settings)  # type: ignore[arg-type]
    return TestClient(create_app(config, clock=clock))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(tmp_path: Path, clock: FakeClock) -> Iterator[TestClient]:
    """An in-process aggregator on SQLite with the demo users."""
    with database_url("sqlite", tmp_path) as url:
        test_client = make_client(url, tmp_path, clock)
        yield test_client
        test_client.app.state.services.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_client(request: pytest.FixtureRequest, tmp_path: Path,
                   clock: FakeClock) -> Iterator[TestClient]:
    """The same aggregator on SQLite and on PostgreSQL (skipped where PG is absent)."""
    with database_url(request.param, tmp_path) as url:
        test_client = make_client(url, tmp_path, clock)
        yield test_client
        test_client.app.state.services.close()


def login(client: TestClient, role: str) -> None:
    response = client.post("/api/v1/auth/login",
                           json={"username": role, "password": f"{role}-demo-pass"})
    assert response.status_code == 200, response.text
