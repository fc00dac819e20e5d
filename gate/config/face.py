"""Face section: detection, quality gates, recogniser plug-in, agreement and liveness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RecogniserConfig(BaseModel):
    """Which face recogniser plug-in to use and its operating point."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["dlib", "sface"] = Field(
        "sface", description="`dlib` (face_recognition's ResNet) or `sface` (OpenCV Zoo SFace)."
    )
    threshold: float | None = Field(
        None, gt=0, le=2, description="Match distance threshold; None = the recogniser's default."
    )
    margin: float | None = Field(
        None, ge=0, le=2,
        description="Required distance gap to the second-best identity; None = default.",
    )
    person_threshold_ratio: float | None = Field(
        None, gt=0, le=1,
        description="If set, each resident's threshold is min(threshold, ratio x distance to "
        "the nearest other resident); None = one global threshold (the measured default).",
    )


class LivenessConfig(BaseModel):
    """Presentation-attack check before a face grant."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["landmark_motion", "none"] = Field(
        "landmark_motion", description="Liveness plug-in; `none` only for tests and kiosks."
    )
    max_seconds: float = Field(
        3.0, gt=0, le=3.0, description="Give up and deny when liveness is unproven after this."
    )
    min_eye_distance_px: float = Field(
        24.0, ge=8, le=400,
        description="Faces with eyes closer than this (full-frame px) give no liveness evidence.",
    )
    evidence_frames: int = Field(
        2, ge=1, le=10,
        description="Frames of confirmed non-rigid motion needed before a face counts as live.",
    )


class FaceConfig(BaseModel):
    """Face pipeline settings for a pedestrian gate."""

    model_config = ConfigDict(extra="forbid")

    detect_width_px: int = Field(
        480, ge=160, le=1920, description="Frames are downscaled to this width for detection."
    )
    detect_upsample: int = Field(
        0, ge=0, le=2,
        description="Extra detector upsampling (0 finds faces of 80 px and up; 1 is slower).",
    )
    min_face_px: int = Field(
        80, ge=32, le=1000, description="Smallest face (box height, full-frame px) to recognise."
    )
    min_sharpness: float = Field(
        15.0, ge=0, description="Lowest variance of the Laplacian on the face crop (blur gate)."
    )
    max_yaw_ratio: float = Field(
        0.35, gt=0, le=1,
        description="Largest nose offset from the eye midline, relative to eye distance.",
    )
    agreement_frames: int = Field(
        2, ge=2, le=10, description="Encoded frames that must agree on one identity to grant."
    )
    encode_every_frames: int = Field(
        2, ge=1, le=30, description="Frames between two encodings of the same tracked face."
    )
    recogniser: RecogniserConfig = Field(default_factory=RecogniserConfig)
    liveness: LivenessConfig = Field(default_factory=LivenessConfig)
    face_only_allowed: bool = Field(
        True,
        description="Grant on a face alone. Unsafe with dlib for East-Asian residents: "
        "set false there, and a face then needs the same resident's card/PIN within "
        "`second_factor_window_seconds` (before or after it).",
    )
    card_only_allowed: bool = Field(
        True,
        description="Grant on a card/PIN alone. False (with face_only_allowed false) makes "
        "entry two-factor: face and card/PIN of the same resident, in either order.",
    )
    second_factor_window_seconds: float = Field(
        10.0, ge=1, le=120,
        description="How long a face or card/PIN refused alone waits for its partner.",
    )
