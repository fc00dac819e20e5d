"""What every lane of the demo shares: its config from a demo file, and the final upload."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gate.config import GateConfig
from gate.config.loader import load_config


def lane_config(path: Path, gate_id: str, folder: Path,
                uplink: tuple[str, str] | None) -> GateConfig:
    """The demo config at `path` for one lane: its id, data folder and, if given, the
    aggregator (url, credential) it uploads to."""
    config = load_config(path).model_copy(deep=True)
    config.gate_id = gate_id
    config.storage.data_dir = folder
    if uplink is not None:
        config.uplink.enabled = True
        config.uplink.aggregator_url = uplink[0]
    return config


def wait_uploaded(gate: Any, timeout_seconds: float) -> None:
    """Until the aggregator has acknowledged every committed event (or the timeout)."""
    uplink = gate.uplink
    if uplink is None:
        return
    deadline = time.monotonic() + timeout_seconds
    last = gate.stores.event_log.last_sequence()
    while uplink.state.get("ack_sequence") < last and time.monotonic() < deadline:
        uplink.sender.notify()
        time.sleep(0.1)
