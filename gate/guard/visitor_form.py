"""Checking a visitor registration form: every problem as (field, code, English detail).

The codes are what the UI translates (zh-CN/en) and shows beside the field; the detail is
for API users and logs. Nothing here touches storage, so a refused form saves nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from gate.privacy import looks_like_identifier
from wire.plates import validate_plate
from wire.visitors import (
    DISPLAY_NAME_MAX,
    GUARDIAN_NAME_MAX,
    HOST_UNIT_MAX,
    MAX_VISIT,
    MAX_VISIT_ENTRIES,
    PHONE_PATTERN,
    PURPOSE_MAX,
)

PHONE = re.compile(PHONE_PATTERN)
MAX_WINDOW = MAX_VISIT
MAX_ENTRIES = MAX_VISIT_ENTRIES
NAME_CHARS = 40
"""A name on the screen (visitor's or guardian's); the wire allows more, never less."""
PURPOSE_CHARS = 100


class VisitorForm(BaseModel):
    """What the registration screen sends; every field is checked by `check_form`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=DISPLAY_NAME_MAX)
    phone: str = Field("", max_length=40)
    host_unit: str = Field("", max_length=HOST_UNIT_MAX)
    purpose: str = Field("", max_length=PURPOSE_MAX)
    valid_from: str | None = Field(None, max_length=40, description="ISO time; default now.")
    valid_until: str | None = Field(None, max_length=40,
                                    description="ISO time; default the end of today.")
    max_entries: int | str = Field(1, description="1 to 20.")
    plate: str | None = Field(None, max_length=20)
    credential: str = Field("face", description="`face` (captured at the gate) or `pass` (PIN).")
    capture_id: str | None = Field(None, max_length=64)
    consent: bool = Field(False, description="The visitor agreed to face use (face only).")
    minor: bool = Field(False, description="The visitor is under 14.")
    guardian_name: str | None = Field(None, max_length=GUARDIAN_NAME_MAX)
    guardian_consent: bool = Field(False, description="The guardian agreed (under 14).")


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: str
    detail: str


@dataclass(frozen=True)
class CheckedVisitor:
    """A form that passed every check, with times resolved and the plate normalised."""

    name: str
    phone: str
    host_unit: str
    purpose: str
    valid_from: datetime
    valid_until: datetime
    max_entries: int
    plate: str | None
    credential: str
    capture_id: str | None
    minor: bool
    guardian_name: str | None


class FormError(ValueError):
    """The form was refused; `problems` lists each field's reason."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.detail}" for p in problems))
        self.problems = problems


def end_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight after `now` in the community's time zone (a pass's default end)."""
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)


def _time(text: str | None, zone: ZoneInfo) -> datetime | None:
    """An ISO time; one without an offset (a datetime-local field) is local time."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _text(problems: list[FieldProblem], field: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        problems.append(FieldProblem(field, "required", f"{field} is required"))
    elif len(value) > limit:
        problems.append(FieldProblem(field, "too_long", f"{field} is at most {limit} characters"))
    return value


def check_form(form: VisitorForm, now: datetime, zone: ZoneInfo, known_units: set[str],
               registered_plates: set[str] | frozenset[str] = frozenset()) -> CheckedVisitor:
    """The checked registration, or FormError listing every problem at once.

    `registered_plates` are plates this gate already knows: a visitor's car must not take
    over a resident's (or another visitor's) plate.
    """
    problems: list[FieldProblem] = []
    name = _text(problems, "name", form.name, NAME_CHARS)
    if name and looks_like_identifier(name):
        problems.append(FieldProblem("name", "name_has_number",
                                     "a name must not hold an ID or phone number"))
    phone = re.sub(r"[\s()]", "", form.phone)
    if not phone:
        problems.append(FieldProblem("phone", "required", "phone is required"))
    elif not PHONE.match(phone):
        problems.append(FieldProblem("phone", "phone_format",
                                     "a mobile number has 11 digits starting with 1; a landline "
                                     "starts with its area code"))
    unit = _text(problems, "host_unit", form.host_unit, HOST_UNIT_MAX)
    if unit and unit not in known_units:
        problems.append(FieldProblem("host_unit", "unit_unknown",
                                     "no resident lives in this unit"))
    purpose = _text(problems, "purpose", form.purpose, PURPOSE_CHARS)
    start = end = None
    for field in ("valid_from", "valid_until"):
        raw = getattr(form, field)
        if raw is None or not raw.strip():
            continue
        try:
            parsed = _time(raw, zone)
        except ValueError:
            problems.append(FieldProblem(field, "time_format", f"{field} is not a date and time"))
            continue
        if field == "valid_from":
            start = parsed
        else:
            end = parsed
    start = start or now
    end = end or end_of_day(max(start, now), zone)
    if not any(p.field.startswith("valid_") for p in problems):
        if end <= start:
            problems.append(FieldProblem("valid_until", "window_order",
                                         "the pass must end after it starts"))
        elif end <= now:
            problems.append(FieldProblem("valid_until", "window_past",
                                         "the pass would already have ended"))
        elif end - start > MAX_WINDOW:
            problems.append(FieldProblem("valid_until", "window_too_long",
                                         "a visitor pass lasts at most 7 days"))
    entries = 0
    try:
        entries = int(form.max_entries)
    except (TypeError, ValueError):
        pass
    if not 1 <= entries <= MAX_ENTRIES:
        problems.append(FieldProblem("max_entries", "max_entries_range",
                                     f"entries must be a whole number from 1 to {MAX_ENTRIES}"))
    plate = None
    if form.plate and form.plate.strip():
        try:
            plate = validate_plate(form.plate)
        except ValueError as err:
            problems.append(FieldProblem("plate", "plate_format", str(err)))
        if plate is not None and plate in registered_plates:
            problems.append(FieldProblem("plate", "plate_registered",
                                         "this plate is registered to someone else"))
    if form.credential not in ("face", "pass"):
        problems.append(FieldProblem("credential", "credential_kind",
                                     "choose a face or a PIN pass"))
    guardian = (form.guardian_name or "").strip() or None
    if guardian is not None:
        if len(guardian) > NAME_CHARS:
            problems.append(FieldProblem("guardian_name", "too_long",
                                         f"guardian_name is at most {NAME_CHARS} characters"))
        elif looks_like_identifier(guardian):
            problems.append(FieldProblem("guardian_name", "name_has_number",
                                         "a name must not hold an ID or phone number"))
    if form.credential == "face":
        if not form.consent:
            problems.append(FieldProblem("consent", "consent_required",
                                         "the visitor must agree to the use of their face"))
        if form.minor and (guardian is None or not form.guardian_consent):
            problems.append(FieldProblem("guardian_name", "guardian_required",
                                         "a visitor under 14 needs a guardian's name and "
                                         "consent"))
        if not form.capture_id:
            problems.append(FieldProblem("capture", "capture_required",
                                         "capture the visitor's face first"))
    if problems:
        raise FormError(problems)
    return CheckedVisitor(name, phone, unit, purpose, start, end, entries, plate,
                          form.credential, form.capture_id, form.minor, guardian)
