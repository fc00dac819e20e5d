"""Dependencies: the services, a database connection, the signed-in user, the calling gate."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Connection, insert, select

from aggregator.clock import iso
from aggregator.db.models import AuditEntry, Gate, Session, User
from aggregator.security import token_hash
from aggregator.services import Services

SESSION_COOKIE = "agg_session"


def services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services)]


def connection(svc: ServicesDep) -> Iterator[Connection]:
    """A connection in one transaction, committed when the route returns normally."""
    with svc.engine.begin() as conn:
        yield conn


ConnDep = Annotated[Connection, Depends(connection)]


@dataclass(frozen=True)
class CurrentUser:
    username: str
    role: str


def current_user(request: Request, svc: ServicesDep) -> CurrentUser:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first")
    with svc.engine.connect() as conn:
        row = conn.execute(
            select(User.username, User.role, Session.expires_at)
            .join(Session, Session.username == User.username)
            .where(Session.token_hash == token_hash(token))
        ).first()
    if row is None or row.expires_at <= svc.now():
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "session expired; sign in again")
    return CurrentUser(row.username, row.role)


def require(*roles: str) -> Callable[..., CurrentUser]:
    """A dependency allowing only `roles` (least privilege: each route names its roles)."""

    def check(user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"role {user.role!r} may not do this (needs {' or '.join(roles)})")
        return user

    return check


AnyUser = Annotated[CurrentUser, Depends(require("admin", "security", "guard"))]
SecurityUser = Annotated[CurrentUser, Depends(require("admin", "security"))]
AdminUser = Annotated[CurrentUser, Depends(require("admin"))]


def calling_gate(request: Request, svc: ServicesDep) -> str:
    """The gate whose credential is in `Authorization: Bearer`; 401 if unknown or revoked."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "gate credential required",
                            headers={"WWW-Authenticate": "Bearer"})
    with svc.engine.connect() as conn:
        row = conn.execute(select(Gate.gate_id, Gate.revoked_at)
                           .where(Gate.credential_hash == token_hash(token.strip()))).first()
    if row is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown gate credential",
                            headers={"WWW-Authenticate": "Bearer"})
    if row.revoked_at is not None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            f"the credential of gate {row.gate_id} was revoked",
                            headers={"WWW-Authenticate": "Bearer"})
    return row.gate_id


GateDep = Annotated[str, Depends(calling_gate)]


def audit(conn: Connection, svc: Services, user: CurrentUser, action: str, detail: dict,
          result_count: int | None = None) -> None:
    """Record who searched, exported or changed what (in the caller's transaction)."""
    svc.metrics.searches.labels(action).inc()
    conn.execute(insert(AuditEntry).values(
        at=svc.now(), username=user.username, action=action,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True), result_count=result_count))


def session_expiry(svc: Services) -> str:
    return iso(svc.clock() + timedelta(seconds=svc.settings.session_ttl_seconds))
