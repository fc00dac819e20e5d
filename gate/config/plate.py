"""Plate section of a vehicle gate: lane direction, recogniser model and agreement rules."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PlateConfig(BaseModel):
    """How a vehicle lane reads plates and when a read counts."""

    model_config = ConfigDict(extra="forbid")

    direction: Literal["entry", "exit"] = Field(
        "entry", description="`entry` lanes apply the full policy; `exit` lanes let every "
        "registered vehicle out (an expired visitor must not be trapped).",
    )
    detector: Literal["classical"] = Field(
        "classical", description="Plate detector plug-in (colour and stroke regions).")
    recogniser_model: str | None = Field(
        None, description="ONNX plate recogniser; None = the one shipped in models/.")
    agreement_frames: int = Field(
        2, ge=1, le=10, description="Frames that must read the same valid plate before a "
        "decision (a stopped or slow car gives many).")
    min_confidence: float = Field(
        0.6, gt=0, le=1,
        description="A read whose weakest character is less sure than this is not counted.")
    max_candidates: int = Field(
        4, ge=1, le=16, description="Plate candidates read per frame, best first.")
    deadline_seconds: float = Field(
        3.0, gt=0, le=30,
        description="A plate in view this long without agreement is logged as unreadable.")
    repeat_seconds: float = Field(
        20.0, ge=0, le=600,
        description="The same plate is not decided again within this time (car at the barrier).")
