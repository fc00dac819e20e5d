"""Plain-language warnings about a config's safety, printed by `gate check-config` and at start."""

from __future__ import annotations

from gate.config import GateConfig
from gate.config.face import FaceConfig
from gate.vision.recognisers.measured import EAST_ASIAN_STRANGER_PROBES, east_asian_at
from gate.vision.recognisers.registry import effective_margin, effective_threshold


def config_warnings(config: GateConfig) -> list[str]:
    """Every safety caveat that applies to `config`, one sentence each."""
    return _door_warnings(config) + _factor_warnings(config) + (
        _vehicle_warnings(config) if config.kind == "vehicle" else _face_warnings(config)
    )


def _factor_warnings(config: GateConfig) -> list[str]:
    """Credential settings under which nobody can get in."""
    face = config.face
    has_reader = config.door.backend.type == "osdp"
    if not face.card_only_allowed and config.kind == "vehicle":
        return ["face.card_only_allowed is false at a vehicle gate, which has no face camera: "
                "no card or PIN will ever lift the barrier."]
    if not face.face_only_allowed and not has_reader and config.kind != "vehicle":
        return ["face.face_only_allowed is false but the door backend has no card/PIN reader "
                "(only door.backend.type: osdp has one): no face will ever open this door."]
    return []


def _door_warnings(config: GateConfig) -> list[str]:
    backend = config.door.backend
    if getattr(backend, "install_mode", False):
        return ["door.backend.install_mode is on: a factory-fresh OSDP board on the line may "
                "take a key over the well-known install key. Turn it off once the board is "
                "paired (docs/osdp.md)."]
    return []


def _face_warnings(config: GateConfig) -> list[str]:
    warnings = []
    face = config.face
    sentence, unsafe = _east_asian_sentence(face)
    if unsafe and face.face_only_allowed:
        sentence += (
            " Face-only entry is UNSAFE at this setting for East-Asian residents: use "
            "face.recogniser.type: sface at its default threshold and margin, or set "
            "face.face_only_allowed: false so that a face needs the same resident's card/PIN "
            "as well (presented within face.second_factor_window_seconds)."
        )
    warnings.append(sentence)
    if face.liveness.type == "none":
        warnings.append(
            "liveness is off: a photo of a resident held to the camera opens the door."
        )
    if config.door.fail_mode == "safe":
        warnings.append(
            "door fail mode is `safe`: the door releases on a crash, shutdown or power loss."
        )
    return warnings


def _east_asian_sentence(face: FaceConfig) -> tuple[str, bool]:
    """What the configured recogniser and thresholds were measured to do on East-Asian faces,
    and whether that is unsafe for face-only entry (any stranger accepted, or never measured)."""
    recogniser = face.recogniser
    threshold, margin = effective_threshold(recogniser), effective_margin(recogniser)
    setting = f"recogniser `{recogniser.type}` at threshold {threshold:.2f} / margin {margin:.2f}"
    point = None
    if recogniser.person_threshold_ratio is None:
        point = east_asian_at(recogniser.type, threshold, margin)
    else:
        setting += f" with per-person thresholds (ratio {recogniser.person_threshold_ratio})"
    if point is None:
        return (
            f"{setting} has no measured East-Asian stranger-accept rate: pick a measured "
            "point from `gate eval faces ../shared/data/faces --curve` (0.05 steps, "
            "docs/face-recognition.md) before trusting a face alone.",
            True,
        )
    sentence = (
        f"{setting} accepted {point.stranger_accept_rate:.0%} of East-Asian strangers as a "
        f"resident on the dev set with one photo enrolled per resident and "
        f"{point.stranger_accept_rate_enrol2:.0%} with two (correct accept "
        f"{point.correct_accept_rate:.0%} / {point.correct_accept_rate_enrol2:.0%}; "
        f"{EAST_ASIAN_STRANGER_PROBES} stranger photos, so one accept is 5 points; "
        "`gate eval faces ../shared/data/faces --json`, curves: `--curve`)."
    )
    unsafe = max(point.stranger_accept_rate, point.stranger_accept_rate_enrol2) > 0.01
    return sentence, unsafe


def _vehicle_warnings(config: GateConfig) -> list[str]:
    warnings = [
        "a licence plate identifies a car, not its driver: a cloned plate of a registered "
        "car is admitted like the original; keep the guard watching the lane's live view, "
        "review near-miss prompts, and run an exit lane so that the aggregator can flag a "
        "plate let in twice (plate_clone_suspected)."
    ]
    if config.plate.agreement_frames < 2:
        warnings.append("plate.agreement_frames is 1: a single misread frame can lift the "
                        "barrier for a registered plate one character away.")
    if config.door.fail_mode == "safe":
        warnings.append(
            "barrier fail mode is `safe`: the barrier lifts on a crash, shutdown or power loss."
        )
    return warnings
