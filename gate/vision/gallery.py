"""1:N face matching: every template in one float32 matrix, one matmul per probe.

Rows are kept sorted by person so the per-person minimum distance is a single
`np.minimum.reduceat`; a person's distance is the minimum over their templates.
The gallery knows nothing about storage: build it from (person_id, vector) pairs.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gate.errors import GalleryError

logger = logging.getLogger(__name__)

Metric = Literal["euclidean", "cosine"]
DecisionReason = Literal["match", "no_match", "ambiguous_margin"]


def distance(a: np.ndarray, b: np.ndarray, metric: Metric) -> float:
    """Distance between two embeddings: Euclidean, or 1 - cosine similarity."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    if metric == "euclidean":
        return float(np.linalg.norm(a - b))
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return 1.0 - float(np.dot(a, b)) / denominator if denominator > 0 else 1.0


@dataclass(frozen=True)
class MatchResult:
    """Nearest and second-nearest identities for one probe (distances are inf when absent)."""

    best_id: str | None
    best_distance: float
    second_id: str | None
    second_distance: float
    best_threshold: float | None = None  # the best identity's own threshold, if it has one

    @property
    def margin(self) -> float:
        """How much farther the runner-up is than the best identity (inf with one person)."""
        return self.second_distance - self.best_distance


@dataclass(frozen=True)
class Decision:
    """The outcome of the match rule: an accepted identity or the reason there is none."""

    person_id: str | None
    reason: DecisionReason
    distance: float
    margin: float

    @property
    def accepted(self) -> bool:
        return self.person_id is not None


def decide(match: MatchResult, threshold: float, margin: float) -> Decision:
    """Accept the best identity when it is within its threshold and clear of the runner-up.

    The threshold is the lower of the global one and the person's own (see
    `gate.vision.lookalikes.person_thresholds`); the runner-up must be at least
    `margin` farther away, otherwise two residents are too alike to tell apart.
    """
    limit = threshold
    if match.best_threshold is not None:
        limit = min(limit, match.best_threshold)
    if match.best_id is None or not match.best_distance <= limit:
        return Decision(None, "no_match", match.best_distance, match.margin)
    if match.margin < margin:
        return Decision(None, "ambiguous_margin", match.best_distance, match.margin)
    return Decision(match.best_id, "match", match.best_distance, match.margin)


class Gallery:
    """Enrolled templates of many people, matched 1:N with precomputed norms."""

    def __init__(
        self,
        entries: Iterable[tuple[str, np.ndarray]] = (),
        metric: Metric = "euclidean",
        dimension: int | None = None,
    ) -> None:
        self.metric: Metric = metric
        self.dimension = dimension
        self._templates: dict[str, list[np.ndarray]] = {}
        self._person_thresholds: dict[str, float] = {}
        self._dirty = True
        self._matrix = np.zeros((0, dimension or 0), dtype=np.float32)
        self._squared_norms = np.zeros(0, dtype=np.float32)
        self._starts = np.zeros(0, dtype=np.intp)
        self._ids: list[str] = []
        self._id_thresholds = np.zeros(0, dtype=np.float64)
        for person_id, vector in entries:
            self.add(person_id, vector)

    # -- content ---------------------------------------------------------------------------

    def add(self, person_id: str, vector: np.ndarray) -> None:
        """Add one template for `person_id` (a person may have several)."""
        row = np.asarray(vector, dtype=np.float32).reshape(-1)
        if self.dimension is None:
            self.dimension = row.shape[0]
        if row.shape[0] != self.dimension or not np.all(np.isfinite(row)):
            raise GalleryError(
                f"template of length {row.shape[0]} (or not finite) in a gallery of "
                f"dimension {self.dimension}"
            )
        if self.metric == "cosine":
            norm = float(np.linalg.norm(row))
            if norm == 0:
                raise GalleryError("a zero vector cannot be matched by cosine distance")
            row = row / norm
        self._templates.setdefault(person_id, []).append(row)
        self._dirty = True

    def remove_person(self, person_id: str) -> int:
        """Drop every template of `person_id`; returns how many were removed."""
        removed = self._templates.pop(person_id, [])
        self._person_thresholds.pop(person_id, None)
        if removed:
            self._dirty = True
        return len(removed)

    def set_person_thresholds(self, thresholds: Mapping[str, float]) -> None:
        """Give some people a stricter threshold of their own (others keep the global one)."""
        self._person_thresholds = {p: float(t) for p, t in thresholds.items()}
        self._dirty = True

    @property
    def person_ids(self) -> list[str]:
        return sorted(self._templates)

    def templates(self, person_id: str) -> np.ndarray:
        """(k, dimension) stored templates of one person (unit length for cosine)."""
        return np.stack(self._templates[person_id])

    def __len__(self) -> int:
        """Number of templates (not people)."""
        return sum(len(rows) for rows in self._templates.values())

    def __contains__(self, person_id: object) -> bool:
        return person_id in self._templates

    # -- matching --------------------------------------------------------------------------

    def _rebuild(self) -> None:
        self._ids = sorted(self._templates)
        rows = [row for person in self._ids for row in self._templates[person]]
        counts = [len(self._templates[person]) for person in self._ids]
        width = self.dimension or 0
        self._matrix = np.stack(rows) if rows else np.zeros((0, width), dtype=np.float32)
        self._squared_norms = np.einsum("ij,ij->i", self._matrix, self._matrix)
        self._starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)
        self._id_thresholds = np.array(
            [self._person_thresholds.get(p, math.nan) for p in self._ids], dtype=np.float64
        )
        self._dirty = False

    def person_distances(self, vector: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Every person id (sorted) and the probe's distance to their nearest template."""
        ids, distances = self.person_distances_many(np.asarray(vector).reshape(1, -1))
        return ids, distances[0]

    def person_distances_many(self, vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Person ids (sorted) and an (n_probes, n_people) matrix of nearest-template distances."""
        if self._dirty:
            self._rebuild()
        probes = np.asarray(vectors, dtype=np.float32)
        if probes.ndim != 2 or (self.dimension is not None and probes.shape[1] != self.dimension):
            raise GalleryError(f"probes of shape {probes.shape}, gallery is {self.dimension}-d")
        if not self._ids:
            return [], np.zeros((probes.shape[0], 0), dtype=np.float32)
        products = probes @ self._matrix.T
        if self.metric == "cosine":
            norms = np.linalg.norm(probes, axis=1, keepdims=True)
            similarity = np.maximum.reduceat(products, self._starts, axis=1)
            return self._ids, (1.0 - similarity / np.where(norms > 0, norms, 1.0)).astype(
                np.float32
            )
        squared = (
            self._squared_norms[None, :] - 2.0 * products
            + np.einsum("ij,ij->i", probes, probes)[:, None]
        )
        nearest = np.minimum.reduceat(squared, self._starts, axis=1)
        return self._ids, np.sqrt(np.maximum(nearest, 0.0))

    def match(self, vector: np.ndarray) -> MatchResult:
        """The best and second-best identities for `vector`."""
        ids, distances = self.person_distances(vector)
        if not ids:
            return MatchResult(None, math.inf, None, math.inf)
        if len(ids) == 1:
            best = 0
            second = None
        else:
            two = np.argpartition(distances, 1)[:2]
            best, second = (two[0], two[1]) if distances[two[0]] <= distances[two[1]] else (
                two[1], two[0]
            )
        own = self._id_thresholds[best]
        return MatchResult(
            best_id=ids[best],
            best_distance=float(distances[best]),
            second_id=ids[second] if second is not None else None,
            second_distance=float(distances[second]) if second is not None else math.inf,
            best_threshold=None if math.isnan(own) else float(own),
        )
