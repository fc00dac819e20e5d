"""Storage section: the gate's data folder, event log and snapshot retention."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class StorageConfig(BaseModel):
    """Where the gate keeps its SQLite database and snapshots."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(Path("var/gate"), description="Folder for gate.db and snapshots/.")
    snapshot_retention_days: int = Field(
        30, ge=1, le=365, description="Face/plate snapshots are deleted after this many days."
    )
    event_retention_days: int = Field(
        180, ge=180, le=3650, description="Events are kept at least 180 days (GB 50396)."
    )
    snapshot_jpeg_quality: int = Field(
        85, ge=50, le=100, description="JPEG quality (OpenCV scale) of stored face crops."
    )
    snapshot_margin_fraction: float = Field(
        0.2, ge=0.0, le=1.0,
        description="Margin added around the face box on each side, as a fraction of its size.",
    )
    snapshot_max_side_px: int = Field(
        320, ge=64, le=1024,
        description="Face crops are downscaled so their longer side is at most this many pixels.",
    )
