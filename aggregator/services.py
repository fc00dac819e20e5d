"""Everything the routes need, built once by `create_app` and injected (no module globals)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from aggregator.clock import Clock, iso, system_clock
from aggregator.db.engine import make_engine, migrate
from aggregator.db.models import Gate, User
from aggregator.ingest import Ingestor
from aggregator.login_limit import LoginRateLimiter
from aggregator.mqtt import MqttPublisher
from aggregator.security import ROLES, hash_password, new_token, token_hash
from aggregator.settings import AggregatorSettings

logger = logging.getLogger(__name__)

DEMO_USERS = {"admin": "admin-demo-pass", "security": "security-demo-pass",
              "guard": "guard-demo-pass"}
"""Demo-mode logins (username = role); never created outside --demo."""


@dataclass
class Metrics:
    """Prometheus metrics in the app's own registry (several apps can live in one process)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.events = Counter("aggregator_ingest_events_total", "Events received",
                              ["result"], registry=self.registry)
        self.batches = Counter("aggregator_ingest_batches_total", "Ingest requests",
                               ["outcome"], registry=self.registry)
        self.ingest_seconds = Histogram("aggregator_ingest_seconds", "Time to store a batch",
                                        registry=self.registry)
        self.alarms = Counter("aggregator_alarms_raised_total", "Alarms raised", ["kind"],
                              registry=self.registry)
        self.searches = Counter("aggregator_searches_total", "Console searches and exports",
                                ["action"], registry=self.registry)


class Services:
    """Engine, ingest, MQTT, metrics, clock and the login limiter of one app."""

    def __init__(self, settings: AggregatorSettings, clock: Clock | None = None) -> None:
        self.settings = settings.check()
        self.clock = clock or system_clock
        self.engine: Engine = make_engine(settings.database_url)
        migrate(self.engine)
        self.ingestor = Ingestor(self.engine.dialect.name, self.clock)
        self.limiter = LoginRateLimiter(self.engine, settings.login_attempts_per_window,
                                        settings.login_window_seconds, self.clock)
        self.metrics = Metrics()
        self.mqtt = MqttPublisher.from_url(settings.mqtt_url) if settings.mqtt_url else None
        self.snapshot_dir = Path(settings.snapshot_dir)
        self._face_encoder = None
        if settings.demo:
            self.ensure_demo_users()

    @property
    def face_encoder(self):  # type: ignore[no-untyped-def]
        """The SFace encoder, loaded on first enrolment (it costs ~1 s and 40 MB)."""
        if self._face_encoder is None:
            from aggregator.faces import FaceEncoder

            self._face_encoder = FaceEncoder()
        return self._face_encoder

    def now(self) -> str:
        return iso(self.clock())

    def create_user(self, username: str, password: str, role: str, *,
                    replace: bool = True) -> None:
        """Add a console user (or, with `replace`, reset their password and role).

        One upsert statement, so replicas starting together cannot collide on the same user.
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        values = {"username": username, "password_hash": hash_password(password), "role": role,
                  "created_at": self.now()}
        statement = dialect.insert(User).values(**values)
        if replace:
            statement = statement.on_conflict_do_update(
                index_elements=["username"], set_={"password_hash": values["password_hash"],
                                                   "role": role})
        else:
            statement = statement.on_conflict_do_nothing(index_elements=["username"])
        with self.engine.begin() as conn:
            conn.execute(statement)

    def ensure_demo_users(self) -> None:
        with self.engine.connect() as conn:
            existing = set(conn.execute(select(User.username)).scalars())
        for role, password in DEMO_USERS.items():
            if role not in existing:
                self.create_user(role, password, role, replace=False)

    def register_gate(self, gate_id: str, name: str = "") -> str:
        """Register a gate; returns its credential (shown once, stored only as a hash)."""
        credential = new_token()
        with self.engine.begin() as conn:
            conn.execute(insert(Gate).values(
                gate_id=gate_id, name=name, credential_hash=token_hash(credential),
                registered_at=self.now(), last_sequence=0, offline_alarmed=False))
        return credential

    def issue_credential(self, gate_id: str) -> str | None:
        """A new credential for a registered gate (the old one stops working, a revoked gate is
        readmitted); None when no such gate. Shown once, stored only as a hash."""
        credential = new_token()
        with self.engine.begin() as conn:
            changed = conn.execute(update(Gate).where(Gate.gate_id == gate_id).values(
                credential_hash=token_hash(credential), revoked_at=None)).rowcount
        return credential if changed else None

    def close(self) -> None:
        if self.mqtt is not None:
            self.mqtt.close()
        self.engine.dispose()
