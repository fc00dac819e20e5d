"""HTTP section: the gate's own Prometheus `/metrics` and `/healthz` endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HttpConfig(BaseModel):
    """A small local HTTP server for monitoring; off by default, loopback only by default."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="Serve /metrics and /healthz.")
    host: str = Field(
        "127.0.0.1", min_length=1,
        description="Address to listen on; 0.0.0.0 exposes it to the network (no auth).",
    )
    port: int = Field(8081, ge=1, le=65535, description="TCP port.")
