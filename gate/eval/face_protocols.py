"""Face evaluation protocols on already-encoded images: 1:1 verification and open-set 1:N.

Pure numpy over embeddings, so the same encodings serve every threshold of a curve.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gate.vision.gallery import Gallery, Metric, decide, distance
from gate.vision.lookalikes import person_thresholds


@dataclass(frozen=True)
class EncodedImage:
    """One identity image: its path relative to the dataset, its person and embedding."""

    path: str
    identity: str
    vector: np.ndarray | None  # None when no face was found


EncodedSet = Mapping[str, Sequence[EncodedImage]]  # identity -> images sorted by file name


def verification_at(
    pairs: Iterable[tuple[EncodedImage, EncodedImage, bool]], metric: Metric, threshold: float
) -> dict[str, float | int]:
    """True/false accept rates of listed pairs at `threshold` (a missing face never matches)."""
    same_total = same_hits = diff_total = diff_hits = 0
    for first, second, same in pairs:
        hit = (
            first.vector is not None and second.vector is not None
            and distance(first.vector, second.vector, metric) <= threshold
        )
        if same:
            same_total, same_hits = same_total + 1, same_hits + hit
        else:
            diff_total, diff_hits = diff_total + 1, diff_hits + hit
    return {
        "threshold": threshold,
        "true_accept_rate": same_hits / same_total if same_total else 0.0,
        "false_accept_rate": diff_hits / diff_total if diff_total else 0.0,
        "same_pairs": same_total,
        "different_pairs": diff_total,
    }


def all_pair_distances(encoded: EncodedSet, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
    """Distances of every same-person and every different-person pair of encoded images."""
    images = [i for rows in encoded.values() for i in rows if i.vector is not None]
    same, different = [], []
    for first, second in itertools.combinations(images, 2):
        value = distance(first.vector, second.vector, metric)  # type: ignore[arg-type]
        (same if first.identity == second.identity else different).append(value)
    return np.array(same, dtype=np.float64), np.array(different, dtype=np.float64)


def tar_at_far(same: np.ndarray, different: np.ndarray, far: float) -> float:
    """Largest true-accept rate whose false-accept rate stays at or below `far`."""
    if same.size == 0:
        return 0.0
    if different.size == 0:
        return 1.0
    allowed = int(np.floor(far * different.size))  # false accepts we may admit
    ordered = np.sort(different)
    # Accept strictly below the (allowed+1)-th closest different pair.
    cutoff = ordered[allowed] if allowed < ordered.size else np.inf
    return float(np.mean(same < cutoff))


def open_set(
    encoded: EncodedSet,
    metric: Metric,
    threshold: float,
    margin: float,
    enrol_per_person: int = 1,
    identities: Iterable[str] | None = None,
    per_person_ratio: float | None = None,
) -> dict[str, float | int]:
    """Enrol every second identity (sorted ids) from its first photos, probe with the rest.

    Decisions use the gate's own rule (`decide`: threshold, margin to the second-best
    identity, optional per-person thresholds). A probe with no face counts as not accepted.
    """
    chosen = sorted(identities if identities is not None else encoded)
    enrolled = set(chosen[0::2])
    gallery = Gallery(metric=metric)
    probes: list[EncodedImage] = []
    for person in chosen:
        images = list(encoded[person])
        enrol = images[:enrol_per_person] if person in enrolled else []
        for image in enrol:
            if image.vector is not None:
                gallery.add(person, image.vector)
        probes.extend(images[len(enrol):])
    if per_person_ratio is not None:
        gallery.set_person_thresholds(person_thresholds(gallery, threshold, per_person_ratio))
    counts = {"enrolled_probes": 0, "correct": 0, "wrong": 0, "stranger_probes": 0, "stranger": 0}
    for probe in probes:
        accepted = None
        if probe.vector is not None:
            accepted = decide(gallery.match(probe.vector), threshold, margin).person_id
        if probe.identity in enrolled:
            counts["enrolled_probes"] += 1
            counts["correct"] += accepted == probe.identity
            counts["wrong"] += accepted is not None and accepted != probe.identity
        else:
            counts["stranger_probes"] += 1
            counts["stranger"] += accepted is not None
    return {
        "correct_accept_rate": _rate(counts["correct"], counts["enrolled_probes"]),
        "wrong_identity_rate": _rate(counts["wrong"], counts["enrolled_probes"]),
        "stranger_accept_rate": _rate(counts["stranger"], counts["stranger_probes"]),
        "enrolled_people": len(enrolled),
        "enrolled_probes": counts["enrolled_probes"],
        "stranger_probes": counts["stranger_probes"],
    }


def _rate(hits: int, total: int) -> float:
    return hits / total if total else 0.0
