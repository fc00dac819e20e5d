"""The East-Asian numbers `gate check-config` quotes are what the photos give today.

Encodes only the 14 `ea_` identities of the dev set (42 photos; the `ea_` protocols use
nothing else), then replays every operating point recorded in
`gate.vision.recognisers.measured`: a change to a recogniser, the detector or the
protocol that moves a quoted rate fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.eval.face_protocols import EncodedImage, open_set
from gate.eval.faces import EAST_ASIAN_PREFIX, encode_dataset
from gate.vision.recognisers.measured import (
    EAST_ASIAN_STRANGER_ACCEPT,
    EAST_ASIAN_STRANGER_PROBES,
    east_asian_at,
    east_asian_points,
)
from gate.vision.recognisers.registry import recogniser_class

ROUNDING = 0.005  # the table keeps two decimals


@pytest.fixture(scope="module", params=["sface", "dlib"])
def encoded(
    request: pytest.FixtureRequest, faces_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, list[EncodedImage]]]:
    root = tmp_path_factory.mktemp("ea")
    (root / "identities").mkdir()
    for person in sorted((faces_root / "identities").glob(f"{EAST_ASIAN_PREFIX}*")):
        (root / "identities" / person.name).symlink_to(person)
    found, _ = encode_dataset(root, recogniser_class(request.param)())
    return request.param, found


def test_every_recorded_point_matches_a_fresh_run(
    encoded: tuple[str, dict[str, list[EncodedImage]]],
) -> None:
    name, found = encoded
    metric = recogniser_class(name).metric
    points = east_asian_points(name)
    assert points
    for point in points:
        for enrol, correct, stranger in (
            (1, point.correct_accept_rate, point.stranger_accept_rate),
            (2, point.correct_accept_rate_enrol2, point.stranger_accept_rate_enrol2),
        ):
            result = open_set(found, metric, point.threshold, point.margin,
                              enrol_per_person=enrol)
            where = f"{name} threshold {point.threshold} margin {point.margin} enrol {enrol}"
            assert result["stranger_probes"] == EAST_ASIAN_STRANGER_PROBES, where
            assert result["correct_accept_rate"] == pytest.approx(correct, abs=ROUNDING), where
            assert result["stranger_accept_rate"] == pytest.approx(stranger, abs=ROUNDING), where


@pytest.mark.parametrize("name", sorted(EAST_ASIAN_STRANGER_ACCEPT))
def test_default_point_quoted_by_check_config_is_on_the_curve(name: str) -> None:
    cls = recogniser_class(name)
    point = east_asian_at(name, cls.default_threshold, cls.default_margin)
    assert point is not None
    quoted = EAST_ASIAN_STRANGER_ACCEPT[name]
    assert quoted.stranger_accept_rate == pytest.approx(point.stranger_accept_rate)
    assert quoted.correct_accept_rate == pytest.approx(point.correct_accept_rate)


def test_unmeasured_point_is_not_passed_off_as_measured() -> None:
    assert east_asian_at("sface", 0.42, 0.05) is None
    assert east_asian_at("no-such-recogniser", 0.40, 0.05) is None
    loose = east_asian_at("sface", 0.50, 0.05)
    assert loose is not None and loose.stranger_accept_rate == pytest.approx(0.10)
