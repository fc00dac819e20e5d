"""Locate the shared dev data in place (never copied into the project)."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "GATE_SHARED_DATA"


def shared_data_dir() -> Path:
    """`$GATE_SHARED_DATA`, else `../shared/data` beside the project."""
    return Path(os.environ.get(ENV_VAR, PROJECT_ROOT.parent / "shared" / "data"))


def faces_dir() -> Path | None:
    """The faces dataset folder, or None where it is absent."""
    path = shared_data_dir() / "faces"
    return path if (path / "labels.csv").is_file() else None


@dataclass(frozen=True)
class LabelledFile:
    """One row of faces/labels.csv."""

    path: Path
    label: str
    kind: str
    note: str


def read_face_labels(root: Path) -> list[LabelledFile]:
    """Rows of `root/labels.csv`, paths resolved against `root`."""
    with (root / "labels.csv").open(encoding="utf-8", newline="") as handle:
        return [
            LabelledFile(root / row["filename"], row["label"], row["kind"], row.get("note", ""))
            for row in csv.DictReader(handle)
        ]


def identity_images(root: Path) -> dict[str, list[Path]]:
    """identities/<id>/ files by identity id, both sorted (ids, then file names)."""
    ident_root = root / "identities"
    return {
        d.name: sorted(p for p in d.iterdir() if p.is_file())
        for d in sorted(ident_root.iterdir())
        if d.is_dir()
    }
