"""Residents whose central face templates sit too close to another resident's.

The gates apply the same rule to their own gallery (the aggregator does not import gate code):
the distance between two people is the smallest 1 - cosine similarity over their templates,
and two people closer than `LOOKALIKE_THRESHOLD` look alike. A probe of either could be
accepted as the other, so both are asked for a second factor (card or PIN) at face gates.

`refresh_lookalikes` recomputes every flag from all SFace templates whenever templates change
(enrolment, template or resident deletion) and bumps the directory version of each resident
whose flag changed, so gates receive it at their next sync.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, select, update

from aggregator.db.models import FaceTemplate, Resident
from aggregator.faces import DIMENSION, RECOGNISER
from aggregator.sync import record_change

logger = logging.getLogger(__name__)

LOOKALIKE_THRESHOLD = 0.45
"""Cosine distance: the gates' default SFace match threshold (0.40) plus their margin (0.05).
A pair closer than that is one a gate could confuse: a probe of one may land within the
threshold of the other, with only the margin rule between them."""

CHUNK_ROWS = 2048
"""Templates compared per matrix product: 2048 x 10,000 float32 distances is 80 MB."""


@dataclass(frozen=True)
class LookalikeChanges:
    """The outcome of one recomputation."""

    flagged: dict[str, dict[str, float]]
    """Every flagged person: {other person: distance}."""
    appeared: list[str] = field(default_factory=list)
    """People flagged now who were not before."""
    cleared: list[str] = field(default_factory=list)
    """People flagged before who are not any more."""


def find_lookalikes(owners: Sequence[str], vectors: np.ndarray,
                    threshold: float = LOOKALIKE_THRESHOLD) -> dict[str, dict[str, float]]:
    """Each person with another person's template closer than `threshold`: {other: distance}.

    `owners[i]` is the person of template `vectors[i]`. The result is symmetric: if a is a
    look-alike of b, b is one of a, at the same distance.
    """
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or len(owners) != matrix.shape[0]:
        raise ValueError("need one owner per template row")
    if not len(owners):
        return {}
    ids, owner_index = np.unique(np.asarray(owners), return_inverse=True)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # A zero vector has no direction: leave it zero, so its cosine with anything is 0.
    unit = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    pair_keys: list[np.ndarray] = []
    pair_distances: list[np.ndarray] = []
    for start in range(0, len(unit), CHUNK_ROWS):
        distance = 1.0 - unit[start:start + CHUNK_ROWS] @ unit.T
        rows, cols = np.nonzero(distance < threshold)
        first, second = owner_index[start + rows], owner_index[cols]
        other = first != second
        low, high = np.minimum(first, second)[other], np.maximum(first, second)[other]
        # One key per unordered pair, so both directions (which float rounding can make
        # differ in the last bit) reduce to the same minimum.
        pair_keys.append(low.astype(np.int64) * len(ids) + high)
        pair_distances.append(distance[rows[other], cols[other]])
    keys, distances = np.concatenate(pair_keys), np.concatenate(pair_distances)
    if not keys.size:
        return {}
    order = np.lexsort((distances, keys))
    keys, distances = keys[order], distances[order]
    first_of_pair = np.concatenate(([True], keys[1:] != keys[:-1]))
    flagged: dict[str, dict[str, float]] = {}
    for key, distance in zip(keys[first_of_pair], distances[first_of_pair], strict=True):
        a, b = str(ids[key // len(ids)]), str(ids[key % len(ids)])
        flagged.setdefault(a, {})[b] = float(distance)
        flagged.setdefault(b, {})[a] = float(distance)
    return flagged


def central_templates(conn: Connection) -> tuple[list[str], np.ndarray]:
    """Owners and (N, DIMENSION) vectors of every central SFace template."""
    owners: list[str] = []
    blobs: list[bytes] = []
    skipped = 0
    for person_id, vector in conn.execute(
        select(FaceTemplate.person_id, FaceTemplate.vector)
        .where(FaceTemplate.recogniser == RECOGNISER).order_by(FaceTemplate.id)
    ):
        if len(vector) != DIMENSION * 4:
            skipped += 1
            continue
        owners.append(person_id)
        blobs.append(vector)
    if skipped:
        logger.error("%d face template(s) of the wrong length left out of the look-alike check",
                     skipped)
    vectors = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(owners), DIMENSION)
    return owners, vectors


def refresh_lookalikes(conn: Connection, now: str,
                       threshold: float = LOOKALIKE_THRESHOLD) -> LookalikeChanges:
    """Recompute every resident's look-alikes and store the changes (in the caller's
    transaction); each resident whose flag or list changed is sent to the gates again.

    Call it after the template change's `record_change`: on PostgreSQL that holds the
    directory lock, so two enrolments at once cannot each miss the other's template.
    """
    owners, vectors = central_templates(conn)
    flagged = find_lookalikes(owners, vectors, threshold)
    appeared: list[str] = []
    cleared: list[str] = []
    for person_id, stored in conn.execute(
        select(Resident.person_id, Resident.lookalike_of_json).order_by(Resident.person_id)
    ).all():
        before = json.loads(stored or "[]")
        after = sorted(flagged.get(person_id, {}))
        if before == after:
            continue
        conn.execute(update(Resident).where(Resident.person_id == person_id)
                     .values(lookalike_of_json=json.dumps(after)))
        record_change(conn, "person", person_id, now)
        if after and not before:
            appeared.append(person_id)
        elif before and not after:
            cleared.append(person_id)
    if appeared or cleared:
        logger.info("look-alikes: %d flagged in all, %d newly, %d cleared",
                    len(flagged), len(appeared), len(cleared))
    return LookalikeChanges(flagged, appeared, cleared)


def lookalikes_of(stored: str | None) -> list[str]:
    """The person ids a resident's stored `lookalike_of_json` names."""
    return list(json.loads(stored or "[]"))
