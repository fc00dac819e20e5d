"""The demo's vehicle barrier: cars from the shared plate scenes roll up to a simulated lane.

The lane's residents, visitors, vehicles and blacklist come from the aggregator (entered
through its API, synced down like any gate's) or, standalone, straight into the gate's own
directory. Each car's decision is printed live with its masked plate, and the run ends with
a table of expected against actual reasons.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gate.clock import SystemClock
from gate.controller import DecisionReport
from gate.demo_common import lane_config, wait_uploaded
from gate.door.state_machine import DoorEvent
from gate.eventlog.verify import verify_log
from gate.runtime import DB_NAME, build_gate
from hw_sim.datasets import PROJECT_ROOT
from hw_sim.door_physics import SimDoor
from hw_sim.replay_camera import ReplayCamera
from hw_sim.vehicle_scenario import VehicleScenario
from wire.plates import mask_plate

VEHICLE_DEMO_CONFIG = PROJECT_ROOT / "config" / "gate.vehicle.demo.yaml"


class VehicleDemoLane:
    """One simulated barrier of the demo, running in its own thread in real time."""

    def __init__(self, console: Console, gate_id: str, scenario: VehicleScenario, folder: Path,
                 uplink: tuple[str, str] | None) -> None:
        self.console = console
        self.scenario = scenario
        self.folder = folder
        config = lane_config(VEHICLE_DEMO_CONFIG, gate_id, folder, uplink)
        self.config = config
        self.camera = ReplayCamera(scenario.clips, realtime=True)
        clock = SystemClock()
        self.door = SimDoor(clock, fail_mode=config.door.fail_mode)
        self.rows: list[tuple[str, str, DecisionReport]] = []
        self.gate = build_gate(config, camera=self.camera, door_hardware=self.door.hardware,
                               clock=clock, on_decision=self._on_decision,
                               on_door_event=self._on_door_event,
                               uplink_credential=uplink[1] if uplink else None)
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=gate_id, daemon=True)

    def _t(self) -> str:
        return f"[dim]{time.monotonic() - self._started:6.2f}s {self.config.gate_id}[/dim]"

    def _on_decision(self, report: DecisionReport) -> None:
        clip = self.camera.clip_at(report.outcome.first_seen_at)
        self.rows.append((clip.name, clip.expect, report))
        decision = report.decision
        colour = "green" if decision.granted else "red"
        verdict = "LIFT" if decision.granted else "DENIED"
        prompt = "  [yellow]guard prompt[/yellow]" if decision.evidence.get(
            "policy", {}).get("guard_prompt") else ""
        plate = mask_plate(report.outcome.plate) or "unreadable"
        self.console.print(
            f"{self._t()} [{colour}]{verdict:7s}[/{colour}] plate {plate:10s}"
            f" reason={decision.reason}  {report.latency_ms:5.0f} ms{prompt}  "
            f"[dim]({clip.name})[/dim]")
        if decision.granted:
            self.door.person_walks_through(after_seconds=1.0, pass_seconds=2.0)

    def _on_door_event(self, event: DoorEvent) -> None:
        if str(event.type) in ("door_released", "door_secured"):
            state = "barrier UP" if str(event.type) == "door_released" else "barrier down"
            self.console.print(f"{self._t()} [cyan]relay {state}[/cyan]")

    def load_directory(self, community: object | None) -> str:
        """Register the lane's cars centrally (then sync) or on the gate itself."""
        delta = self.scenario.directory_delta(self.gate.controller.clock.now())
        if community is not None and self.gate.uplink is not None:
            community.load(delta)  # type: ignore[attr-defined]
            self.gate.uplink.sync.sync_once()
            source = "synced from the aggregator"
        else:
            self.scenario.register(self.gate.stores.directory, self.gate.controller.clock.now())
            source = "registered on the gate"
        count = len(self.gate.stores.directory.snapshot().vehicles)
        return f"{source}: {count} vehicles"

    def start(self, duration_seconds: float | None) -> None:
        self._duration = duration_seconds
        self.door.start()
        self.gate.start()
        self._started = time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        self.gate.controller.run(self._duration)
        time.sleep(2.0)  # let the last lift end

    def finish(self, console: Console) -> bool:
        """Wait for the replay, close the lane, print its summary; True when all was right."""
        self._thread.join()
        wait_uploaded(self.gate, timeout_seconds=5.0)
        self.gate.close()
        self.door.stop()
        table = Table(title=f"{self.config.gate_id} — vehicle lane")
        for column in ("car", "expected", "decision", "plate", "ms to relay/decision", "ok"):
            table.add_column(column)
        right = True
        for clip in self.scenario.clips:
            if not clip.name.endswith("-car"):
                continue
            matched = [r for name, _, r in self.rows if name == clip.name]
            got = matched[0].decision.reason.value if matched else "no decision"
            ok = got == clip.expect
            right &= ok
            table.add_row(clip.name, clip.expect, got,
                          mask_plate(matched[0].outcome.plate) if matched else "—",
                          f"{matched[0].latency_ms:.0f}" if matched else "—",
                          "[green]yes[/green]" if ok else "[red]no[/red]")
        console.print(table)
        report = verify_log(self.folder / DB_NAME)
        console.print(f"{self.config.gate_id}: event log {report.events_checked} events, hash "
                      f"chain {'verifies' if report.ok else 'BROKEN'}; barrier lifts: "
                      f"{sum(1 for _, on in self.door.relay_history if on)}")
        return right and report.ok
