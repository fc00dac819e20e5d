"""Measured open-set results on the dev set's East-Asian identities, per recogniser.

Refreshed by hand from `gate eval faces ../shared/data/faces --json --recogniser NAME`
(key `open_set_east_asian`); `gate check-config` quotes them so nobody deploys face-only
entry without knowing the risk.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EastAsianResult:
    """Stranger-accept rate at a recogniser's default operating point."""

    stranger_accept_rate: float
    correct_accept_rate: float
    unsafe_face_only: bool
    protocol: str = "14 ea_ identities, first photo of every second one enrolled"
    command: str = "gate eval faces ../shared/data/faces --json"


EAST_ASIAN_STRANGER_ACCEPT: dict[str, EastAsianResult] = {
    # 2 of 21 East-Asian stranger probes accepted at 0.40/0.05; 21 of 21 at dlib's usual 0.6.
    "dlib": EastAsianResult(0.10, 0.64, unsafe_face_only=True),
    # 0 of 21; a small sample (one false accept is 5 points): confirm on unseen people.
    "sface": EastAsianResult(0.00, 0.71, unsafe_face_only=False),
}
