"""Dependencies of the guard routes: the context, the signed-in guard, uniform refusals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from gate.guard import actions
from gate.guard.context import GuardContext
from gate.guard.registration import CaptureBook
from gate.guard.sessions import GuardSession

SESSION_COOKIE = "guard_session"


def refuse(status_code: int, code: str, message: str, **extra: Any) -> HTTPException:
    """A 4xx whose body is `{"detail": {"code", "message", ...}}`: the UI translates `code`."""
    return HTTPException(status_code, {"code": code, "message": message, **extra})


def context(request: Request) -> GuardContext:
    return request.app.state.guard


def captures(request: Request) -> CaptureBook:
    return request.app.state.captures


ContextDep = Annotated[GuardContext, Depends(context)]
CapturesDep = Annotated[CaptureBook, Depends(captures)]


def _session(request: Request, ctx: GuardContext, extend: bool) -> GuardSession:
    token = request.cookies.get(SESSION_COOKIE)
    expired = ctx.sessions.peek_expired(token)
    session = ctx.sessions.touch(token) if extend else ctx.sessions.current(token)
    if session is None:
        if expired is not None:  # ran out just now: record the automatic sign-out once
            ctx.sessions.close(token)
            actions.sign_out(ctx, expired, "idle")
        raise refuse(status.HTTP_401_UNAUTHORIZED, "signed_out", "sign in with your PIN")
    return session


def signed_in(request: Request, ctx: ContextDep) -> GuardSession:
    """The guard whose session cookie this is, without restarting the idle timer (views and
    polls); 401 `signed_out` when absent or idle too long."""
    return _session(request, ctx, extend=False)


def acting(request: Request, ctx: ContextDep) -> GuardSession:
    """As `signed_in`, for what the guard does: restarts the idle timer."""
    return _session(request, ctx, extend=True)


GuardDep = Annotated[GuardSession, Depends(signed_in)]
ActingGuardDep = Annotated[GuardSession, Depends(acting)]
