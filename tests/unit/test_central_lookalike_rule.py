"""The aggregator's look-alike rule: min over templates of 1 - cosine, flagged below 0.45
(the gates' threshold 0.40 plus their margin 0.05)."""

from __future__ import annotations

import numpy as np
import pytest

from aggregator import lookalikes
from aggregator.lookalikes import find_lookalikes
from gate.vision.gallery import Gallery
from gate.vision.lookalikes import find_lookalikes as gate_find_lookalikes


def _at_angle(base: np.ndarray, other: np.ndarray, cosine: float) -> np.ndarray:
    """A unit vector whose cosine with unit `base` is `cosine` (in base's plane with other)."""
    ortho = other - (other @ base) * base
    ortho /= np.linalg.norm(ortho)
    return cosine * base + np.sqrt(1 - cosine**2) * ortho


def _random_gallery(people: int, per_person: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    owners, rows = [], []
    for index in range(people):
        centre = rng.normal(size=16)
        for _ in range(per_person):
            owners.append(f"p{index:03d}")
            rows.append(centre + rng.normal(scale=0.6, size=16))
    return owners, np.asarray(rows, dtype=np.float32)


def test_pair_closer_than_threshold_is_flagged_both_ways() -> None:
    rng = np.random.default_rng(1)
    a, b, c = (v / np.linalg.norm(v) for v in rng.normal(size=(3, 128)))
    near = _at_angle(a, b, 0.65)  # distance 0.35
    flagged = find_lookalikes(["x", "y", "z"], np.stack([a, near, c * 3.0]))
    assert set(flagged) == {"x", "y"}
    assert flagged["x"]["y"] == pytest.approx(0.35, abs=1e-5)
    assert flagged["y"] == {"x": flagged["x"]["y"]}


def test_pair_just_outside_threshold_is_not_flagged() -> None:
    rng = np.random.default_rng(2)
    a, b = (v / np.linalg.norm(v) for v in rng.normal(size=(2, 128)))
    assert find_lookalikes(["x", "y"], np.stack([a, _at_angle(a, b, 0.54)])) == {}  # 0.46
    assert set(find_lookalikes(["x", "y"], np.stack([a, _at_angle(a, b, 0.56)]))) == {"x", "y"}


def test_a_persons_own_templates_never_flag_them() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=128)
    assert find_lookalikes(["x", "x", "y"], np.stack([a, a, -a])) == {}


def test_empty_gallery_and_zero_vectors_flag_nobody() -> None:
    assert find_lookalikes([], np.zeros((0, 128))) == {}
    assert find_lookalikes(["x", "y"], np.zeros((2, 128))) == {}


def test_result_does_not_depend_on_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    owners, vectors = _random_gallery(60, 3, seed=4)
    whole = find_lookalikes(owners, vectors)
    monkeypatch.setattr(lookalikes, "CHUNK_ROWS", 7)
    chunked = find_lookalikes(owners, vectors)
    assert {p: set(o) for p, o in chunked.items()} == {p: set(o) for p, o in whole.items()}
    for person, others in whole.items():
        assert chunked[person] == pytest.approx(others, abs=1e-6)


def test_threshold_is_the_gates_default_threshold_plus_margin() -> None:
    from gate.config.face import RecogniserConfig
    from gate.vision.recognisers.registry import effective_margin, effective_threshold

    config = RecogniserConfig()
    assert lookalikes.LOOKALIKE_THRESHOLD == pytest.approx(
        effective_threshold(config) + effective_margin(config))


def test_agrees_with_the_gates_rule_on_the_same_templates() -> None:
    owners, vectors = _random_gallery(60, 3, seed=5)
    gallery = Gallery(list(zip(owners, vectors, strict=True)), metric="cosine", dimension=16)
    central = find_lookalikes(owners, vectors)
    gate = gate_find_lookalikes(gallery, lookalikes.LOOKALIKE_THRESHOLD)
    assert central, "the sample should hold some look-alikes"
    assert {p: sorted(others) for p, others in central.items()} == {
        p: sorted(other for other, _ in pairs) for p, pairs in gate.items()}
