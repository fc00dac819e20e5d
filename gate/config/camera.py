"""Camera section: where frames come from and how to reconnect."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CameraConfig(BaseModel):
    """A USB camera index, an RTSP/HTTP URL or a file, read through OpenCV."""

    model_config = ConfigDict(extra="forbid")

    source: int | str = Field(
        0, description="USB camera index (0 = /dev/video0), an rtsp:// or http:// URL, or a path."
    )
    width_px: int = Field(1280, ge=160, le=7680, description="Requested capture width.")
    height_px: int = Field(720, ge=120, le=4320, description="Requested capture height.")
    fps: float = Field(25.0, gt=0, le=120, description="Requested frame rate.")
    reconnect_initial_seconds: float = Field(
        0.5, gt=0, le=60, description="First wait before reopening a lost camera."
    )
    reconnect_max_seconds: float = Field(
        10.0, gt=0, le=600, description="Longest wait between reopen attempts (back-off cap)."
    )
    stale_frame_seconds: float = Field(
        2.0, gt=0, le=60, description="A camera with no new frame for this long counts as lost."
    )
    kind: Literal["opencv", "replay"] = Field(
        "opencv", description="`opencv` for a real camera; `replay` plays files (hw_sim)."
    )
