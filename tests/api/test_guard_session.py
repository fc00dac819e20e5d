"""Guard sign-in with a PIN, automatic sign-out after inactivity, and no write without a session."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from guard_fixtures import (  # noqa: F401  (pytest fixtures, used by name)
    GUARD,
    anonymous_fixture,
    events,
    guard_ctx_fixture,
    guard_fixture,
    sim_fixture,
)

from gate.guard import actions
from gate.guard.context import GuardContext
from gate.guard.store import GuardStore
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
        assert guard.post("/api/guard/session/activity").status_code == 204
    assert guard.get("/api/guard/session").status_code == 200


def test_polls_do_not_keep_an_unattended_screen_signed_in(
        guard: TestClient, sim: SimulatedGate, guard_ctx: GuardContext) -> None:
    for _ in range(5):  # the screen polls on its own for 125 s; nobody touches it
        sim.clock.advance(25)
        for path in ("/api/guard/decisions", "/api/guard/alarms", "/api/guard/session"):
            guard.get(path)
    assert guard.get("/api/guard/decisions").status_code == 401
    signed_out = events(guard_ctx, "guard_signed_out")
    assert [e.evidence["why"] for e in signed_out] == ["idle"]


def test_a_guard_action_keeps_the_session_alive(guard: TestClient, sim: SimulatedGate) -> None:
    for _ in range(3):
        sim.clock.advance(100)
        assert guard.post("/api/guard/manual-open", json={"reason": "送货"}).status_code == 200
    assert guard.get("/api/guard/decisions").status_code == 200


def test_parallel_wrong_pins_cannot_try_more_than_the_lockout_allows(
        guard_ctx: GuardContext, monkeypatch: pytest.MonkeyPatch) -> None:
    checked, refused, release = [], [], threading.Event()
    real_check = guard_ctx.store.check_pin

    def slow_check(guard_id: str, pin: str):  # type: ignore[no-untyped-def]
        checked.append(pin)
        release.wait(10)  # every attempt is in flight before any is counted as wrong
        return real_check(guard_id, pin)

    monkeypatch.setattr(guard_ctx.store, "check_pin", slow_check)

    def attempt(pin: str) -> None:
        try:
            actions.sign_in(guard_ctx, GUARD[0], pin)
        except actions.SignInError as err:
            if err.code == "locked":
                refused.append(pin)

    threads = [threading.Thread(target=attempt, args=(f"{n:04d}",)) for n in range(10)]
    for thread in threads:
        thread.start()
    for _ in range(500):  # until each attempt is either being checked or was refused
        if len(checked) + len(refused) == 10:
            break
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(checked) == 5 and len(refused) == 5


def test_pin_hashes_are_verified_one_at_a_time(tmp_path: Path, sim: SimulatedGate) -> None:
    running, most = [0], [0]
    lock = threading.Lock()

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:  # noqa: A002
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            try:
                threading.Event().wait(0.05)  # let others start, if they may
                return super().verify(hash, password)
            finally:
                with lock:
                    running[0] -= 1

    store = GuardStore(tmp_path / "guard.db", sim.clock, CountingHasher())
    try:
        store.add_guard(*GUARD)
        threads = [threading.Thread(target=store.check_pin, args=(GUARD[0], GUARD[2]))
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        store.close()
    assert most[0] == 1


def test_sign_out_ends_the_session(guard: TestClient, guard_ctx: GuardContext) -> None:
    assert guard.delete("/api/guard/session").status_code == 204
    assert guard.get("/api/guard/session").status_code == 401
    assert [e.evidence["why"] for e in events(guard_ctx, "guard_signed_out")] == ["manual"]
