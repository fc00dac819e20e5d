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
    "dlib": EastAsianResult(stranger_accept_rate=0.38, correct_accept_rate=0.71, unsafe_face_only=True),
}
