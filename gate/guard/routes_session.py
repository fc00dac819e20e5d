"""Sign-in with a PIN, sign-out, and who is signed in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field

from gate.guard import actions
from gate.guard.deps import SESSION_COOKIE, ActingGuardDep, ContextDep, GuardDep, refuse

router = APIRouter(prefix="/api/guard", tags=["session"])


class SignIn(BaseModel):
    guard_id: str = Field(..., max_length=32)
    pin: str = Field(..., max_length=16)


@router.get("/accounts")
def accounts(ctx: ContextDep) -> list[dict[str, str]]:
    """Guards who may sign in here (ids and names, for the sign-in screen)."""
    return [{"guard_id": g.guard_id, "name": g.display_name} for g in ctx.store.guards()]


@router.post("/session")
def sign_in(body: SignIn, response: Response, ctx: ContextDep) -> dict[str, object]:
    """Sign in with a guard id and PIN; sets the session cookie."""
    if not body.guard_id or not body.pin:
        raise refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, "pin_required",
                     "choose your name and enter your PIN")
    try:
        token, session = actions.sign_in(ctx, body.guard_id, body.pin)
    except actions.SignInError as err:
        code = (status.HTTP_429_TOO_MANY_REQUESTS if err.code == "locked"
                else status.HTTP_401_UNAUTHORIZED)
        raise refuse(code, err.code, str(err),
                     retry_after_seconds=round(err.retry_after_seconds)) from err
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/")
    return {"guard_id": session.guard_id, "name": session.display_name,
            "idle_seconds": ctx.sessions.idle_seconds, "gate_id": ctx.gate_id}


@router.get("/session")
def who(guard: GuardDep, ctx: ContextDep) -> dict[str, object]:
    """The signed-in guard (401 `signed_out` otherwise); does not restart the idle timer."""
    return {"guard_id": guard.guard_id, "name": guard.display_name,
            "idle_seconds": ctx.sessions.idle_seconds, "gate_id": ctx.gate_id}


@router.post("/session/activity", status_code=204)
def activity(guard: ActingGuardDep) -> Response:
    """The guard touched the screen or typed: restart the idle timer (polls do not)."""
    return Response(status_code=204)


@router.delete("/session", status_code=204)
def sign_out(request: Request, ctx: ContextDep,
             why: Annotated[str, Query(pattern="^(manual|idle)$")] = "manual") -> Response:
    """Sign out (`why`: manual, or idle when the screen's timer ran out); always 204."""
    session = ctx.sessions.close(request.cookies.get(SESSION_COOKIE))
    if session is not None:
        actions.sign_out(ctx, session, why)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
