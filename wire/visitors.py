"""A visitor registered on a gate's guard screen, as the gate sends it to the aggregator.

The only message that carries a phone number: it is stored centrally and never synced back
down to gates. A face template travels only with the consent record it was taken under.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import Field, model_validator

from wire.pins import PIN_HASH_PATTERN
from wire.schemas import WireModel

_ID = r"^[A-Za-z0-9_.:-]{1,64}$"


def _parse_time(text: str) -> datetime:
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
    guardian_name: str | None = Field(None, max_length=100)
    purpose: str = Field(..., min_length=1, max_length=500)


class GateVisitorWire(WireModel):
    """A visitor as the gate registered it (the phone number only ever travels this way)."""

    person_id: str = Field(..., pattern=_ID)
    display_name: str = Field(..., min_length=1, max_length=100)
    phone: str = Field(..., pattern=r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
    host_unit: str = Field(..., min_length=1, max_length=64)
    purpose: str = Field(..., min_length=1, max_length=300)
    valid_from: str = Field(..., max_length=40)
    valid_until: str = Field(..., max_length=40)
    max_entries: int = Field(1, ge=1, le=100)
    plate: str | None = Field(None, min_length=7, max_length=16)
    registered_by: str = Field(..., min_length=1, max_length=64)
    face: VisitorFaceWire | None = None
    consent: VisitorConsentWire | None = None
    pin_hash: str | None = Field(None, pattern=PIN_HASH_PATTERN)

    @model_validator(mode="after")
    def _consistent(self) -> GateVisitorWire:
        try:
            start, end = _parse_time(self.valid_from), _parse_time(self.valid_until)
        except ValueError as err:
            raise ValueError("valid_from and valid_until must be ISO-8601 times") from err
        if end <= start:
            raise ValueError("valid_until must be after valid_from")
        if self.face is not None and self.consent is None:
            raise ValueError("a face template needs the consent record it was taken under")
        if self.consent is not None and self.consent.minor and not self.consent.guardian_name:
            raise ValueError("a visitor under 14 needs the consenting guardian's name")
        if self.face is None and self.pin_hash is None:
            raise ValueError("a visitor needs a face template or a pass PIN hash")
        return self
