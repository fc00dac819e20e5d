"""`gate enroll` and `gate run` as a user meets them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from gate.cli import main
from gate.directory.store import DirectoryStore

ROOT = Path(__file__).resolve().parents[2]


def _enroll(config: Path, *photos: Path) -> int:
    args = ["enroll", "--config", str(config), "--name", "张伟", "--unit", "1-1-101",
            "--group", "residents", "--person-id", "r-1"]
    for photo in photos:
        args += ["--photo", str(photo)]
    return main(args)


def test_enroll_stores_one_template_per_photo(
    config_file: Path, faces_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photos = sorted((faces_root / "identities" / "obama").iterdir())[:2]
    assert _enroll(config_file, *photos) == 0
    assert "enrolled r-1 with 2 photo(s)" in capsys.readouterr().out
    with DirectoryStore(tmp_path / "data" / "gate.db") as directory:
        assert [p for p, _ in directory.face_templates("sface")] == ["r-1", "r-1"]
        assert directory.person("r-1").unit == "1-1-101"


@pytest.mark.parametrize(
    ("make_photo", "expected"),
    [
        ("negatives/dlib_dogs.jpg", "no face found"),
        ("multi/ageitgey_obama_and_biden.jpg", "faces found, exactly one expected"),
        ("small", "face too small"),
        ("blurred", "face too blurred"),
        ("corrupt", "not a readable image"),
    ],
)
def test_enroll_refuses_unusable_photos_saying_why(
    make_photo: str, expected: str, config_file: Path, faces_root: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = faces_root / "identities" / "obama" / "ageitgey_obama.jpg"
    if make_photo == "small":
        photo = tmp_path / "small.jpg"
        image = cv2.imread(str(source))
        cv2.imwrite(str(photo), cv2.resize(image, None, fx=0.15, fy=0.15))
    elif make_photo == "blurred":
        photo = tmp_path / "blurred.jpg"
        cv2.imwrite(str(photo), cv2.GaussianBlur(cv2.imread(str(source)), (0, 0), 6))
    elif make_photo == "corrupt":
        photo = tmp_path / "corrupt.jpg"
        photo.write_bytes(source.read_bytes()[:200])
    else:
        photo = faces_root / make_photo
    assert _enroll(config_file, photo) == 1
    assert expected in capsys.readouterr().out
    # Nothing was half-saved.
    assert not (tmp_path / "data" / "gate.db").exists() or not DirectoryStore(
        tmp_path / "data" / "gate.db").face_templates("sface")


def test_gate_run_without_gpio_fails_with_one_clear_sentence(tmp_path: Path) -> None:
    config = tmp_path / "pi.yaml"
    text = (ROOT / "config" / "gate.pi.example.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("/var/lib/gate", str(tmp_path / "data")), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "gate.cli", "run", "--config", str(config), "--duration", "1"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and "GPIO" in lines[0], result.stdout + result.stderr
