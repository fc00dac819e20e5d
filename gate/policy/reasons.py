"""Reason codes: why a request was granted or denied, one code per decision.

The values are stable strings: they are written into the event log and sent to the
aggregator, so renaming one is a wire-format change.
"""

from __future__ import annotations

from enum import StrEnum


class ReasonCode(StrEnum):
    """Why an access decision came out the way it did."""

    GRANTED_RESIDENT = "granted_resident"
    GRANTED_VISITOR = "granted_visitor"
    GRANTED_EXIT_BUTTON = "granted_exit_button"
    GRANTED_VEHICLE_EXIT = "granted_vehicle_exit"

    DENIED_UNKNOWN_FACE = "denied_unknown_face"
    DENIED_UNKNOWN_CREDENTIAL = "denied_unknown_credential"
    DENIED_AMBIGUOUS = "denied_ambiguous"
    DENIED_QUALITY = "denied_quality"
    DENIED_LIVENESS_FAILED = "denied_liveness_failed"
    DENIED_BLACKLISTED = "denied_blacklisted"
    DENIED_SECOND_FACTOR_REQUIRED = "denied_second_factor_required"
    DENIED_FACE_REQUIRED = "denied_face_required"
    DENIED_DISABLED = "denied_disabled"
    DENIED_NOT_YET_VALID = "denied_not_yet_valid"
    DENIED_EXPIRED = "denied_expired"
    DENIED_VISITOR_WINDOW = "denied_visitor_window"
    DENIED_VISITOR_ENTRIES_USED = "denied_visitor_entries_used"
    DENIED_OUTSIDE_SCHEDULE = "denied_outside_schedule"
    DENIED_UNKNOWN_VEHICLE = "denied_unknown_vehicle"
    DENIED_PLATE_NEAR_MISS = "denied_plate_near_miss"


_ALARMING = frozenset({ReasonCode.DENIED_BLACKLISTED})
# Denials a guard should act on at once (issue a temporary pass, check a near-miss plate).
_GUARD_PROMPTS = frozenset({ReasonCode.DENIED_UNKNOWN_VEHICLE, ReasonCode.DENIED_PLATE_NEAR_MISS})

_TEXT: dict[ReasonCode, str] = {
    ReasonCode.GRANTED_RESIDENT: "Resident admitted",
    ReasonCode.GRANTED_VISITOR: "Visitor admitted",
    ReasonCode.GRANTED_EXIT_BUTTON: "Exit button pressed",
    ReasonCode.GRANTED_VEHICLE_EXIT: "Registered vehicle leaving",
    ReasonCode.DENIED_UNKNOWN_FACE: "Face not recognised",
    ReasonCode.DENIED_UNKNOWN_CREDENTIAL: "Card, PIN or plate not recognised",
    ReasonCode.DENIED_AMBIGUOUS: "Face too close to more than one person",
    ReasonCode.DENIED_QUALITY: "Face image too poor to decide",
    ReasonCode.DENIED_LIVENESS_FAILED: "Liveness not proven (photo or screen?)",
    ReasonCode.DENIED_BLACKLISTED: "Blacklisted",
    ReasonCode.DENIED_SECOND_FACTOR_REQUIRED: "Card or PIN needed as well as the face",
    ReasonCode.DENIED_FACE_REQUIRED: "Face needed as well as the card or PIN",
    ReasonCode.DENIED_DISABLED: "Access disabled",
    ReasonCode.DENIED_NOT_YET_VALID: "Access not yet valid",
    ReasonCode.DENIED_EXPIRED: "Access expired",
    ReasonCode.DENIED_VISITOR_WINDOW: "Outside the visitor's time window",
    ReasonCode.DENIED_VISITOR_ENTRIES_USED: "Visitor has used all entries",
    ReasonCode.DENIED_OUTSIDE_SCHEDULE: "Outside the group's schedule",
    ReasonCode.DENIED_UNKNOWN_VEHICLE: "Vehicle not registered: guard may issue a pass",
    ReasonCode.DENIED_PLATE_NEAR_MISS: "Plate one character off a registered one: guard to check",
}


def is_grant(reason: ReasonCode) -> bool:
    """True for the codes that open the door."""
    return reason.value.startswith("granted_")


def is_alarm(reason: ReasonCode) -> bool:
    """True for the codes that raise an alarm to the guard by default (the blacklist)."""
    return reason in _ALARMING


def needs_guard(reason: ReasonCode) -> bool:
    """True for denials that prompt the guard to act (unknown vehicle, near-miss plate)."""
    return reason in _GUARD_PROMPTS


def describe(reason: ReasonCode) -> str:
    """A short English sentence for the guard UI."""
    return _TEXT[reason]
