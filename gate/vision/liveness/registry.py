"""Build the configured liveness plug-in (`face.liveness.type`)."""

from __future__ import annotations

from collections.abc import Callable

from gate.config.face import LivenessConfig
from gate.errors import ConfigError
from gate.vision.liveness.base import LivenessCheck, NoLiveness
from gate.vision.liveness.landmark_motion import LandmarkMotionCheck, MotionThresholds


def _landmark_motion(config: LivenessConfig) -> LivenessCheck:
    return LandmarkMotionCheck(MotionThresholds(
        min_iod_px=config.min_eye_distance_px,
        evidence_frames=config.evidence_frames,
        max_seconds=config.max_seconds,
    ))


def _none(config: LivenessConfig) -> LivenessCheck:
    return NoLiveness()


# One entry per plug-in; an IR or depth check adds its module and a line here.
LIVENESS_TYPES: dict[str, Callable[[LivenessConfig], LivenessCheck]] = {
    "landmark_motion": _landmark_motion,
    "none": _none,
}


def create_liveness(config: LivenessConfig) -> LivenessCheck:
    """The liveness check named by `config.type`, set up from `config`."""
    try:
        factory = LIVENESS_TYPES[config.type]
    except KeyError as err:
        raise ConfigError(f"unknown liveness type {config.type!r}") from err
    return factory(config)
