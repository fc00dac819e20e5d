"""Console security: roles, rate-limited login, expiring sessions, the audit log."""

from __future__ import annotations

from aggregator_helpers import FakeClock, make_events
from conftest import login
from fastapi.testclient import TestClient


def test_wrong_password_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "admin", "password": "x"})
    assert response.status_code == 401


def test_passwords_are_stored_as_argon2id(client: TestClient) -> None:
    from sqlalchemy import select

    from aggregator.db.models import User

    with client.app.state.services.engine.connect() as conn:
        hashes = conn.execute(select(User.password_hash)).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_login_is_rate_limited_after_five_failures(client: TestClient) -> None:
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"username": "admin", "password": "bad"})
    response = client.post("/api/v1/auth/login",
                           json={"username": "admin", "password": "admin-demo-pass"})
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_session_expires_after_its_ttl(client: TestClient, clock: FakeClock) -> None:
    login(client, "security")
    assert client.get("/api/v1/auth/me").json()["role"] == "security"
    clock.advance(client.app.state.services.settings.session_ttl_seconds + 1)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_logout_ends_the_session(client: TestClient) -> None:
    login(client, "guard")
    cookie = client.cookies.get("agg_session")
    client.post("/api/v1/auth/logout")
    client.cookies.set("agg_session", cookie)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_session_cookie_is_httponly_and_samesite_strict(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login",
                           json={"username": "guard", "password": "guard-demo-pass"})
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header


def test_guard_cannot_export_manage_or_read_audit(client: TestClient) -> None:
    login(client, "guard")
    assert client.get("/api/v1/events").status_code == 200
    assert client.get("/api/v1/events.csv").status_code == 403
    assert client.get("/api/v1/residents").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403


def test_security_reads_but_cannot_change_the_directory(client: TestClient) -> None:
    login(client, "security")
    assert client.get("/api/v1/residents").status_code == 200
    response = client.post("/api/v1/residents",
                           json={"person_id": "p1", "display_name": "A", "unit": "1"})
    assert response.status_code == 403
    assert client.post("/api/v1/gates", json={"gate_id": "x"}).status_code == 403


def test_unauthenticated_console_call_is_refused(client: TestClient) -> None:
    assert client.get("/api/v1/events").status_code == 401


def test_guard_sees_masked_names(client: TestClient) -> None:
    svc = client.app.state.services
    login(client, "admin")
    client.post("/api/v1/residents",
                json={"person_id": "p1", "display_name": "张三丰", "unit": "3-301"})
    credential = svc.register_gate("g1")
    client.post("/api/v1/ingest/events", json={"gate_id": "g1", "events": make_events("g1", 1)},
                headers={"Authorization": f"Bearer {credential}"})
    assert client.get("/api/v1/events").json()["items"][0]["display_name"] == "张三丰"
    login(client, "guard")
    row = client.get("/api/v1/events").json()["items"][0]
    assert row["display_name"] == "张**"
    assert row["unit"] == "3-301"


def test_every_search_and_export_is_audited(client: TestClient) -> None:
    login(client, "security")
    client.get("/api/v1/events", params={"person": "p7", "gate": "g1"})
    client.get("/api/v1/events.csv", params={"unit": "3-301"})
    login(client, "admin")
    entries = client.get("/api/v1/audit").json()
    actions = {(e["username"], e["action"]) for e in entries}
    assert ("security", "search_events") in actions
    assert ("security", "export_events_csv") in actions
    search = next(e for e in entries if e["action"] == "search_events")
    assert '"person": "p7"' in search["detail"]


def test_csv_export_holds_the_filtered_rows(client: TestClient) -> None:
    credential = client.app.state.services.register_gate("g1")
    events = make_events("g1", 4)
    events[1:] = make_events("g1", 3, first=2, prev=events[0]["hash"], decision="denied",
                             reason="denied_unknown_face", subject=None)
    client.post("/api/v1/ingest/events", json={"gate_id": "g1", "events": events},
                headers={"Authorization": f"Bearer {credential}"})
    login(client, "security")
    text = client.get("/api/v1/events.csv", params={"decision": "denied"}).text
    lines = text.strip().splitlines()
    assert len(lines) == 4 and all("denied_unknown_face" in line for line in lines[1:])


def test_metrics_and_health_are_exposed(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert "aggregator_ingest_events_total" in client.get("/metrics").text
