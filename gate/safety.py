"""Plain-language warnings about a config's safety, printed by `gate check-config` and at start."""

from __future__ import annotations

from gate.config import GateConfig
from gate.vision.recognisers.measured import EAST_ASIAN_STRANGER_ACCEPT


def config_warnings(config: GateConfig) -> list[str]:
    """Every safety caveat that applies to `config`, one sentence each."""
    if config.kind == "vehicle":
        return _vehicle_warnings(config)
    warnings = []
    face = config.face
    recogniser = face.recogniser.type
    measured = EAST_ASIAN_STRANGER_ACCEPT.get(recogniser)
    custom = face.recogniser.threshold is not None or face.recogniser.margin is not None
    if measured is not None:
        rate = f"{measured.stranger_accept_rate:.0%}"
        note = " (at the default threshold and margin; yours differ, re-measure)" if custom else ""
        sentence = (
            f"recogniser `{recogniser}` accepted {rate} of East-Asian strangers as a resident on "
            f"the dev set ({measured.protocol}; `{measured.command}`){note}."
        )
        if measured.unsafe_face_only:
            if face.face_only_allowed:
                warnings.append(
                    sentence + " Face-only entry is UNSAFE with this recogniser for East-Asian "
                    "residents: use face.recogniser.type: sface, or set "
                    "face.face_only_allowed: false so that entry needs the resident's card/PIN "
                    "(the face alone is then refused)."
                )
        else:
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
