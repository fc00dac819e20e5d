"""Gate-facing routes: event batches, snapshots, heartbeat and directory sync."""

from __future__ import annotations

import logging
import re
import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from aggregator.api.deps import GateDep, ServicesDep
from aggregator.db.models import Gate, Snapshot
from aggregator.ingest import BatchRejectedError, IngestOutcome
from aggregator.services import Services
from aggregator.sync import build_delta
from wire.schemas import MAX_BATCH_BYTES, EventBatch, IngestResult, SyncDelta

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["gates"])

SNAPSHOT_REF = re.compile(r"^\d{4}/\d{2}/\d{2}/\d{8}T\d{9}Z-[0-9a-f]{12}\.jpg$")

_BATCH_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": EventBatch.model_json_schema(ref_template="#/components/schemas/{model}")}}}}


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"body is {declared} bytes; the limit is {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                f"body exceeds the limit of {limit} bytes")
    return bytes(body)


@router.post("/ingest/events", response_model=IngestResult, openapi_extra=_BATCH_BODY)
async def ingest_events(request: Request, gate_id: GateDep, svc: ServicesDep) -> IngestResult:
    """Store a batch of at most 500 events of the calling gate (idempotent by event_id)."""
    body = await _read_limited(request, MAX_BATCH_BYTES)
    try:
        batch = EventBatch.model_validate_json(body)
    except ValidationError as err:
        svc.metrics.batches.labels("rejected").inc()
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _reason(err)) from err
    started = time.perf_counter()
    try:
        # In a worker thread: the event loop keeps reading and parsing other gates' batches
        # while this one waits for the database (the gate's row lock, the commit).
        outcome = await run_in_threadpool(_store, svc, gate_id, batch)
    except BatchRejectedError as err:
        svc.metrics.batches.labels("rejected").inc()
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    svc.metrics.ingest_seconds.observe(time.perf_counter() - started)
    svc.metrics.batches.labels("stored").inc()
    svc.metrics.events.labels("accepted").inc(outcome.result.accepted)
    svc.metrics.events.labels("duplicate").inc(outcome.result.duplicates)
    for kind, _ in outcome.alarms:
        svc.metrics.alarms.labels(kind).inc()
    if svc.mqtt is not None and outcome.stored:
        svc.mqtt.publish_events(outcome.stored)
        for kind, event_id in outcome.alarms:
            svc.mqtt.publish_alarm(gate_id, kind, event_id)
    return outcome.result


def _store(svc: Services, gate_id: str, batch: EventBatch) -> IngestOutcome:
    with svc.engine.begin() as conn:
        return svc.ingestor.ingest(conn, gate_id, batch)


def _reason(err: ValidationError) -> str:
    first = err.errors(include_url=False)[:3]
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in first]
    more = err.error_count() - len(first)
    return "; ".join(parts) + (f" (and {more} more problems)" if more > 0 else "")


@router.put("/ingest/snapshots/{ref:path}", status_code=204,
            openapi_extra={"requestBody": {"content": {"image/jpeg": {
                "schema": {"type": "string", "format": "binary"}}}}})
async def put_snapshot(ref: str, request: Request, gate_id: GateDep,
                       svc: ServicesDep) -> Response:
    """Store the JPEG face crop an event of the calling gate refers to."""
    if not SNAPSHOT_REF.match(ref):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "ref must look like 2026/01/05/20260105T080000123Z-<12 hex>.jpg")
    data = await _read_limited(request, svc.settings.max_snapshot_bytes)
    if not data.startswith(b"\xff\xd8"):
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "body is not a JPEG")
    path = svc.snapshot_dir / gate_id / ref
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data)
    temp.replace(path)
    dialect = postgresql if svc.engine.dialect.name == "postgresql" else sqlite
    with svc.engine.begin() as conn:
        conn.execute(dialect.insert(Snapshot).values(
            gate_id=gate_id, ref=ref, stored_at=svc.now(), size_bytes=len(data))
            .on_conflict_do_nothing(index_elements=["gate_id", "ref"]))
    return Response(status_code=204)


@router.post("/ingest/heartbeat", status_code=204)
def heartbeat(gate_id: GateDep, svc: ServicesDep) -> Response:
    """Tell the aggregator the gate is alive (no heartbeat for 60 s raises gate_offline)."""
    with svc.engine.begin() as conn:
        conn.execute(update(Gate).where(Gate.gate_id == gate_id)
                     .values(last_seen=svc.now(), offline_alarmed=False))
    return Response(status_code=204)


@router.get("/sync", response_model=SyncDelta)
def sync(gate_id: GateDep, svc: ServicesDep,
         since_version: Annotated[int, Query(ge=0, le=2**62)] = 0) -> SyncDelta:
    """Directory changes since `since_version` (0: everything), face templates included."""
    # One snapshot for the version and the rows read after it (PostgreSQL reads each
    # statement afresh otherwise); SQLite's read transaction is a snapshot already.
    options = ({"isolation_level": "REPEATABLE READ"}
               if svc.engine.dialect.name == "postgresql" else {})
    with svc.engine.connect().execution_options(**options) as conn, conn.begin():
        return build_delta(conn, since_version)
