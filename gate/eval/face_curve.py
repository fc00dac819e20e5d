"""Correct accept vs stranger accept over thresholds, for docs/face-recognition.md.

    .venv/bin/python -m gate.eval.face_curve ../shared/data/faces

Encodes the identity photos once per recogniser, then replays the open-set
protocol of `gate eval faces` at every threshold for each approach tried.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gate.eval.face_protocols import EncodedSet, open_set
from gate.eval.face_variants import VARIANTS
from gate.eval.faces import EAST_ASIAN_PREFIX, encode_dataset
from gate.vision.recognisers.base import Recogniser
from gate.vision.recognisers.registry import RECOGNISER_TYPES, recogniser_class

_SFACE_THRESHOLDS = [round(t, 3) for t in np.arange(0.30, 0.701, 0.05)]
THRESHOLDS = {
    "dlib": [round(t, 3) for t in np.arange(0.30, 0.601, 0.05)],
    "sface": _SFACE_THRESHOLDS,
    **{name: _SFACE_THRESHOLDS for name in VARIANTS},
}
# Every recogniser the gate ships, then the variants tried and not adopted.
CURVE_RECOGNISERS = [*sorted(RECOGNISER_TYPES), *VARIANTS]


@dataclass(frozen=True)
class Approach:
    """One way of using a recogniser: margin, photos enrolled, per-person thresholds."""

    label: str
    margin: float
    enrol_per_person: int = 1
    per_person_ratio: float | None = None


APPROACHES = [
    Approach("no margin", 0.0),
    Approach("margin 0.05", 0.05),
    Approach("enrol 2, no margin", 0.0, 2),
    Approach("enrol 2, margin 0.05", 0.05, 2),
    Approach("enrol 2, margin 0.05, per-person 0.7", 0.05, 2, 0.7),
]


def curve_rows(
    encoded: EncodedSet, metric: str, thresholds: list[float], identities: list[str] | None
) -> list[list[str]]:
    """One row per threshold: the threshold, then `correct / wrong / stranger` per approach."""
    rows = []
    for threshold in thresholds:
        cells = [f"{threshold:.2f}"]
        for approach in APPROACHES:
            result = open_set(
                encoded, metric, threshold, approach.margin,  # type: ignore[arg-type]
                enrol_per_person=approach.enrol_per_person, identities=identities,
                per_person_ratio=approach.per_person_ratio,
            )
            cells.append(
                f"{result['correct_accept_rate']:.2f} / {result['wrong_identity_rate']:.2f} / "
                f"{result['stranger_accept_rate']:.2f}"
            )
        rows.append(cells)
    return rows


def _table(rows: list[list[str]]) -> list[str]:
    header = ["threshold", *(a.label for a in APPROACHES)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _curve_class(name: str) -> type[Recogniser]:
    return VARIANTS[name] if name in VARIANTS else recogniser_class(name)


def curve_markdown(root: Path, recognisers: list[str] | None = None) -> str:
    """Markdown tables (East-Asian identities, then all identities) for each recogniser."""
    lines: list[str] = []
    for name in recognisers or CURVE_RECOGNISERS:
        cls = _curve_class(name)
        encoded, stats = encode_dataset(root, cls())
        east_asian = [p for p in encoded if p.startswith(EAST_ASIAN_PREFIX)]
        for title, identities in (("ea_ identities", east_asian), ("all identities", None)):
            lines.append(
                f"\n**{name}** ({cls.metric} distance, default threshold "
                f"{cls.default_threshold}, margin {cls.default_margin}) - {title}; "
                f"cells: correct accept / wrong identity / stranger accept "
                f"({stats['images']} images, {stats['no_face']} without a face)\n"
            )
            lines += _table(curve_rows(encoded, cls.metric, THRESHOLDS[name], identities))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m gate.eval.face_curve DIR [RECOGNISER...]`."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        names = "|".join(CURVE_RECOGNISERS)
        sys.stderr.write(f"usage: python -m gate.eval.face_curve DIR [{names} ...]\n")
        return 2
    sys.stdout.write(curve_markdown(Path(args[0]), args[1:] or None) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
