"""Plain, immutable data the policy engine reads and returns.

Times are timezone-aware datetimes (the clock gives UTC); weekly schedules are in the
community's local time and carry their own IANA zone. Personal data is kept to what
a gate needs: a display name and a unit, never ID or phone numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gate.errors import GateError
from gate.policy.reasons import ReasonCode
from gate.privacy import looks_like_identifier
from wire.plates import normalise_plate

DEFAULT_TIMEZONE = "Asia/Shanghai"
MINUTES_PER_DAY = 24 * 60
MAX_ID_LENGTH = 64


class PolicyError(GateError, ValueError):
    """Directory or request data that the policy cannot use (bad times, ids, windows)."""


class PersonKind(StrEnum):
    """Residents hold standing access through groups; visitors hold a window and entries."""

    RESIDENT = "resident"
    VISITOR = "visitor"


class CredentialKind(StrEnum):
    """What was presented at the gate."""

    FACE = "face"
    CARD = "card"
    PIN = "pin"
    PLATE = "plate"
    EXIT_BUTTON = "exit_button"


class MatchOutcome(StrEnum):
    """What the recogniser (face or plate) or reader concluded before policy ran."""

    MATCHED = "matched"
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"
    LOW_QUALITY = "low_quality"


def _require_id(value: str, what: str) -> None:
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise PolicyError(f"{what} must be a non-empty string of at most {MAX_ID_LENGTH} chars")


def _require_aware(value: datetime | None, what: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise PolicyError(f"{what} must be timezone-aware (the clock gives UTC)")


def _require_order(start: datetime | None, end: datetime | None, what: str) -> None:
    if start is not None and end is not None and end <= start:
        raise PolicyError(f"{what}: valid_until must be after valid_from")


@dataclass(frozen=True)
class Person:
    """A resident or visitor. Validity is [valid_from, valid_until); None means unbounded."""

    person_id: str
    display_name: str
    unit: str
    kind: PersonKind = PersonKind.RESIDENT
    groups: tuple[str, ...] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    enabled: bool = True
    lookalike_flag: bool = False

    def __post_init__(self) -> None:
        _require_id(self.person_id, "person_id")
        if looks_like_identifier(self.display_name) or looks_like_identifier(self.unit):
            # Data minimisation: an ID or phone number must never end up on a gate.
            raise PolicyError("display_name and unit must not hold ID or phone numbers")
        object.__setattr__(self, "kind", PersonKind(self.kind))
        object.__setattr__(self, "groups", tuple(self.groups))
        _require_aware(self.valid_from, "valid_from")
        _require_aware(self.valid_until, "valid_until")
        _require_order(self.valid_from, self.valid_until, f"person {self.person_id}")


@dataclass(frozen=True)
class Group:
    """Residents sharing one weekly schedule (e.g. `residents`, `cleaners-weekday`)."""

    group_id: str
    schedule_id: str

    def __post_init__(self) -> None:
        _require_id(self.group_id, "group_id")
        _require_id(self.schedule_id, "schedule_id")


Window = tuple[int, int]


@dataclass(frozen=True)
class WeeklySchedule:
    """Allowed local-time windows per weekday (index 0 = Monday).

    A window is (start_minute, end_minute) after local midnight, end exclusive. A window
    whose end is not after its start runs past midnight: (22*60, 6*60) on Friday allows
    Friday 22:00 to Saturday 06:00. Use (0, 1440) for a whole day.
    """

    schedule_id: str
    windows: tuple[tuple[Window, ...], ...]
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        _require_id(self.schedule_id, "schedule_id")
        days = tuple(tuple((int(s), int(e)) for s, e in day) for day in self.windows)
        if len(days) != 7:
            raise PolicyError(f"schedule {self.schedule_id}: needs 7 weekdays, got {len(days)}")
        for day in days:
            for start, end in day:
                if not (0 <= start < MINUTES_PER_DAY and 0 <= end <= MINUTES_PER_DAY):
                    raise PolicyError(
                        f"schedule {self.schedule_id}: window ({start}, {end}) is outside a day"
                    )
                if start == end:
                    raise PolicyError(
                        f"schedule {self.schedule_id}: empty window ({start}, {end}); "
                        "use (0, 1440) for a whole day"
                    )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise PolicyError(f"schedule {self.schedule_id}: unknown time zone") from err
        object.__setattr__(self, "windows", days)

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone (ZoneInfo caches instances, so this is cheap)."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Visitor:
    """A visitor's pass: a time window [valid_from, valid_until) and a number of entries."""

    person_id: str
    host_unit: str
    valid_from: datetime
    valid_until: datetime
    max_entries: int = 1
    entries_used: int = 0

    def __post_init__(self) -> None:
        _require_id(self.person_id, "person_id")
        if looks_like_identifier(self.host_unit):
            raise PolicyError("host_unit must not hold ID or phone numbers")
        _require_aware(self.valid_from, "valid_from")
        _require_aware(self.valid_until, "valid_until")
        _require_order(self.valid_from, self.valid_until, f"visitor {self.person_id}")
        if self.max_entries < 1 or self.entries_used < 0:
            raise PolicyError("max_entries must be >= 1 and entries_used >= 0")


@dataclass(frozen=True)
class BlacklistEntry:
    """A person or a licence plate to deny; `alarm` also alerts the guard."""

    person_id: str | None = None
    plate: str | None = None
    reason: str = ""
    alarm: bool = True

    def __post_init__(self) -> None:
        if (self.person_id is None) == (self.plate is None):
            raise PolicyError("a blacklist entry names exactly one of person_id or plate")
        if self.person_id is not None:
            _require_id(self.person_id, "person_id")
        if self.plate is not None:
            plate = normalise_plate(self.plate)
            _require_id(plate, "plate")
            object.__setattr__(self, "plate", plate)

    @property
    def key(self) -> str:
        """Unique key of the entry: `person:<id>` or `plate:<plate>`."""
        return f"person:{self.person_id}" if self.person_id is not None else f"plate:{self.plate}"


@dataclass(frozen=True)
class Vehicle:
    """A registered plate: a household's car (`unit`), usually a person's (`person_id`).

    A vehicle with a person follows that person's access (enabled, dates, visitor window,
    schedules); one with only a unit is a household car and is admitted as a resident's.
    """

    plate: str
    person_id: str | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        plate = normalise_plate(self.plate)
        _require_id(plate, "plate")
        object.__setattr__(self, "plate", plate)
        if self.person_id is not None:
            _require_id(self.person_id, "person_id")
        if looks_like_identifier(self.unit):
            raise PolicyError("unit must not hold ID or phone numbers")


class VehicleDirection(StrEnum):
    """Which way a vehicle lane lets cars through."""

    ENTRY = "entry"
    EXIT = "exit"


@dataclass(frozen=True)
class AccessRequest:
    """One attempt at a gate, after recognition and liveness have run.

    `subject` is the identified person (None when nobody was identified). `match` says
    what the recogniser or reader concluded; None means MATCHED when a subject is given
    and NO_MATCH otherwise. `liveness_passed` is required True for face credentials.
    `second_factor_present` means the caller has checked that the other factor of the
    *same* person was presented too (a card/PIN for a face, the face for a card/PIN; see
    `gate.pairing`). `evidence` (distance, margin, frames used, liveness result,
    ...) is carried into the decision unchanged; the key "policy" is reserved.
    """

    gate_id: str
    now: datetime
    credential: CredentialKind
    subject: str | None = None
    second_factor_present: bool = False
    evidence: Mapping[str, Any] = field(default_factory=dict)
    match: MatchOutcome | None = None
    liveness_passed: bool | None = None
    plate: str | None = None
    direction: VehicleDirection = VehicleDirection.ENTRY

    def __post_init__(self) -> None:
        _require_aware(self.now, "now")
        object.__setattr__(self, "credential", CredentialKind(self.credential))
        if self.credential is CredentialKind.EXIT_BUTTON and self.subject is not None:
            raise PolicyError("an exit-button request has no subject")
        if self.plate is not None:
            object.__setattr__(self, "plate", normalise_plate(self.plate))
        object.__setattr__(self, "direction", VehicleDirection(self.direction))
        if (self.credential is CredentialKind.PLATE and not self.plate
                and self.match is not MatchOutcome.LOW_QUALITY):
            raise PolicyError("a plate request carries the plate it read")

    @property
    def outcome(self) -> MatchOutcome:
        """The match outcome, resolving the None default."""
        if self.match is not None:
            return MatchOutcome(self.match)
        return MatchOutcome.MATCHED if self.subject is not None else MatchOutcome.NO_MATCH


@dataclass(frozen=True)
class Decision:
    """The policy's answer: grant or deny, one reason code, and the evidence behind it."""

    granted: bool
    reason: ReasonCode
    subject: str | None
    alarm: bool
    evidence: dict[str, Any]

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form for the event log."""
        return {
            "granted": self.granted,
            "reason": self.reason.value,
            "subject": self.subject,
            "alarm": self.alarm,
            "evidence": self.evidence,
        }


def _index(items: Iterable[Any], key: str) -> Mapping[str, Any]:
    return MappingProxyType({getattr(item, key): item for item in items})


@dataclass(frozen=True)
class DirectorySnapshot:
    """An immutable view of the directory at one `version`; what `decide()` reads."""

    people: Mapping[str, Person]
    groups: Mapping[str, Group]
    schedules: Mapping[str, WeeklySchedule]
    visitors: Mapping[str, Visitor]
    blacklist: tuple[BlacklistEntry, ...]
    version: int = 0
    vehicles: Mapping[str, Vehicle] = field(default_factory=lambda: MappingProxyType({}))
    _blacklist_index: Mapping[str, BlacklistEntry] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "blacklist", tuple(self.blacklist))
        object.__setattr__(self, "_blacklist_index", _index(self.blacklist, "key"))

    @classmethod
    def of(
        cls,
        people: Iterable[Person] = (),
        groups: Iterable[Group] = (),
        schedules: Iterable[WeeklySchedule] = (),
        visitors: Iterable[Visitor] = (),
        blacklist: Iterable[BlacklistEntry] = (),
        version: int = 0,
        vehicles: Iterable[Vehicle] = (),
    ) -> DirectorySnapshot:
        """Build a snapshot from lists, indexing each by its id."""
        return cls(
            people=_index(people, "person_id"),
            groups=_index(groups, "group_id"),
            schedules=_index(schedules, "schedule_id"),
            visitors=_index(visitors, "person_id"),
            blacklist=tuple(blacklist),
            version=version,
            vehicles=_index(vehicles, "plate"),
        )

    def blacklist_entry(
        self, person_id: str | None, plate: str | None = None
    ) -> BlacklistEntry | None:
        """The entry naming this person or plate, if any (person first)."""
        if person_id is not None:
            entry = self._blacklist_index.get(f"person:{person_id}")
            if entry is not None:
                return entry
        if plate is not None:
            return self._blacklist_index.get(f"plate:{normalise_plate(plate)}")
        return None
