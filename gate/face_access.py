"""Turn the face pipeline's outcome into a policy request (the only face-to-policy glue)."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from gate.policy.model import AccessRequest, CredentialKind, MatchOutcome
from gate.vision.face_pipeline import FaceOutcome, OutcomeKind
from gate.vision.types import Box

_MATCH_OF_KIND = {
    OutcomeKind.IDENTIFIED: MatchOutcome.MATCHED,
    OutcomeKind.UNKNOWN: MatchOutcome.NO_MATCH,
    OutcomeKind.AMBIGUOUS: MatchOutcome.AMBIGUOUS,
    OutcomeKind.QUALITY: MatchOutcome.LOW_QUALITY,
}


def face_request(outcome: FaceOutcome, gate_id: str, now: datetime) -> AccessRequest:
    """The access request a tracked face makes.

    A photo attack is reported with the identity it resembles (so a blacklisted person's
    photo still raises the blacklist alarm) and `liveness_passed=False`.
    """
    if outcome.kind == OutcomeKind.SPOOF:
        match = MatchOutcome.MATCHED if outcome.person_id else MatchOutcome.NO_MATCH
        liveness_passed = False
    else:
        match = _MATCH_OF_KIND[outcome.kind]
        liveness_passed = outcome.kind == OutcomeKind.IDENTIFIED
    return AccessRequest(
        gate_id=gate_id,
        now=now,
        credential=CredentialKind.FACE,
        subject=outcome.person_id if match is MatchOutcome.MATCHED else None,
        evidence=dict(outcome.evidence),
        match=match,
        liveness_passed=liveness_passed,
    )


class FaceAccess:
    """Requests and snapshots for a pedestrian gate (what the controller asks of a kind)."""

    credential = CredentialKind.FACE

    def request(self, outcome: FaceOutcome, gate_id: str, now: datetime) -> AccessRequest:
        """See `face_request`."""
        return face_request(outcome, gate_id, now)

    def snapshot(self, outcome: FaceOutcome) -> tuple[np.ndarray, Box | None]:
        """The face crop of the deciding frame."""
        return outcome.frame.image, outcome.box
