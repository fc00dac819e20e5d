"""Access policy: a pure function from (request, directory snapshot, settings) to a decision."""

from gate.policy.engine import PolicySettings, decide
from gate.policy.model import (
    AccessRequest,
    BlacklistEntry,
    CredentialKind,
    Decision,
    DirectorySnapshot,
    Group,
    MatchOutcome,
    Person,
    PersonKind,
    PolicyError,
    Vehicle,
    VehicleDirection,
    Visitor,
    WeeklySchedule,
)
from gate.policy.reasons import ReasonCode, describe, is_alarm, is_grant

__all__ = [
    "AccessRequest",
    "BlacklistEntry",
    "CredentialKind",
    "Decision",
    "DirectorySnapshot",
    "Group",
    "MatchOutcome",
    "Person",
    "PersonKind",
    "PolicyError",
    "PolicySettings",
    "ReasonCode",
    "Vehicle",
    "VehicleDirection",
    "Visitor",
    "WeeklySchedule",
    "decide",
    "describe",
    "is_alarm",
    "is_grant",
]
