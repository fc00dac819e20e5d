"""Without the dev data, the demo's packaged faces still tell the whole story correctly."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from hw_sim.fallback_faces import fallback_scenario
from hw_sim.harness import SimulatedGate


@pytest.mark.skipif(importlib.util.find_spec("insightface") is None,
                    reason="the insightface wheel's sample pictures are not installed")
def test_packaged_faces_grant_residents_and_refuse_stranger_and_photo(tmp_path: Path) -> None:
    story = fallback_scenario("pedestrian")
    gate = SimulatedGate(tmp_path / "gate")
    try:
        assert gate.enrol(story.enrolees) == len(story.enrolees)
        for clip in story.clips:
            if clip.name == "empty":
                continue
            reports = gate.play([clip])
            granted = [r for r in reports if r.decision.granted]
            assert bool(granted) == (clip.expect == "granted"), clip.name
    finally:
        gate.close()
