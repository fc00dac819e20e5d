"""A look-alike flag raised by the aggregator survives the gate's own look-alike pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gate.directory.store import DirectoryStore
from gate.runtime import flag_lookalikes
from gate.sync.apply import apply_delta
from gate.vision.gallery import Gallery
from wire.schemas import PersonWire, SyncDelta


def _delta(version: int, lookalike: bool, full: bool = False) -> SyncDelta:
    return SyncDelta(from_version=version - 1, to_version=version, full=full, people=[
        PersonWire(person_id="r-1", display_name="张伟", unit="1-1-101", lookalike=lookalike),
        PersonWire(person_id="r-2", display_name="李娜", unit="2-3-502"),
    ])


def test_central_flag_survives_local_reload_and_clears_when_central_clears(
    tmp_path: Path,
) -> None:
    with DirectoryStore(tmp_path / "gate.db") as directory:
        apply_delta(directory, _delta(1, lookalike=True, full=True))
        # Locally the two residents are far apart: the gate alone would flag nobody.
        gallery = Gallery([("r-1", np.array([1.0, 0.0], np.float32)),
                           ("r-2", np.array([0.0, 1.0], np.float32))], metric="cosine")
        flag_lookalikes(directory, gallery, threshold=0.4)
        assert directory.person("r-1").lookalike_flag
        assert not directory.person("r-2").lookalike_flag
        apply_delta(directory, _delta(2, lookalike=False))
        flag_lookalikes(directory, gallery, threshold=0.4)
        assert not directory.person("r-1").lookalike_flag
