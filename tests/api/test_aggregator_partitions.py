"""PostgreSQL monthly partitions of `events`: rows land in their month, the job makes coming
months and moves stranded rows, retention drops whole months, event ids stay unique."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aggregator_helpers import FakeClock, database_url, make_events
from conftest import make_client
from fastapi.testclient import TestClient
from sqlalchemy import text

from aggregator.db.partitions import is_partitioned, monthly_partitions
from aggregator.jobs import enforce_retention
from wire.chain import compute_hash


@pytest.fixture
def pg_client(tmp_path: Path, clock: FakeClock) -> Iterator[TestClient]:
    with database_url("postgresql", tmp_path) as url:
        client = make_client(url, tmp_path, clock)
        yield client
        client.app.state.services.close()


def _post(client: TestClient, events: list[dict]) -> dict:
    services = client.app.state.services
    if not hasattr(services, "test_credential"):
        services.test_credential = services.register_gate("g1")
    response = client.post("/api/v1/ingest/events", json={"gate_id": "g1", "events": events},
                           headers={"Authorization": f"Bearer {services.test_credential}"})
    assert response.status_code == 200, response.text
    return response.json()


def _placement(client: TestClient) -> dict[str, int]:
    with client.app.state.services.engine.connect() as conn:
        rows = conn.execute(text("SELECT tableoid::regclass::text, count(*) FROM events "
                                 "GROUP BY 1")).all()
    return dict(rows)  # type: ignore[arg-type]


def test_sqlite_keeps_one_plain_events_table(client: TestClient) -> None:
    with client.app.state.services.engine.connect() as conn:
        assert not is_partitioned(conn)


def test_events_table_is_partitioned_by_month_with_months_ahead(pg_client: TestClient) -> None:
    with pg_client.app.state.services.engine.connect() as conn:
        assert is_partitioned(conn)
        assert len(monthly_partitions(conn)) >= 3  # this month and the next two


def test_job_makes_the_month_and_moves_its_rows_out_of_the_default_partition(
        pg_client: TestClient) -> None:
    _post(pg_client, make_events("g1", 30))  # January 2026: no partition yet
    assert _placement(pg_client) == {"events_default": 30}
    enforce_retention(pg_client.app.state.services)  # the clock says 6 January 2026
    assert _placement(pg_client) == {"events_p202601": 30}
    with pg_client.app.state.services.engine.connect() as conn:
        months = {f"{m:%Y%m}" for m in monthly_partitions(conn)}
    assert {"202601", "202602", "202603"} <= months


def test_retention_drops_whole_expired_months_only(pg_client: TestClient,
                                                  clock: FakeClock) -> None:
    svc = pg_client.app.state.services
    enforce_retention(svc)  # makes January to March 2026
    january = make_events("g1", 10)
    february = make_events("g1", 10, first=11, prev=january[-1]["hash"],
                           start=clock.now + timedelta(days=30))
    _post(pg_client, january + february)
    clock.advance(220 * 86400)  # cutoff mid-February: January is wholly past it
    report = enforce_retention(svc)
    assert report.events_deleted == 10
    assert _placement(pg_client) == {"events_p202602": 10}
    with svc.engine.connect() as conn:
        assert "events_p202601" not in {f"events_p{m:%Y%m}" for m in monthly_partitions(conn)}


def test_a_replayed_event_with_another_time_is_still_a_duplicate(pg_client: TestClient) -> None:
    events = make_events("g1", 5)
    _post(pg_client, events)
    moved = dict(events[2], occurred_at="2026-03-01T00:00:00.000Z")
    moved["hash"] = compute_hash(moved)
    result = _post(pg_client, [moved])
    assert (result["accepted"], result["duplicates"]) == (0, 1)
    assert sum(_placement(pg_client).values()) == 5


def test_retention_forgets_the_ids_of_the_months_it_drops(pg_client: TestClient,
                                                         clock: FakeClock) -> None:
    svc = pg_client.app.state.services
    enforce_retention(svc)
    january = make_events("g1", 10)
    february = make_events("g1", 10, first=11, prev=january[-1]["hash"],
                           start=clock.now + timedelta(days=30))
    _post(pg_client, january + february)
    clock.advance(220 * 86400)
    enforce_retention(svc)
    with svc.engine.connect() as conn:
        kept = set(conn.execute(text("SELECT event_id FROM event_ids")).scalars())
    assert kept == {e["event_id"] for e in february}


def test_plate_and_unit_indexes_cover_only_rows_that_have_them(
        storage_client: TestClient) -> None:
    engine = storage_client.app.state.services.engine
    if engine.dialect.name == "postgresql":
        query = ("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events' "
                 "AND indexname IN ('ix_events_plate_occurred', 'ix_events_unit_occurred')")
    else:
        query = ("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                 "AND name IN ('ix_events_plate_occurred', 'ix_events_unit_occurred')")
    with engine.connect() as conn:
        definitions = dict(conn.execute(text(query)).all())
    assert "plate IS NOT NULL" in definitions["ix_events_plate_occurred"]
    assert "unit IS NOT NULL" in definitions["ix_events_unit_occurred"]
