"""Config validation and `gate check-config`."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.cli import main
from gate.config.loader import parse_config
from gate.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_is_valid(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(path)]) == 0
    assert f"OK {path}" in capsys.readouterr().out


def test_bad_field_exits_2_naming_field_path_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "gate.yaml"
    bad.write_text("gate_id: g1\ndoor:\n  unlock_seconds: 3\n  backend:\n    type: gpio\n"
                   "    relay_pin: 99\n", encoding="utf-8")
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:6: door.backend.relay_pin" in err


def test_unknown_key_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"face\.recogniser\.typo: Extra inputs"):
        parse_config("gate_id: g1\nface:\n  recogniser:\n    typo: 1\n")


def test_missing_gate_id_is_named() -> None:
    with pytest.raises(ConfigError, match=r"gate_id: Field required"):
        parse_config("kind: pedestrian\n")


def test_liveness_cannot_wait_longer_than_three_seconds() -> None:
    with pytest.raises(ConfigError, match=r"face\.liveness\.max_seconds"):
        parse_config("gate_id: g1\nface:\n  liveness:\n    max_seconds: 10\n")


def test_unreadable_and_non_mapping_files_exit_2(tmp_path: Path) -> None:
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    assert main(["check-config", str(tmp_path / "missing.yaml")]) == 2
    assert main(["check-config", str(listing)]) == 2


def _check_config_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         yaml_text: str) -> str:
    """`gate check-config` on a file holding `yaml_text` (it must pass): what it printed."""
    path = tmp_path / "gate.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    assert main(["check-config", str(path)]) == 0
    return capsys.readouterr().out


def test_dlib_face_only_config_warns_it_is_unsafe_for_east_asian_residents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _check_config_output(tmp_path, capsys,
                               "gate_id: g1\nface:\n  recogniser:\n    type: dlib\n")
    assert "UNSAFE" in out and "East-Asian" in out and "card/PIN" in out


def test_check_config_quotes_the_east_asian_rate_of_the_configured_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _check_config_output(tmp_path, capsys,
                               "gate_id: g1\nface:\n  recogniser:\n    threshold: 0.5\n")
    assert "threshold 0.50" in out and "accepted 10% of East-Asian strangers" in out
    assert "UNSAFE" in out


def test_check_config_says_when_a_threshold_was_never_measured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _check_config_output(tmp_path, capsys,
                               "gate_id: g1\nface:\n  recogniser:\n    threshold: 0.42\n")
    assert "no measured East-Asian stranger-accept rate" in out and "UNSAFE" in out


def test_default_config_quotes_zero_east_asian_strangers_and_no_unsafe_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _check_config_output(tmp_path, capsys, "gate_id: g1\n")
    assert "threshold 0.40 / margin 0.05 accepted 0% of East-Asian strangers" in out
    assert "UNSAFE" not in out


def test_check_config_warns_while_osdp_install_mode_is_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    osdp = "gate_id: g1\ndoor:\n  backend:\n    type: osdp\n"
    assert "install_mode is on" in _check_config_output(
        tmp_path, capsys, osdp + "    install_mode: true\n")
    assert "install_mode" not in _check_config_output(tmp_path, capsys, osdp)


@pytest.mark.parametrize(("yaml_text", "warning"), [
    ("face:\n  face_only_allowed: false\n", "no face will ever open this door"),
    ("kind: vehicle\nface:\n  card_only_allowed: false\n",
     "no card or PIN will ever lift the barrier"),
])
def test_check_config_warns_when_a_factor_setting_lets_nobody_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], yaml_text: str, warning: str
) -> None:
    assert warning in _check_config_output(tmp_path, capsys, f"gate_id: g1\n{yaml_text}")
    # With a card reader on the door, a face that needs a card is a working setting.
    with_reader = ("gate_id: g1\nface:\n  face_only_allowed: false\n"
                   "door:\n  backend:\n    type: osdp\n")
    assert "will ever" not in _check_config_output(tmp_path, capsys, with_reader)
