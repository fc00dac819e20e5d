"""`create_app(settings)`: the aggregator's FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from aggregator.api import (
    alarms_routes,
    auth_routes,
    events_routes,
    gate_visitor_routes,
    ingest_routes,
    manage_routes,
    ops_routes,
    resident_routes,
)
from aggregator.clock import Clock
from aggregator.console import mount_console
from aggregator.jobs import JobRunner
from aggregator.services import Services
from aggregator.settings import AggregatorSettings

logger = logging.getLogger(__name__)

def create_app(settings: AggregatorSettings, *, clock: Clock | None = None,
               services: Services | None = None) -> FastAPI:
    """Build the app: migrate the database, wire the routers, serve the console at `/`."""
    svc = services or Services(settings, clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        jobs = JobRunner(svc) if settings.background_jobs else None
        if jobs is not None:
            jobs.start()
        try:
            yield
        finally:
            if jobs is not None:
                jobs.stop()

    app = FastAPI(title="Gate aggregator", version="1", lifespan=lifespan,
                  description="Central ingest, sync and search for the community's gates.")
    app.state.services = svc
    for module in (ingest_routes, auth_routes, events_routes, alarms_routes, resident_routes,
                   manage_routes, ops_routes, gate_visitor_routes):
        app.include_router(module.router)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]]
        return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=422)

    mount_console(app)  # last: a mount at "/" shadows routes added after it
    return app
