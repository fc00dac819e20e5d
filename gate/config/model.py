"""The whole gate configuration."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gate.config.camera import CameraConfig
from gate.config.door import DoorConfig
from gate.config.face import FaceConfig
from gate.config.guard_ui import GuardUiConfig
from gate.config.http import HttpConfig
from gate.config.plate import PlateConfig
from gate.config.storage import StorageConfig
from gate.config.uplink import UplinkConfig


class LoggingConfig(BaseModel):
    """Structured logging to stderr."""

    model_config = ConfigDict(extra="forbid")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_format: bool = Field(True, description="One JSON object per line (for journald).")


class GateConfig(BaseModel):
    """One gate: its identity, camera, face or plate pipeline, door and storage."""

    model_config = ConfigDict(extra="forbid")

    gate_id: str = Field(
        ..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
        description="Unique id of this gate within the community, e.g. `north-ped-1`.",
    )
    kind: Literal["pedestrian", "vehicle"] = Field(
        "pedestrian", description="`pedestrian`: a door opened by faces (and cards/PINs); "
        "`vehicle`: a barrier lifted by licence plates.")
    camera: CameraConfig = Field(default_factory=CameraConfig)
    face: FaceConfig = Field(default_factory=FaceConfig)
    plate: PlateConfig = Field(default_factory=PlateConfig)
    door: DoorConfig = Field(default_factory=DoorConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    uplink: UplinkConfig = Field(default_factory=UplinkConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    guard_ui: GuardUiConfig = Field(default_factory=GuardUiConfig)
