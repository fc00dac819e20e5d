"""The security console: static HTML/JS/CSS served by the aggregator at ``/``.

No build step: the files under ``static/`` are what the browser runs. They call only the
``/api/v1`` endpoints of the same origin, so the session cookie (SameSite=Strict) just works.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Everything the console needs comes from this origin; nothing inline, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class ConsoleFiles(StaticFiles):
    """StaticFiles that add the console's security headers and keep the HTML uncached."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """Serve `path` with the security headers (index.html revalidated on every load)."""
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        if path in ("", ".", "index.html") or path.endswith(".html"):
            response.headers["Cache-Control"] = "no-cache"
        return response


def mount_console(app: FastAPI) -> None:
    """Serve the console at ``/``; call it after every API router is included (a mount at
    ``/`` matches any path, so routes added later would be shadowed)."""
    app.mount("/", ConsoleFiles(directory=STATIC_DIR, html=True), name="console")
