"""The labelled plate folders (`crops/labels.csv`, `scenes/labels.csv`) as plain records.

Formats (see the shared data's PROVENANCE.md): crops have `filename,label,color,...`;
scenes add the plate's box `x1,y1,x2,y2` and `corners` as "x y;x y;x y;x y".
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gate.errors import GateError
from gate.vision.types import Box
from wire.plates import normalise_plate


class PlateDataError(GateError, ValueError):
    """A labels file that is missing or malformed; names the file and row."""


@dataclass(frozen=True)
class PlateCrop:
    """One labelled plate crop."""

    path: Path
    label: str
    colour: str


@dataclass(frozen=True)
class PlateScene:
    """One labelled plate in a scene image (an image may have several rows)."""

    path: Path
    label: str
    colour: str
    box: Box
    corners: np.ndarray | None


def _rows(labels: Path) -> list[dict[str, str]]:
    if not labels.is_file():
        raise PlateDataError(f"{labels}: not found")
    with labels.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_crops(folder: Path) -> list[PlateCrop]:
    """Rows of `folder/labels.csv`, paths resolved against `folder`."""
    labels = folder / "labels.csv"
    try:
        return [PlateCrop(folder / row["filename"], normalise_plate(row["label"]),
                          row.get("color") or "unknown") for row in _rows(labels)]
    except KeyError as err:
        raise PlateDataError(f"{labels}: missing column {err}") from err


def _corners(text: str) -> np.ndarray | None:
    if not text:
        return None
    points = [tuple(float(v) for v in pair.split()) for pair in text.split(";")]
    if len(points) != 4 or any(len(p) != 2 for p in points):
        raise ValueError(f"corners need four 'x y' pairs, got {text!r}")
    return np.asarray(points, dtype=np.float32)


def read_scenes(folder: Path) -> list[PlateScene]:
    """Rows of `folder/labels.csv` (one per labelled plate), paths resolved against `folder`."""
    labels = folder / "labels.csv"
    scenes = []
    for number, row in enumerate(_rows(labels), start=2):
        try:
            box = Box(int(row["x1"]), int(row["y1"]), int(row["x2"]), int(row["y2"]))
            scenes.append(PlateScene(folder / row["filename"], normalise_plate(row["label"]),
                                     row.get("color") or "unknown", box,
                                     _corners(row.get("corners", ""))))
        except (KeyError, ValueError) as err:
            raise PlateDataError(f"{labels} line {number}: {err}") from err
    return scenes
