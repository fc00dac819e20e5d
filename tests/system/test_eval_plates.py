"""`gate eval plates` on the shared dev crops and scenes: every field present, floors hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.eval.plates import eval_plates, eval_plates_command

# Measured with the shipped model v7: crops 0.916, scenes 0.870, recall 1.00, no false plates
# (docs/numbers.md, "Vehicle barrier"; v1 read 0.867 / 0.826). The floors sit a few points
# below, so that only a genuinely worse model or pipeline fails; v1's crops would.
CROPS_EXACT_FLOOR = 0.88
SCENES_EXACT_FLOOR = 0.82
SCENES_RECALL_FLOOR = 0.9


@pytest.fixture(scope="module")
def report(plates_root: Path) -> dict:
    return eval_plates(plates_root)


def test_crops_report_every_field_by_colour(report: dict) -> None:
    crops = report["crops"]
    assert {"n", "plate_exact", "char_accuracy", "ms_per_image", "by_colour"} <= set(crops)
    assert crops["n"] >= 80
    assert {"blue", "green"} <= set(crops["by_colour"])
    assert sum(part["n"] for part in crops["by_colour"].values()) == crops["n"]


def test_scenes_report_every_field_by_colour(report: dict) -> None:
    scenes = report["scenes"]
    expected = {"n_plates", "detect_recall", "plate_exact", "false_plates", "ms_per_image",
                "by_colour"}
    assert expected <= set(scenes)
    assert scenes["n_plates"] >= 20
    assert sum(part["n_plates"] for part in scenes["by_colour"].values()) == scenes["n_plates"]


def test_shipped_model_reads_crops_and_scenes_above_the_floors(report: dict) -> None:
    crops, scenes = report["crops"], report["scenes"]
    assert crops["plate_exact"] >= CROPS_EXACT_FLOOR, crops["misreads"]
    assert scenes["plate_exact"] >= SCENES_EXACT_FLOOR, scenes["misses"]
    assert scenes["detect_recall"] >= SCENES_RECALL_FLOOR, scenes["misses"]
    # A string reported for a scene must be one of its labelled plates.
    assert scenes["false_plates"] == 0, scenes["misses"]


def test_eval_command_prints_json_for_a_crops_only_folder(
    plates_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Five crops linked (not copied) into a folder of their own; no scenes part.
    source = plates_root / "crops"
    rows = (source / "labels.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "crops").mkdir()
    (tmp_path / "crops" / "labels.csv").write_text("\n".join(rows[:6]) + "\n", encoding="utf-8")
    for row in rows[1:6]:
        name = row.split(",")[0]
        (tmp_path / "crops" / name).symlink_to(source / name)
    assert eval_plates_command(tmp_path, as_json=True) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["crops"]["n"] == 5
    assert printed["scenes"] is None


def test_eval_command_refuses_a_folder_without_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert eval_plates_command(tmp_path, as_json=True) == 2
    assert "neither crops/labels.csv nor scenes/labels.csv" in capsys.readouterr().err
    missing = tmp_path / "absent"
    assert eval_plates_command(missing, as_json=True) == 2
    assert "is not a folder" in capsys.readouterr().err
