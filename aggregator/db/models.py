"""SQLAlchemy 2 tables of the aggregator (Alembic migrations are generated from these).

Times are ISO-8601 UTC strings in one fixed format (``YYYY-MM-DDTHH:MM:SS.mmmZ``), so they sort
and compare the same way on SQLite and PostgreSQL and match the wire format byte for byte.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for 1e9+ events.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Event(Base):
    """One gate event as received; the wire fields plus what the console filters on."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    gate_id: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[str] = mapped_column(String(24))
    type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[str] = mapped_column(Text)
    snapshot_ref: Mapped[str | None] = mapped_column(String(200))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[str] = mapped_column(String(24))
    unit: Mapped[str | None] = mapped_column(String(64))
    plate: Mapped[str | None] = mapped_column(String(16))
    chain_ok: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        Index("ix_events_occurred", "occurred_at"),
        Index("ix_events_gate_occurred", "gate_id", "occurred_at"),
        Index("ix_events_gate_sequence", "gate_id", "sequence"),
        Index("ix_events_subject_occurred", "subject", "occurred_at"),
        # Partial (migration 0005): most rows have no plate or unit and write neither index.
        Index("ix_events_unit_occurred", "unit", "occurred_at",
              postgresql_where=text("unit IS NOT NULL"), sqlite_where=text("unit IS NOT NULL")),
        Index("ix_events_plate_occurred", "plate", "occurred_at",
              postgresql_where=text("plate IS NOT NULL"),
              sqlite_where=text("plate IS NOT NULL")),
        Index("ix_events_type_occurred", "type", "occurred_at"),
    )


class Gate(Base):
    """A registered gate, its credential (SHA-256 of a 256-bit token) and ingest state."""

    __tablename__ = "gates"

    gate_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    credential_hash: Mapped[str] = mapped_column(String(64), unique=True)
    registered_at: Mapped[str] = mapped_column(String(24))
    revoked_at: Mapped[str | None] = mapped_column(String(24))
    last_seen: Mapped[str | None] = mapped_column(String(24))
    last_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str | None] = mapped_column(String(64))
    offline_alarmed: Mapped[bool] = mapped_column(Boolean, default=False)


class SequenceGap(Base):
    """Sequences of a gate that never arrived (closed when they turn up later)."""

    __tablename__ = "sequence_gaps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gate_id: Mapped[str] = mapped_column(String(64), index=True)
    from_sequence: Mapped[int] = mapped_column(BigInteger)
    to_sequence: Mapped[int] = mapped_column(BigInteger)
    detected_at: Mapped[str] = mapped_column(String(24))
    closed_at: Mapped[str | None] = mapped_column(String(24))


class Alarm(Base):
    """Something a security person must look at and acknowledge."""

    __tablename__ = "alarms"

    alarm_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    gate_id: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[str] = mapped_column(String(24), index=True)
    acked_by: Mapped[str | None] = mapped_column(String(64))
    acked_at: Mapped[str | None] = mapped_column(String(24))


class Snapshot(Base):
    """An uploaded face-crop JPEG, keyed like the gate keys it."""

    __tablename__ = "snapshots"

    gate_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    stored_at: Mapped[str] = mapped_column(String(24), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)


class User(Base):
    """A console user; the password is an argon2id hash."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[str] = mapped_column(String(24))


class Session(Base):
    """A console session; only the SHA-256 of the cookie value is stored."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"))
    created_at: Mapped[str] = mapped_column(String(24))
    expires_at: Mapped[str] = mapped_column(String(24), index=True)


class AuditEntry(Base):
    """Who searched, exported or changed what, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String(24), index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    result_count: Mapped[int | None] = mapped_column(Integer)


class Resident(Base):
    """A person known to the community (resident or visitor)."""

    __tablename__ = "residents"

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="resident")
    groups_json: Mapped[str] = mapped_column(Text, default="[]")
    valid_from: Mapped[str | None] = mapped_column(String(40))
    valid_until: Mapped[str | None] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    lookalike_of_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")


class Consent(Base):
    """The record that a person agreed to face enrolment (GB/T 35273: explicit consent)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[str] = mapped_column(String(24))
    photo_sha256: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(Text)
    minor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    guardian_name: Mapped[str | None] = mapped_column(String(100))


class FaceTemplate(Base):
    """A face embedding computed centrally from an uploaded photo (the photo is not kept)."""

    __tablename__ = "face_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(
        ForeignKey("residents.person_id", ondelete="CASCADE"), index=True
    )
    recogniser: Mapped[str] = mapped_column(String(32))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    source_sha256: Mapped[str] = mapped_column(String(64))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    created_at: Mapped[str] = mapped_column(String(24))


class Vehicle(Base):
    __tablename__ = "vehicles"

    plate: Mapped[str] = mapped_column(String(16), primary_key=True)
    person_id: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(64), default="")


class Card(Base):
    __tablename__ = "cards"

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64))


class BlacklistEntry(Base):
    __tablename__ = "blacklist"

    entry_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    person_id: Mapped[str | None] = mapped_column(String(64))
    plate: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    alarm: Mapped[bool] = mapped_column(Boolean, default=True)


class Schedule(Base):
    __tablename__ = "schedules"

    schedule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    windows_json: Mapped[str] = mapped_column(Text)


class Group(Base):
    __tablename__ = "groups"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    schedule_id: Mapped[str] = mapped_column(String(64))


class Visitor(Base):
    __tablename__ = "visitors"

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host_unit: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[str] = mapped_column(String(40))
    valid_until: Mapped[str] = mapped_column(String(40))
    max_entries: Mapped[int] = mapped_column(Integer, default=1)
    # Registered at a gate (migration 0006); the phone stays here, never synced to gates.
    phone: Mapped[str | None] = mapped_column(String(32))
    purpose: Mapped[str | None] = mapped_column(Text)
    registered_by: Mapped[str | None] = mapped_column(String(64))
    registered_gate: Mapped[str | None] = mapped_column(String(64))


class Pin(Base):
    """A person's PIN as an scrypt hash with the community salt (`wire.pins`); never the PIN.

    Unique: a PIN identifies its holder at a keypad, so two people cannot share one.
    """

    __tablename__ = "pins"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("residents.person_id", ondelete="CASCADE"), primary_key=True
    )
    pin_hash: Mapped[str] = mapped_column(String(100), unique=True)
    set_at: Mapped[str] = mapped_column(String(24))


class DirectorySetting(Base):
    """Community-wide directory values that gates copy, e.g. `pin_salt` (hex)."""

    __tablename__ = "directory_settings"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LoginFailure(Base):
    """One failed console sign-in; the rate limit counts these, so it holds across replicas."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[str] = mapped_column(String(24))

    __table_args__ = (Index("ix_login_failures_key", "username", "address", "failed_at"),)


class DirectoryChange(Base):
    """One central directory change; its id is the directory version gates sync to."""

    __tablename__ = "directory_changes"

    version: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[str] = mapped_column(String(24))
