"""Measured open-set results on the dev set's East-Asian identities, per recogniser.

Refreshed by hand from `gate eval faces ../shared/data/faces --json --recogniser NAME`
(key `open_set_east_asian`) and `gate eval faces ../shared/data/faces --curve` (the `ea_`
tables, docs/face-recognition.md); `gate check-config` quotes them so nobody deploys
face-only entry without knowing the risk. tests/system/test_measured_east_asian.py
recomputes them from the photos and fails when they go stale.
"""

from __future__ import annotations

from dataclasses import dataclass

EAST_ASIAN_STRANGER_PROBES = 21  # 7 ea_ people never enrolled x 3 photos: one accept = 5 %


@dataclass(frozen=True)
class EastAsianResult:
    """Stranger-accept rate at a recogniser's default operating point."""

    stranger_accept_rate: float
    correct_accept_rate: float
    unsafe_face_only: bool
    protocol: str = "14 ea_ identities, first photo of every second one enrolled"
    command: str = "gate eval faces ../shared/data/faces --json"


EAST_ASIAN_STRANGER_ACCEPT: dict[str, EastAsianResult] = {
    # 2 of 21 East-Asian stranger probes accepted at 0.40/0.05; 21 of 21 at dlib's usual 0.6.
    "dlib": EastAsianResult(0.10, 0.64, unsafe_face_only=True),
    # 0 of 21; a small sample (one false accept is 5 points): confirm on unseen people.
    "sface": EastAsianResult(0.00, 0.71, unsafe_face_only=False),
}


@dataclass(frozen=True)
class EastAsianPoint:
    """One measured operating point: rates with one and with two photos enrolled per person."""

    threshold: float
    margin: float
    correct_accept_rate: float
    stranger_accept_rate: float
    correct_accept_rate_enrol2: float
    stranger_accept_rate_enrol2: float


# recogniser -> margin -> rows of (threshold, correct, stranger, correct enrol 2,
# stranger enrol 2); one global threshold (no per-person thresholds).
_CURVE: dict[str, dict[float, list[tuple[float, float, float, float, float]]]] = {
    "sface": {
        0.0: [
            (0.30, 0.50, 0.00, 0.43, 0.00), (0.35, 0.64, 0.00, 0.71, 0.00),
            (0.40, 0.71, 0.00, 1.00, 0.00), (0.45, 0.86, 0.05, 1.00, 0.05),
            (0.50, 0.86, 0.10, 1.00, 0.10), (0.55, 0.93, 0.10, 1.00, 0.10),
            (0.60, 0.93, 0.14, 1.00, 0.14), (0.65, 1.00, 0.19, 1.00, 0.19),
            (0.70, 1.00, 0.19, 1.00, 0.24),
        ],
        0.05: [
            (0.30, 0.50, 0.00, 0.43, 0.00), (0.35, 0.64, 0.00, 0.71, 0.00),
            (0.40, 0.71, 0.00, 1.00, 0.00), (0.45, 0.86, 0.05, 1.00, 0.05),
            (0.50, 0.86, 0.10, 1.00, 0.10), (0.55, 0.93, 0.10, 1.00, 0.10),
            (0.60, 0.93, 0.14, 1.00, 0.14), (0.65, 1.00, 0.19, 1.00, 0.19),
            (0.70, 1.00, 0.19, 1.00, 0.19),
        ],
    },
    "dlib": {
        0.0: [
            (0.30, 0.29, 0.00, 0.29, 0.00), (0.35, 0.50, 0.00, 0.43, 0.00),
            (0.40, 0.71, 0.10, 0.71, 0.10), (0.45, 0.93, 0.14, 1.00, 0.19),
            (0.50, 1.00, 0.38, 1.00, 0.52), (0.55, 1.00, 0.76, 1.00, 0.90),
            (0.60, 1.00, 1.00, 1.00, 1.00),
        ],
        0.05: [
            (0.30, 0.29, 0.00, 0.29, 0.00), (0.35, 0.50, 0.00, 0.43, 0.00),
            (0.40, 0.64, 0.10, 0.71, 0.10), (0.45, 0.86, 0.14, 1.00, 0.14),
            (0.50, 0.93, 0.33, 1.00, 0.33), (0.55, 0.93, 0.48, 1.00, 0.38),
            (0.60, 0.93, 0.57, 1.00, 0.38),
        ],
    },
}


def east_asian_points(recogniser: str) -> list[EastAsianPoint]:
    """Every measured operating point of `recogniser` (empty if none was measured)."""
    return [
        EastAsianPoint(threshold, margin, *rates)
        for margin, rows in _CURVE.get(recogniser, {}).items()
        for threshold, *rates in rows
    ]


def east_asian_at(recogniser: str, threshold: float, margin: float) -> EastAsianPoint | None:
    """The measured point at exactly this threshold and margin, or None if never measured."""
    for point in east_asian_points(recogniser):
        if abs(point.threshold - threshold) < 1e-9 and abs(point.margin - margin) < 1e-9:
            return point
    return None
