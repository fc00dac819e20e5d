"""A visitor registered on a gate's guard screen, as the gate sends it to the aggregator.

The only message that carries a phone number: it is stored centrally and never synced back
down to gates. A face template travels only with the consent record it was taken under.
A registration still queued when its visit ended travels `ended`: without face, consent,
PIN hash or phone, so the aggregator records who came and nothing more.

The form limits of the guard screen are these limits (`gate.guard.visitor_form` imports them),
so a form the gate accepts is a message the aggregator accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from wire.pins import PIN_HASH_PATTERN
from wire.plates import validate_plate
from wire.schemas import WireModel

_ID = r"^[A-Za-z0-9_.:-]{1,64}$"
PHONE_PATTERN = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"
"""A mainland mobile number (11 digits from 13..19) or a landline with its area code."""
DISPLAY_NAME_MAX = 100
GUARDIAN_NAME_MAX = 100
HOST_UNIT_MAX = 64
PURPOSE_MAX = 300
MAX_VISIT = timedelta(days=7)
"""The longest a visitor pass may last."""
MAX_VISIT_ENTRIES = 20
"""The most entries one visitor pass may allow."""


def parse_time(text: str) -> datetime:
    """An ISO-8601 time; one without an offset is taken as UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class VisitorFaceWire(WireModel):
    recogniser: str = Field(..., pattern=r"^[a-z0-9_]{1,32}$")
    vector: list[float] = Field(..., min_length=16, max_length=1024)
    source_sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$")


class VisitorConsentWire(WireModel):
    consent_id: int | None = None
    consented_by: Literal["visitor", "guardian"]
    minor: bool = False
    guardian_name: str | None = Field(None, max_length=GUARDIAN_NAME_MAX)
    purpose: str = Field(..., min_length=1, max_length=500)


class GateVisitorWire(WireModel):
    """A visitor as the gate registered it (the phone number only ever travels this way)."""

    person_id: str = Field(..., pattern=_ID)
    display_name: str = Field(..., min_length=1, max_length=DISPLAY_NAME_MAX)
    phone: str | None = Field(None, pattern=PHONE_PATTERN,
                              description="Required unless the visit has `ended`.")
    host_unit: str = Field(..., min_length=1, max_length=HOST_UNIT_MAX)
    purpose: str = Field(..., min_length=1, max_length=PURPOSE_MAX)
    valid_from: str = Field(..., max_length=40)
    valid_until: str = Field(..., max_length=40)
    max_entries: int = Field(1, ge=1, le=MAX_VISIT_ENTRIES)
    plate: str | None = Field(None, min_length=7, max_length=16,
                              description="Normalised on receipt (粤b 12345 -> 粤B12345).")
    registered_by: str = Field(..., min_length=1, max_length=64)
    face: VisitorFaceWire | None = None
    consent: VisitorConsentWire | None = None
    pin_hash: str | None = Field(None, pattern=PIN_HASH_PATTERN)
    ended: bool = Field(False, description="The visit ended before delivery: no face, consent, "
                                           "PIN hash or phone travel.")

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str | None) -> str | None:
        return None if value is None else validate_plate(value)

    @model_validator(mode="after")
    def _consistent(self) -> GateVisitorWire:
        try:
            start, end = parse_time(self.valid_from), parse_time(self.valid_until)
        except ValueError as err:
            raise ValueError("valid_from and valid_until must be ISO-8601 times") from err
        if end <= start:
            raise ValueError("valid_until must be after valid_from")
        if end - start > MAX_VISIT:
            raise ValueError("a visitor pass lasts at most 7 days")
        if self.face is not None and self.consent is None:
            raise ValueError("a face template needs the consent record it was taken under")
        if self.consent is not None and self.consent.minor and not self.consent.guardian_name:
            raise ValueError("a visitor under 14 needs the consenting guardian's name")
        if self.ended:
            if any(v is not None for v in (self.face, self.consent, self.pin_hash, self.phone)):
                raise ValueError("an ended visit carries no face, consent, PIN hash or phone")
            return self
        if self.phone is None:
            raise ValueError("phone is required")
        if self.face is None and self.pin_hash is None:
            raise ValueError("a visitor needs a face template or a pass PIN hash")
        return self
