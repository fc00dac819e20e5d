"""Residents who look too alike for a face alone: flagged for a second factor.

Both functions compare every enrolled person with every other (min over their
templates), in chunks so a gallery of thousands of templates stays in memory.
"""

from __future__ import annotations

import logging

import numpy as np

from gate.vision.gallery import Gallery

logger = logging.getLogger(__name__)

CHUNK_TEMPLATES = 1024


def person_distance_matrix(gallery: Gallery) -> tuple[list[str], np.ndarray]:
    """Person ids (sorted) and the symmetric (P, P) matrix of closest-template distances.

    The diagonal is inf: a person is never their own look-alike.
    """
    ids = gallery.person_ids
    matrix = np.full((len(ids), len(ids)), np.inf, dtype=np.float64)
    rows: list[tuple[int, np.ndarray]] = [
        (index, row) for index, person in enumerate(ids) for row in gallery.templates(person)
    ]
    for start in range(0, len(rows), CHUNK_TEMPLATES):
        chunk = rows[start:start + CHUNK_TEMPLATES]
        owners = np.array([owner for owner, _ in chunk])
        _, distances = gallery.person_distances_many(np.stack([row for _, row in chunk]))
        for owner in np.unique(owners):
            nearest = distances[owners == owner].min(axis=0)
            matrix[owner] = np.minimum(matrix[owner], nearest)
    matrix = np.minimum(matrix, matrix.T)  # float rounding can differ by direction
    np.fill_diagonal(matrix, np.inf)
    return ids, matrix


def find_lookalikes(gallery: Gallery, threshold: float) -> dict[str, list[tuple[str, float]]]:
    """Each person with another person's template within `threshold`, nearest first.

    A probe of one of them could be accepted as the other, so the policy asks
    these residents for a second factor (card or PIN) rather than trusting the face.
    """
    ids, matrix = person_distance_matrix(gallery)
    flagged: dict[str, list[tuple[str, float]]] = {}
    for row, person in enumerate(ids):
        close = np.flatnonzero(matrix[row] <= threshold)
        if close.size:
            pairs = sorted((ids[col], float(matrix[row, col])) for col in close)
            flagged[person] = sorted(pairs, key=lambda pair: pair[1])
    logger.info("%d of %d enrolled people have a look-alike within %.3f",
                len(flagged), len(ids), threshold)
    return flagged


def person_thresholds(gallery: Gallery, threshold: float, ratio: float) -> dict[str, float]:
    """Per-person thresholds: `ratio` x the distance to the nearest other person, capped.

    A person in a crowded part of face space (their nearest neighbour is close)
    gets a stricter threshold than the global one; everyone else keeps `threshold`.
    """
    ids, matrix = person_distance_matrix(gallery)
    result: dict[str, float] = {}
    for row, person in enumerate(ids):
        nearest = float(matrix[row].min()) if len(ids) > 1 else np.inf
        own = ratio * nearest
        if own < threshold:
            result[person] = own
    return result
