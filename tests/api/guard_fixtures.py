"""Fixtures of the guard UI API tests: a simulated gate (real SQLite, event log, recogniser,
sim door) with one resident household, a guard account, and the guard app in a TestClient.

A plain module (imported by name from the test files) rather than a second conftest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from gate.guard.app import create_guard_app
from gate.guard.context import GuardContext
from gate.policy.model import Group, Person
from gate.policy.schedule import always_open
from hw_sim.harness import SimulatedGate

GUARD = ("g-wang", "王保安", "2580")
HOST_UNIT = "3-2-1201"
FACE_PHOTO = Path("identities") / "obama" / "ageitgey_obama_small.jpg"
GROUP_PHOTO = Path("multi") / "ageitgey_obama_and_biden.jpg"


@pytest.fixture(name="sim")
def sim_fixture(tmp_path: Path) -> Iterator[SimulatedGate]:
    """A gate in virtual time with one resident household (the visitors' hosts)."""
    with SimulatedGate(tmp_path / "gate") as gate:
        directory = gate.gate.stores.directory
        directory.upsert_schedule(always_open("always"))
        directory.upsert_group(Group("residents", "always"))
        directory.upsert_person(Person("r-host", "陈静", HOST_UNIT, groups=("residents",)))
        yield gate


@pytest.fixture(name="guard_ctx")
def guard_ctx_fixture(sim: SimulatedGate) -> Iterator[GuardContext]:
    ctx = GuardContext.from_gate(sim.gate)
    ctx.store.add_guard(*GUARD)
    yield ctx
    ctx.close()


@pytest.fixture(name="anonymous")
def anonymous_fixture(guard_ctx: GuardContext) -> TestClient:
    """The guard app with nobody signed in."""
    return TestClient(create_guard_app(guard_ctx))


@pytest.fixture(name="guard")
def guard_fixture(anonymous: TestClient) -> TestClient:
    """The guard app with guard 王保安 signed in."""
    response = anonymous.post("/api/guard/session", json={"guard_id": GUARD[0], "pin": GUARD[2]})
    assert response.status_code == 200, response.text
    return anonymous


def show(ctx: GuardContext, image_bgr: np.ndarray) -> None:
    """Put a frame in front of the camera (as the pipeline's detector would see it)."""
    ctx.tap.observe(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))


def events(ctx: GuardContext, event_type: str) -> list:
    return [r for r in ctx.event_log.iter_events() if r.type == event_type]


def visitor_form(**changes: object) -> dict[str, object]:
    """A valid PIN-pass registration, with `changes` applied."""
    form: dict[str, object] = {"name": "李雷", "phone": "13812345678", "host_unit": HOST_UNIT,
                               "purpose": "探亲", "max_entries": 2, "credential": "pass"}
    form.update(changes)
    return form
