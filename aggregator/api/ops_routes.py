"""Operations: Prometheus metrics and the health check."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from aggregator.api.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def metrics(svc: ServicesDep) -> Response:
    """Prometheus metrics (ingest counts and latency, alarms, searches)."""
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
def healthz(svc: ServicesDep) -> dict[str, str]:
    """`ok` when the database answers; 503 otherwise."""
    try:
        with svc.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "database unreachable") from err
    return {"status": "ok", "database": svc.engine.dialect.name}
