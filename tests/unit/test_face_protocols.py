"""The open-set protocol of `gate eval faces` (issue 7): which photos are enrolled, which probe.

Vectors are built so that each outcome proves one fact about the protocol: a probe close
only to photo 2 is accepted only if photo 2 was enrolled; a stranger identical to photo 3
is accepted only if photo 3 was (wrongly) enrolled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gate.eval.face_protocols import EncodedImage, open_set
from gate.eval.faces import identity_paths

THRESHOLD, MARGIN = 0.40, 0.05
DIMENSION = 16


def _axis(*weights: tuple[int, float]) -> np.ndarray:
    vector = np.zeros(DIMENSION, dtype=np.float32)
    for index, weight in weights:
        vector[index] = weight
    return vector / np.linalg.norm(vector)


def _person(identity: str, *vectors: np.ndarray | None) -> list[EncodedImage]:
    return [EncodedImage(f"identities/{identity}/{n}.jpg", identity, v)
            for n, v in enumerate(vectors, start=1)]


def _encoded() -> dict[str, list[EncodedImage]]:
    """ea_a and ea_c are enrolled (every second sorted id); ea_b and ea_d are strangers."""
    return {
        # Insertion order is not sorted: the protocol must sort the ids itself.
        "ea_b": _person("ea_b", _axis((10, 1)), _axis((11, 1)),
                        # Cosine distance 0.17 to ea_a's photo 3, 0.80 to its photo 2.
                        _axis((3, 1), (1, 0.2))),
        "ea_a": _person("ea_a", _axis((0, 1)), _axis((1, 1)), _axis((1, 1), (3, 1))),
        "ea_d": _person("ea_d", _axis((12, 1)), _axis((13, 1)), _axis((14, 1))),
        "ea_c": _person("ea_c", _axis((4, 1)), _axis((5, 1)), _axis((5, 1), (6, 1))),
    }


def test_enrol2_enrols_the_first_two_photos_of_every_second_identity() -> None:
    result = open_set(_encoded(), "cosine", THRESHOLD, MARGIN, enrol_per_person=2)
    assert result["enrolled_people"] == 2
    assert (result["enrolled_probes"], result["stranger_probes"]) == (2, 6)
    # Each probe (photo 3) is within 0.29 of its photo 2 only: accepted, so photo 2 is in.
    assert result["correct_accept_rate"] == 1.0
    # ea_b's photo 3 sits on ea_a's photo 3: not accepted, so photo 3 was not enrolled.
    assert result["stranger_accept_rate"] == 0.0
    assert result["wrong_identity_rate"] == 0.0


def test_enrol1_probes_with_photos_two_and_three() -> None:
    result = open_set(_encoded(), "cosine", THRESHOLD, MARGIN, enrol_per_person=1)
    assert (result["enrolled_probes"], result["stranger_probes"]) == (4, 6)
    # Photos 2 and 3 are far from photo 1 by construction: nobody is recognised.
    assert result["correct_accept_rate"] == 0.0


def test_identities_filter_keeps_strangers_of_other_groups_out() -> None:
    encoded = _encoded() | {"zz_other": _person("zz_other", _axis((0, 1)))}
    east_asian = [p for p in encoded if p.startswith("ea_")]
    result = open_set(encoded, "cosine", THRESHOLD, MARGIN, enrol_per_person=2,
                      identities=east_asian)
    # zz_other's photo equals ea_a's enrolled photo 1; left out, it cannot be a stranger accept.
    assert (result["stranger_probes"], result["stranger_accept_rate"]) == (6, 0.0)


def test_probe_without_a_face_counts_as_not_accepted() -> None:
    encoded = _encoded()
    encoded["ea_a"] = [*encoded["ea_a"][:2], EncodedImage("identities/ea_a/3.jpg", "ea_a", None)]
    result = open_set(encoded, "cosine", THRESHOLD, MARGIN, enrol_per_person=2)
    assert result["enrolled_probes"] == 2
    assert result["correct_accept_rate"] == pytest.approx(0.5)


def test_photos_are_taken_in_file_name_order(tmp_path: Path) -> None:
    person = tmp_path / "identities" / "ea_x"
    person.mkdir(parents=True)
    for name in ("c_3.jpg", "a_1.jpg", "b_2.jpg"):
        (person / name).write_bytes(b"")
    paths = identity_paths(tmp_path)
    assert [p.name for p in paths["ea_x"]] == ["a_1.jpg", "b_2.jpg", "c_3.jpg"]
