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
