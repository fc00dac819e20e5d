"""Management of the directory: residents (with face enrolment), vehicles, cards, blacklist,
schedules, groups and visitors. Admins write, security staff read, guards see none of it.

Every change bumps the directory version (a `directory_changes` row) that gates sync to.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel
from sqlalchemy import delete, insert, select

from aggregator.api.deps import AdminUser, ConnDep, SecurityUser, ServicesDep, audit
from aggregator.db.models import (
    BlacklistEntry,
    Card,
    Group,
    Schedule,
    Vehicle,
    Visitor,
)
from aggregator.sync import record_change
from wire.plates import PlateFormatError, normalise_plate, validate_plate
from wire.schemas import (
    BlacklistWire,
    CardWire,
    GroupWire,
    ScheduleWire,
    VehicleWire,
    VisitorWire,
)

router = APIRouter(prefix="/api/v1", tags=["management"])


@dataclass(frozen=True)
class Entity:
    """How one simple directory table maps to its API model."""

    path: str
    table: Any
    entity: str
    schema: type[BaseModel]
    key_of: Callable[[Any], str]
    to_row: Callable[[Any], dict]
    from_row: Callable[[Any], BaseModel]


def _blacklist_key(body: BlacklistWire) -> str:
    return f"person:{body.person_id}" if body.person_id else f"plate:{normalise_plate(body.plate)}"


def _valid_plate(text: str) -> str:
    """The normalised plate, or 422 naming the rule it breaks (a gate could never read it)."""
    try:
        return validate_plate(text)
    except PlateFormatError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"plate {text!r}: {err}") from err


def _vehicle_row(body: VehicleWire) -> dict:
    return {"plate": _valid_plate(body.plate), "person_id": body.person_id, "unit": body.unit}


def _blacklist_row(body: BlacklistWire) -> dict:
    if (body.person_id is None) == (body.plate is None):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "a blacklist entry names exactly one of person_id or plate")
    plate = _valid_plate(body.plate) if body.plate else None
    return {"entry_key": _blacklist_key(body), "person_id": body.person_id, "plate": plate,
            "reason": body.reason, "alarm": body.alarm}


def _schedule_row(body: ScheduleWire) -> dict:
    for day in body.windows:
        for start, end in day:
            if not (0 <= start < 1440 and 0 <= end <= 1440) or start == end:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                    f"window ({start}, {end}) is not within a day or is empty")
    return {"schedule_id": body.schedule_id, "timezone": body.timezone,
            "windows_json": json.dumps(body.windows)}


ENTITIES = [
    Entity("vehicles", Vehicle, "vehicle", VehicleWire, lambda b: normalise_plate(b.plate),
           _vehicle_row,
           lambda r: VehicleWire(plate=r.plate, person_id=r.person_id, unit=r.unit)),
    Entity("cards", Card, "card", CardWire, lambda b: b.card_number,
           lambda b: b.model_dump(),
           lambda r: CardWire(card_number=r.card_number, person_id=r.person_id)),
    Entity("blacklist", BlacklistEntry, "blacklist", BlacklistWire, _blacklist_key,
           _blacklist_row,
           lambda r: BlacklistWire(person_id=r.person_id, plate=r.plate, reason=r.reason,
                                   alarm=r.alarm)),
    Entity("schedules", Schedule, "schedule", ScheduleWire, lambda b: b.schedule_id,
           _schedule_row,
           lambda r: ScheduleWire(schedule_id=r.schedule_id, timezone=r.timezone,
                                  windows=json.loads(r.windows_json))),
    Entity("groups", Group, "group", GroupWire, lambda b: b.group_id, lambda b: b.model_dump(),
           lambda r: GroupWire(group_id=r.group_id, schedule_id=r.schedule_id)),
    Entity("visitors", Visitor, "visitor", VisitorWire, lambda b: b.person_id,
           lambda b: b.model_dump(),
           lambda r: VisitorWire(person_id=r.person_id, host_unit=r.host_unit,
                                 valid_from=r.valid_from, valid_until=r.valid_until,
                                 max_entries=r.max_entries)),
]


def _key_column(table: Any) -> Any:
    return next(iter(table.__table__.primary_key.columns))


def _register(spec: Entity) -> None:
    key_column = _key_column(spec.table)

    def list_items(user: SecurityUser, conn: ConnDep) -> list[Any]:
        return [spec.from_row(r) for r in conn.execute(select(spec.table).order_by(key_column))]

    def get_item(item_id: str, user: SecurityUser, conn: ConnDep) -> Any:
        row = conn.execute(select(spec.table).where(key_column == item_id)).first()
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {spec.entity} {item_id}")
        return spec.from_row(row)

    def put_item(body: BaseModel, user: AdminUser, conn: ConnDep,
                 svc: ServicesDep) -> Any:
        row = spec.to_row(body)
        key = row[key_column.key]
        conn.execute(delete(spec.table).where(key_column == key))
        conn.execute(insert(spec.table).values(**row))
        record_change(conn, spec.entity, key, svc.now())
        audit(conn, svc, user, f"upsert_{spec.entity}", {"key": key})
        return spec.from_row(conn.execute(select(spec.table).where(key_column == key)).one())

    def put_by_id(item_id: str, body: BaseModel, user: AdminUser,
                  conn: ConnDep, svc: ServicesDep) -> Any:
        if spec.key_of(body) != item_id:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                f"the body's key {spec.key_of(body)!r} is not {item_id!r}")
        return put_item(body, user, conn, svc)

    def delete_item(item_id: str, user: AdminUser, conn: ConnDep, svc: ServicesDep) -> Response:
        if not conn.execute(delete(spec.table).where(key_column == item_id)).rowcount:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {spec.entity} {item_id}")
        record_change(conn, spec.entity, item_id, svc.now())
        audit(conn, svc, user, f"delete_{spec.entity}", {"key": item_id})
        return Response(status_code=204)

    # Annotations are strings here (postponed evaluation); give FastAPI the real body model.
    put_item.__annotations__["body"] = spec.schema
    put_by_id.__annotations__["body"] = spec.schema
    path = f"/{spec.path}"
    noun = spec.entity
    router.add_api_route(path, list_items, methods=["GET"], response_model=list[spec.schema],
                         summary=f"List {spec.path}", description=f"Every {noun}.")
    router.add_api_route(path, put_item, methods=["POST"], response_model=spec.schema,
                         summary=f"Create or replace a {noun}",
                         description=f"Create or replace a {noun}; gates get it next sync.")
    router.add_api_route(path + "/{item_id}", get_item, methods=["GET"],
                         response_model=spec.schema, summary=f"Get one {noun}")
    router.add_api_route(path + "/{item_id}", put_by_id, methods=["PUT"],
                         response_model=spec.schema, summary=f"Replace a {noun}")
    router.add_api_route(path + "/{item_id}", delete_item, methods=["DELETE"], status_code=204,
                         summary=f"Delete a {noun}",
                         description=f"Delete a {noun}; gates drop it at the next sync.")


for _spec in ENTITIES:
    _register(_spec)
