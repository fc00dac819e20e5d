"""Turn the plate pipeline's outcome into a policy request (the only plate-to-policy glue)."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from gate.policy.model import AccessRequest, CredentialKind, MatchOutcome, VehicleDirection
from gate.vision.plates.pipeline import READ, PlateOutcome
from gate.vision.types import Box


class PlateAccess:
    """Requests and snapshots for a vehicle lane going one `direction`."""

    credential = CredentialKind.PLATE

    def __init__(self, direction: VehicleDirection) -> None:
        self.direction = direction

    def request(self, outcome: PlateOutcome, gate_id: str, now: datetime) -> AccessRequest:
        """The access request a decided plate makes; an unreadable one is low quality.

        The owner is never named here: the policy looks the plate up itself.
        """
        readable = outcome.kind == READ and outcome.plate is not None
        return AccessRequest(
            gate_id=gate_id, now=now, credential=CredentialKind.PLATE,
            plate=outcome.plate if readable else None,
            match=None if readable else MatchOutcome.LOW_QUALITY,
            # `plate` at the top of the evidence is what the aggregator indexes for search.
            evidence={**outcome.evidence, "plate": outcome.plate if readable else None,
                      "direction": self.direction.value},
            direction=self.direction,
        )

    def snapshot(self, outcome: PlateOutcome) -> tuple[np.ndarray, Box | None]:
        """The plate crop is the evidence kept (not the whole street scene)."""
        return outcome.crop, None
