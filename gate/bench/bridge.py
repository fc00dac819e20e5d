"""`gate bench bridge --json`: OSDP latencies on the simulated board, secure channel on.

- `command_to_relay_ms`: `DoorDriver.grant()` called -> the simulated board's output pin
  energised (both ends read the same monotonic clock);
- `card_to_decision_ms`: the board reads a card -> the decision is committed to the
  event log (half the cards enrolled, half unknown);
- `offline_detect_ms`: the cable is cut -> the gate declares the board offline;
  `online_restore_ms`: the cable is back -> the board is online again.

Real libosdp on both ends of a real pty pair, real SQLite, the real door driver.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from firmware_bridge.door_backend import OsdpDoorHardware
from firmware_bridge.keys import SecretKey
from gate.cli import print_json
from gate.clock import SystemClock
from gate.config.door import DoorConfig
from gate.controller import record_door_event
from gate.credentials import CredentialAccess, CredentialReport
from gate.directory.store import DirectoryStore
from gate.door.driver import DoorDriver
from gate.door.state_machine import DoorStateMachine
from gate.eventlog.store import EventLog
from gate.policy import Group, Person
from gate.policy.engine import PolicySettings
from gate.policy.schedule import always_open
from hw_sim.osdp_board import SimOsdpBoard, board_config

TARGET_P95_MS = 100.0
TARGET_OFFLINE_MS = 2000.0
UNLOCK_SECONDS = 0.1
SETTLE_SECONDS = 0.15
ENROLLED_CARD = 700001
UNKNOWN_CARD = 700002


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1),
            "max": round(ordered[-1], 1), "n": len(ordered)}


def _wait(condition: Any, timeout_seconds: float) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.001)
    return bool(condition())


def _command_to_relay(board: SimOsdpBoard, driver: DoorDriver, samples: int) -> list[float]:
    latencies = []
    for _ in range(samples):
        start = time.monotonic()
        driver.grant("bench")
        if not _wait(lambda s=start: board.energised_since(s), 1.0):
            raise RuntimeError("the board's output did not energise within 1 s")
        latencies.append((board.energised_since(start)[0] - start) * 1000.0)
        _wait(lambda: not board.relay_energised, 2.0)
        time.sleep(SETTLE_SECONDS)
    return latencies


def _card_to_decision(board: SimOsdpBoard, reports: list[CredentialReport],
                      arrived: threading.Event, samples: int) -> list[float]:
    latencies = []
    for index in range(samples):
        arrived.clear()
        read_at = board.swipe_card(ENROLLED_CARD if index % 2 == 0 else UNKNOWN_CARD)
        if not arrived.wait(2.0):
            raise RuntimeError("no decision within 2 s of a card read")
        latencies.append((reports[-1].decided_at - read_at) * 1000.0)
        _wait(lambda: not board.relay_energised, 2.0)
        time.sleep(SETTLE_SECONDS)  # people are seconds apart: let feedback commands finish
    return latencies


def _offline_and_back(board: SimOsdpBoard, hardware: OsdpDoorHardware) -> tuple[float, float]:
    cut_at = time.monotonic()
    board.cut_cable()
    if not _wait(lambda: not hardware.online, 10.0):
        raise RuntimeError("the board was not declared offline within 10 s")
    detected = (time.monotonic() - cut_at) * 1000.0
    restored_at = time.monotonic()
    board.restore_cable()
    if not hardware.wait_online(10.0):
        raise RuntimeError("the board did not come back within 10 s")
    return detected, (time.monotonic() - restored_at) * 1000.0


def bench_bridge(samples: int = 40) -> dict[str, Any]:
    """Run the measurements on a fresh simulated board; returns the JSON document."""
    clock = SystemClock()
    key = SecretKey.generate()
    with tempfile.TemporaryDirectory(prefix="gate-bench-bridge-") as tmp, \
            SimOsdpBoard(key, clock=clock) as board:
        db = Path(tmp) / "gate.db"
        directory, log = DirectoryStore(db, clock), EventLog(db, "bench-bridge", clock)
        directory.upsert_schedule(always_open())
        directory.upsert_group(Group("residents", "always"))
        directory.upsert_person(Person("bench", "Bench Resident", "1-1-101",
                                       groups=("residents",)))
        directory.add_card("bench", str(ENROLLED_CARD))
        hardware = OsdpDoorHardware(board_config(board), "secure", clock, scbk=key)
        driver = DoorDriver(DoorStateMachine(DoorConfig(unlock_seconds=UNLOCK_SECONDS), clock),
                            hardware, clock, on_event=lambda e: record_door_event(log, e))
        reports: list[CredentialReport] = []
        arrived = threading.Event()

        def on_decision(report: CredentialReport) -> None:
            reports.append(report)
            arrived.set()

        access = CredentialAccess(gate_id="bench-bridge", directory=directory,
                                  policy=PolicySettings(), event_log=log, door=driver,
                                  clock=clock, on_decision=on_decision)
        access.attach(hardware)
        try:
            if not hardware.wait_online(10.0):
                raise RuntimeError("the simulated board did not come online")
            driver.start()
            secure = board.secure_channel_active
            command = _command_to_relay(board, driver, samples)
            card = _card_to_decision(board, reports, arrived, samples)
            offline_ms, restore_ms = _offline_and_back(board, hardware)
        finally:
            driver.close()
            directory.close()
            log.close()
    command_summary, card_summary = _summary(command), _summary(card)
    return {
        "secure_channel": secure,
        "samples": samples,
        "command_to_relay_ms": command_summary,
        "card_to_decision_ms": card_summary,
        "offline_detect_ms": round(offline_ms, 1),
        "online_restore_ms": round(restore_ms, 1),
        "targets": {"p95_ms": TARGET_P95_MS, "offline_detect_ms": TARGET_OFFLINE_MS},
        "meets_targets": (command_summary["p95"] <= TARGET_P95_MS
                          and card_summary["p95"] <= TARGET_P95_MS
                          and offline_ms <= TARGET_OFFLINE_MS and secure),
    }


def bench_bridge_command(as_json: bool, samples: int = 40) -> int:
    """CLI entry: print the JSON (or one line); exit 1 when a target is missed."""
    result = bench_bridge(samples)
    if as_json:
        print_json(result)
    else:
        print(f"command_to_relay_ms {result['command_to_relay_ms']}  "  # noqa: T201
              f"card_to_decision_ms {result['card_to_decision_ms']}  "
              f"offline_detect_ms {result['offline_detect_ms']}")
    return 0 if result["meets_targets"] else 1
