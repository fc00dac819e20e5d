"""`create_guard_app(ctx)`: the guard's touch UI and its API, served apart from monitoring.

Every `/api/guard` route except the sign-in list and sign-in itself needs a guard session
(cookie, SameSite=Strict, ended after inactivity). The static UI under `static/` has no
build step; like the aggregator's console it takes scripts and images from this origin only.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from gate.guard import routes_gate, routes_session, routes_visitors
from gate.guard.context import GuardContext
from gate.guard.registration import CaptureBook

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class GuardFiles(StaticFiles):
    """Static files with the security headers; HTML revalidated on every load."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        if path in ("", ".", "index.html") or path.endswith((".html", ".js", ".json")):
            response.headers["Cache-Control"] = "no-cache"
        return response


def create_guard_app(ctx: GuardContext) -> FastAPI:
    """The guard app of one gate (no globals: everything hangs off `app.state`)."""
    app = FastAPI(title=f"Guard UI {ctx.gate_id}", version="1",
                  description="The guard's touch screen at one gate.")
    app.state.guard = ctx
    app.state.captures = CaptureBook(ctx)
    for module in (routes_session, routes_gate, routes_visitors):
        app.include_router(module.router)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": str(e["loc"][-1]) if e["loc"] else "body", "code": "invalid",
                   "message": e["msg"]} for e in exc.errors()[:5]]
        message = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        return JSONResponse({"detail": {"code": "invalid_request", "message": message,
                                        "errors": errors}}, status_code=422)

    app.mount("/", GuardFiles(directory=STATIC_DIR, html=True), name="guard-ui")
    return app
