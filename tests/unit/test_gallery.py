"""Gallery matching, the threshold + margin rule, look-alikes and per-person thresholds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gate.errors import GalleryError
from gate.vision.gallery import Gallery, MatchResult, decide, distance
from gate.vision.lookalikes import find_lookalikes, person_thresholds


def unit(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


def test_match_returns_best_and_second_best_with_margin() -> None:
    gallery = Gallery([("ann", unit(0, 0)), ("bob", unit(1, 0)), ("cy", unit(0, 3))])
    match = gallery.match(unit(0.1, 0))
    assert (match.best_id, match.second_id) == ("ann", "bob")
    assert match.best_distance == pytest.approx(0.1, abs=1e-6)
    assert match.second_distance == pytest.approx(0.9, abs=1e-6)
    assert match.margin == pytest.approx(0.8, abs=1e-6)


def test_person_distance_is_minimum_over_their_templates() -> None:
    gallery = Gallery([("ann", unit(5, 5)), ("ann", unit(0, 0)), ("bob", unit(2, 0))])
    match = gallery.match(unit(0.2, 0))
    assert match.best_id == "ann"
    assert match.best_distance == pytest.approx(0.2, abs=1e-6)


def test_decide_accepts_within_threshold_and_clear_margin() -> None:
    decision = decide(MatchResult("ann", 0.30, "bob", 0.50), threshold=0.4, margin=0.05)
    assert decision.accepted and decision.person_id == "ann" and decision.reason == "match"


def test_decide_rejects_beyond_threshold_as_no_match() -> None:
    decision = decide(MatchResult("ann", 0.45, "bob", 0.90), threshold=0.4, margin=0.05)
    assert not decision.accepted and decision.reason == "no_match"


def test_decide_rejects_close_runner_up_as_ambiguous_margin() -> None:
    decision = decide(MatchResult("ann", 0.30, "bob", 0.33), threshold=0.4, margin=0.05)
    assert decision.person_id is None and decision.reason == "ambiguous_margin"


def test_decide_uses_stricter_per_person_threshold() -> None:
    match = MatchResult("ann", 0.30, "bob", 0.90, best_threshold=0.25)
    assert decide(match, threshold=0.4, margin=0.05).reason == "no_match"


def test_single_person_gallery_has_infinite_margin() -> None:
    match = Gallery([("ann", unit(0, 0))]).match(unit(0.1, 0))
    assert match.second_id is None and math.isinf(match.margin)
    assert decide(match, threshold=0.4, margin=0.05).accepted


def test_empty_gallery_matches_nobody() -> None:
    match = Gallery(dimension=2).match(unit(0, 0))
    assert match.best_id is None
    assert decide(match, threshold=0.4, margin=0.05).reason == "no_match"


def test_removed_person_is_no_longer_matched() -> None:
    gallery = Gallery([("ann", unit(0, 0)), ("ann", unit(0, 1)), ("bob", unit(3, 0))])
    assert gallery.remove_person("ann") == 2
    assert gallery.match(unit(0, 0)).best_id == "bob"
    assert "ann" not in gallery and len(gallery) == 1


def test_added_template_is_matched_after_earlier_matches() -> None:
    gallery = Gallery([("ann", unit(0, 0))])
    gallery.match(unit(0, 0))
    gallery.add("bob", unit(5, 5))
    assert gallery.match(unit(5, 5)).best_id == "bob"


def test_cosine_gallery_distance_is_one_minus_cosine() -> None:
    gallery = Gallery([("ann", unit(1, 0)), ("bob", unit(0, 2))], metric="cosine")
    probe = unit(1, 1)
    match = gallery.match(probe)
    assert match.best_distance == pytest.approx(1 - 1 / math.sqrt(2), abs=1e-6)
    assert match.best_distance == pytest.approx(distance(probe, unit(1, 0), "cosine"), abs=1e-6)


def test_template_of_wrong_dimension_is_refused() -> None:
    gallery = Gallery([("ann", unit(0, 0))])
    with pytest.raises(GalleryError):
        gallery.add("bob", unit(1, 2, 3))
    with pytest.raises(GalleryError):
        gallery.match(unit(1, 2, 3))


def test_gallery_of_100k_templates_finds_the_enrolled_person() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(100_000, 128)).astype(np.float32)
    gallery = Gallery((f"p{i // 4:05d}", vectors[i]) for i in range(len(vectors)))
    assert len(gallery) == 100_000 and len(gallery.person_ids) == 25_000
    probe = vectors[40_001] + rng.normal(scale=0.01, size=128).astype(np.float32)
    match = gallery.match(probe)
    assert match.best_id == "p10000"
    assert match.second_distance > match.best_distance + 1.0


def test_lookalikes_flag_both_people_of_a_close_pair_only() -> None:
    gallery = Gallery([("ann", unit(0, 0)), ("bea", unit(0.3, 0)), ("cy", unit(5, 5))])
    flagged = find_lookalikes(gallery, threshold=0.4)
    assert set(flagged) == {"ann", "bea"}
    assert flagged["ann"][0][0] == "bea"
    assert flagged["ann"][0][1] == pytest.approx(0.3, abs=1e-6)


def test_person_thresholds_tighten_only_crowded_people() -> None:
    gallery = Gallery([("ann", unit(0, 0)), ("bea", unit(0.5, 0)), ("cy", unit(5, 5))])
    thresholds = person_thresholds(gallery, threshold=0.4, ratio=0.7)
    assert thresholds == pytest.approx({"ann": 0.35, "bea": 0.35})
