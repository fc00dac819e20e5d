"""Console sign-in: argon2id passwords, expiring server-side sessions, a login rate limit."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import delete, insert, select

from aggregator.api.deps import SESSION_COOKIE, AnyUser, ServicesDep, session_expiry
from aggregator.db.models import Session, User
from aggregator.security import new_token, token_hash, verify_password

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=256)


class Me(BaseModel):
    username: str
    role: str


@router.post("/login", response_model=Me)
def login(body: LoginRequest, request: Request, response: Response, svc: ServicesDep) -> Me:
    """Sign in; sets the HttpOnly `agg_session` cookie."""
    address = request.client.host if request.client else "?"
    wait = svc.limiter.retry_after(body.username, address)
    if wait is not None:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"too many failed sign-ins; try again in {int(wait)} s",
                            headers={"Retry-After": str(int(wait))})
    with svc.engine.connect() as conn:
        row = conn.execute(select(User.password_hash, User.role)
                           .where(User.username == body.username)).first()
    if not verify_password(row.password_hash if row else None, body.password):
        svc.limiter.failed(body.username, address)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    svc.limiter.succeeded(body.username, address)
    token = new_token()
    with svc.engine.begin() as conn:
        conn.execute(delete(Session).where(Session.expires_at <= svc.now()))
        conn.execute(insert(Session).values(token_hash=token_hash(token), username=body.username,
                                            created_at=svc.now(), expires_at=session_expiry(svc)))
    response.set_cookie(SESSION_COOKIE, token, max_age=svc.settings.session_ttl_seconds,
                        httponly=True, samesite="strict", secure=not svc.settings.demo,
                        path="/")
    return Me(username=body.username, role=row.role)


@router.post("/logout", status_code=204)
def logout(request: Request, svc: ServicesDep) -> Response:
    """End the session (the cookie stops working at once)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with svc.engine.begin() as conn:
            conn.execute(delete(Session).where(Session.token_hash == token_hash(token)))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me)
def me(user: AnyUser) -> Me:
    """Who is signed in, and their role."""
    return Me(username=user.username, role=user.role)
