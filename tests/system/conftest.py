"""Fixtures shared by the system tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def config_file(tmp_path: Path) -> Path:
    """A minimal gate config whose data folder is `tmp_path/data`."""
    path = tmp_path / "gate.yaml"
    path.write_text(f"gate_id: test-gate\nstorage:\n  data_dir: {tmp_path / 'data'}\n",
                    encoding="utf-8")
    return path
