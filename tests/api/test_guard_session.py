"""Guard sign-in with a PIN, automatic sign-out after inactivity, and no write without a session."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from guard_fixtures import (  # noqa: F401  (pytest fixtures, used by name)
    GUARD,
    anonymous_fixture,
    events,
    guard_ctx_fixture,
    guard_fixture,
    sim_fixture,
)

from gate.guard.context import GuardContext
from hw_sim.harness import SimulatedGate


def test_sign_in_screen_lists_guards_without_their_pin_hash(anonymous: TestClient) -> None:
    listed = anonymous.get("/api/guard/accounts").json()
    assert listed == [{"guard_id": GUARD[0], "name": GUARD[1]}]


def test_wrong_pin_is_refused_and_recorded(anonymous: TestClient, guard_ctx: GuardContext) -> None:
    response = anonymous.post("/api/guard/session", json={"guard_id": GUARD[0], "pin": "0000"})
    assert response.status_code == 401
    assert response.json()["detail"]["code"] == "wrong_pin"
    assert "guard_session" not in response.cookies
    failed = events(guard_ctx, "guard_sign_in_failed")
    assert [e.evidence["guard_id"] for e in failed] == [GUARD[0]]


def test_malformed_sign_in_is_refused_with_a_reason(anonymous: TestClient) -> None:
    response = anonymous.post("/api/guard/session", json={"guard_id": GUARD[0]})
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "invalid_request"
    empty = anonymous.post("/api/guard/session", json={"guard_id": "", "pin": ""})
    assert empty.json()["detail"]["code"] == "pin_required"


def test_account_pauses_after_five_wrong_pins(anonymous: TestClient) -> None:
    for _ in range(5):
        anonymous.post("/api/guard/session", json={"guard_id": GUARD[0], "pin": "1111"})
    response = anonymous.post("/api/guard/session", json={"guard_id": GUARD[0], "pin": GUARD[2]})
    assert response.status_code == 429
    assert response.json()["detail"]["code"] == "locked"


def test_right_pin_signs_in_and_is_recorded_with_the_guard(guard: TestClient,
                                                           guard_ctx: GuardContext) -> None:
    me = guard.get("/api/guard/session").json()
    assert me["guard_id"] == GUARD[0] and me["idle_seconds"] == 120
    assert [e.evidence["guard_id"] for e in events(guard_ctx, "guard_signed_in")] == [GUARD[0]]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/api/guard/manual-open", {"reason": "送货"}),
    ("post", "/api/guard/visitors", {}),
    ("post", "/api/guard/captures", {"consent": True}),
    ("post", "/api/guard/alarms/ack", {"sequence": 1}),
    ("post", "/api/guard/muster/left", {"person_id": "r-host"}),
    ("get", "/api/guard/camera.jpg", None),
    ("get", "/api/guard/decisions", None),
    ("get", "/api/guard/muster", None),
    ("get", "/api/guard/visitors", None),
    ("get", "/api/guard/units", None),
])
def test_every_guard_route_needs_a_session(anonymous: TestClient, sim: SimulatedGate,
                                           method: str, path: str, body: object) -> None:
    kwargs = {"json": body} if body is not None else {}
    response = getattr(anonymous, method)(path, **kwargs)
    assert response.status_code == 401
    assert response.json()["detail"]["code"] == "signed_out"
    assert not any(on for _, on in sim.door.relay_history)


def test_idle_session_ends_and_the_sign_out_is_recorded(guard: TestClient, sim: SimulatedGate,
                                                        guard_ctx: GuardContext) -> None:
    sim.clock.advance(121)
    response = guard.get("/api/guard/decisions")
    assert response.status_code == 401
    signed_out = events(guard_ctx, "guard_signed_out")
    assert [(e.evidence["guard_id"], e.evidence["why"]) for e in signed_out] == [(GUARD[0], "idle")]


def test_activity_keeps_the_session_alive(guard: TestClient, sim: SimulatedGate) -> None:
    for _ in range(3):
        sim.clock.advance(100)
        assert guard.get("/api/guard/session").status_code == 200


def test_sign_out_ends_the_session(guard: TestClient, guard_ctx: GuardContext) -> None:
    assert guard.delete("/api/guard/session").status_code == 204
    assert guard.get("/api/guard/session").status_code == 401
    assert [e.evidence["why"] for e in events(guard_ctx, "guard_signed_out")] == ["manual"]
