"""HTTP client of the aggregator's gate API (bearer credential, JSON, bounded timeouts)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from gate.errors import GateError
from wire.schemas import IngestResult, SyncDelta


class UplinkError(GateError, ConnectionError):
    """The aggregator could not be reached or failed (5xx): retry later."""


class UplinkRejectedError(UplinkError):
    """The aggregator refused the request (4xx): revoked credential, malformed batch."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"aggregator refused ({status}): {reason}")
        self.status = status
        self.reason = reason


class AggregatorClient:
    """One gate's connection to the aggregator."""

    def __init__(self, base_url: str, credential: str, timeout_seconds: float = 10.0) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout_seconds,
            headers={"Authorization": f"Bearer {credential}"},
        )

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise UplinkError(f"aggregator unreachable: {err}") from err
        if response.status_code >= 500:
            raise UplinkError(f"aggregator error {response.status_code}")
        if response.status_code >= 400:
            try:
                reason = str(response.json().get("detail"))
            except (ValueError, AttributeError):
                reason = response.text[:200]
            raise UplinkRejectedError(response.status_code, reason)
        return response

    def send_events(self, gate_id: str, events: list[dict[str, Any]]) -> IngestResult:
        """POST one batch (already wire dicts); returns what the aggregator stored."""
        body = json.dumps({"gate_id": gate_id, "events": events}, ensure_ascii=False)
        response = self._request("POST", "/api/v1/ingest/events", content=body.encode("utf-8"),
                                 headers={"Content-Type": "application/json"})
        return IngestResult.model_validate_json(response.content)

    def put_snapshot(self, ref: str, jpeg: bytes) -> None:
        self._request("PUT", f"/api/v1/ingest/snapshots/{ref}", content=jpeg,
                      headers={"Content-Type": "image/jpeg"})

    def heartbeat(self) -> None:
        self._request("POST", "/api/v1/ingest/heartbeat")

    def send_visitor(self, registration: dict[str, Any]) -> None:
        """POST a visitor registered at this gate (idempotent by person id)."""
        self._request("POST", "/api/v1/gate/visitors", json=registration)

    def muster(self, hours: int, timeout_seconds: float = 3.0) -> dict[str, Any]:
        """The community's last passage per person (the guard's evacuation list); short
        timeout: the guard falls back to this gate's own list rather than wait."""
        response = self._request("GET", "/api/v1/gate/muster", params={"hours": hours},
                                 timeout=timeout_seconds)
        return dict(response.json())

    def sync(self, since_version: int) -> SyncDelta:
        response = self._request("GET", "/api/v1/sync", params={"since_version": since_version})
        return SyncDelta.model_validate_json(response.content)

    def close(self) -> None:
        self._http.close()
