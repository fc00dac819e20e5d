"""`gate demo`: a simulated pedestrian gate on hw_sim, with live decisions and a summary.

Residents are enrolled from the shared dev faces (or, where those are absent, from face
images that PyPI packages ship); the replay camera then shows the scenario's arrivals in
real time while gpiozero's MockFactory pins drive a simulated door.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from gate.clock import SystemClock
from gate.controller import DecisionReport
from gate.demo_common import lane_config, wait_uploaded
from gate.demo_vehicle import VehicleDemoLane
from gate.directory.store import DirectoryStore
from gate.door.state_machine import DoorEvent
from gate.enrolment import template_from_image
from gate.errors import EnrolmentError
from gate.eventlog.verify import verify_log
from gate.guard.server import DEMO_GUARD, start_demo_guard_ui
from gate.logging_setup import configure_logging
from gate.policy.model import Group, Person
from gate.policy.schedule import always_open
from gate.privacy import mask_name
from gate.runtime import DB_NAME, build_gate
from gate.vision.detection import HogFaceDetector
from gate.vision.recognisers.base import Recogniser
from hw_sim.datasets import PROJECT_ROOT, faces_dir
from hw_sim.door_physics import SimDoor
from hw_sim.replay_camera import ReplayCamera
from hw_sim.vehicle_clips import plates_dir
from hw_sim.vehicle_scenario import build_vehicle_scenario

if TYPE_CHECKING:
    from hw_sim.community import SimulatedCommunity
from hw_sim.scenarios import SCENARIOS, DoorAction, Enrolee, Scenario, build_scenario

DEMO_CONFIG = PROJECT_ROOT / "config" / "gate.demo.yaml"
_DOOR_TEXT = {
    "door_released": "relay ON  (door unlocked)",
    "door_secured": "relay OFF (door locked)",
    "door_opened": "door contact: open",
    "door_closed": "door contact: closed",
    "exit_request": "exit button pressed",
    "door_forced": "ALARM door forced",
    "door_held_open": "ALARM door held open",
    "door_held_open_cleared": "held-open alarm cleared",
}


def enrol_scenario(
    directory: DirectoryStore, recogniser: Recogniser, enrolees: list[Enrolee]
) -> int:
    """Enrol the scenario's residents (group `residents`, open all week); returns templates."""
    directory.upsert_schedule(always_open("always"))
    directory.upsert_group(Group("residents", "always"))
    detector = HogFaceDetector(800, upsample=1)
    count = 0
    for enrolee in enrolees:
        directory.upsert_person(Person(enrolee.person_id, enrolee.display_name, enrolee.unit,
                                       groups=enrolee.groups))
        for index, image in enumerate(enrolee.images):
            try:
                template = template_from_image(image, recogniser, detector,
                                               f"{enrolee.person_id}#{index}")
            except EnrolmentError:
                continue
            directory.add_face_template(enrolee.person_id, recogniser.name, template.vector,
                                        template.source_sha256)
            count += 1
    return count


class DemoDisplay:
    """Prints decisions and door events as they happen, then the summary."""

    def __init__(
        self, console: Console, camera: ReplayCamera, names: dict[str, str], prefix: str = ""
    ) -> None:
        self.console = console
        self.camera = camera
        self.names = names
        self.prefix = prefix
        self.started = time.monotonic()
        self.rows: list[tuple[str, str, DecisionReport]] = []

    def _t(self) -> str:
        return f"[dim]{time.monotonic() - self.started:6.2f}s {self.prefix}[/dim]"

    def decision(self, report: DecisionReport) -> None:
        clip = self.camera.clip_at(report.outcome.first_seen_at)
        who = self.names.get(report.decision.subject or "", None)
        who = mask_name(who) if who else (report.outcome.person_id and "(resembles a resident)"
                                          or "unknown")
        colour = "green" if report.decision.granted else "red"
        verdict = "GRANTED" if report.decision.granted else "DENIED"
        self.console.print(
            f"{self._t()} [{colour}]{verdict:7s}[/{colour}] {who:24s} "
            f"reason={report.decision.reason}  {report.latency_ms:5.0f} ms  "
            f"[dim]({clip.name})[/dim]"
        )
        self.rows.append((clip.name, clip.expect, report))

    def door(self, event: DoorEvent) -> None:
        text = _DOOR_TEXT.get(str(event.type), str(event.type))
        style = "yellow" if "ALARM" in text else "cyan"
        self.console.print(f"{self._t()} [{style}]door  {text}[/{style}]")


def _run_door_actions(actions: list[DoorAction], door: SimDoor, stop: threading.Event) -> None:
    start = time.monotonic()
    for action in sorted(actions, key=lambda a: a.at_seconds):
        if stop.wait(max(0.0, start + action.at_seconds - time.monotonic())):
            return
        if action.action == "press_exit":
            door.press_exit()
            door.person_walks_through(after_seconds=0.5, pass_seconds=1.5)
        elif action.action == "force_open":
            door.force_open(open_seconds=action.hold_seconds or 1.0)
        elif action.action == "prop_open":
            door.prop_open()
            if stop.wait(action.hold_seconds):
                return
            door.close()


def summary_table(
    scenario: Scenario, rows: list[tuple[str, str, DecisionReport]], gate_id: str = ""
) -> Table:
    """One row per arrival: what a correct gate does, what this one did, how fast."""
    table = Table(title=f"{gate_id} — scenario `{scenario.name}`")
    for column in ("arrival", "expected", "decision", "reason", "ms to relay/decision", "ok"):
        table.add_column(column)
    seen = set()
    for clip in scenario.clips:
        if clip.name == "empty":
            continue
        matched = [r for name, _, r in rows if name == clip.name]
        seen.add(clip.name)
        if not matched:
            table.add_row(clip.name, clip.expect, "—", "no decision", "—",
                          "[green]yes[/green]" if clip.expect == "denied" else "[red]no[/red]")
            continue
        for report in matched:
            got = "granted" if report.decision.granted else "denied"
            ok = "[green]yes[/green]" if got == clip.expect else "[red]no[/red]"
            table.add_row(clip.name, clip.expect, got, str(report.decision.reason),
                          f"{report.latency_ms:.0f}", ok)
    return table


class DemoLane:
    """One simulated gate of the demo: its camera, door (GPIO sim or OSDP board) and display."""

    def __init__(
        self, console: Console, gate_id: str, story: Scenario, folder: Path, door_backend: str,
        uplink: tuple[str, str] | None,
    ) -> None:
        self.story = story
        self.folder = folder
        config = lane_config(DEMO_CONFIG, gate_id, folder, uplink)
        self.config = config
        self.camera = ReplayCamera(story.clips, realtime=True, outage=story.camera_outage,
                                   corrupt_frame_indices=story.corrupt_frames)
        clock = SystemClock()
        self.board = None
        if door_backend == "osdp":
            from hw_sim.osdp_board import board_config, open_simulated_osdp_door

            self.board, hardware = open_simulated_osdp_door(config.door.fail_mode, clock=clock)
            config.door.backend = board_config(self.board)
            self.door = self.board.door  # the same door physics, behind the board's relay
            online = hardware.wait_online(5)
            console.print(f"{gate_id}: door over OSDP on {self.board.port}, secure channel "
                          f"{'up' if online else 'DOWN'}")
        else:
            self.door = SimDoor(clock, fail_mode=config.door.fail_mode)
            hardware = self.door.hardware
        names = {e.person_id: e.display_name for e in story.enrolees}
        self.display = DemoDisplay(console, self.camera, names, prefix=gate_id)
        self.gate = build_gate(config, camera=self.camera, door_hardware=hardware, clock=clock,
                               on_decision=self._on_decision, on_door_event=self.display.door,
                               uplink_credential=uplink[1] if uplink else None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=gate_id, daemon=True)

    def _on_decision(self, report: DecisionReport) -> None:
        self.display.decision(report)
        if report.decision.granted:
            self.door.person_walks_through(after_seconds=0.6, pass_seconds=1.5)

    def load_residents(self) -> str:
        """Residents from the aggregator (sync) or, standalone, enrolled on the gate itself."""
        if self.gate.uplink is not None:
            self.gate.uplink.sync.sync_once()
            self.gate.reload_gallery()
            return f"synced from the aggregator: {len(self.gate.gallery)} face templates"
        count = enrol_scenario(self.gate.stores.directory, self.gate.recogniser,
                               self.story.enrolees)
        self.gate.reload_gallery()
        return f"enrolled on the gate: {count} face templates"

    def start(self, duration_seconds: float | None) -> None:
        self._duration = duration_seconds
        self.door.start()
        self.gate.start()
        self.display.started = time.monotonic()
        threading.Thread(target=_run_door_actions, args=(self.story.door_actions, self.door,
                                                         self._stop), daemon=True).start()
        self._thread.start()

    def _run(self) -> None:
        self.gate.controller.run(self._duration)
        time.sleep(min(2.0, self.config.door.unlock_seconds))  # let the last pulse end

    def finish(self, console: Console) -> bool:
        """Wait for the replay, close the gate, print its summary; True when all was right."""
        self._thread.join()
        self._stop.set()
        try:
            wait_uploaded(self.gate, timeout_seconds=5.0)
        finally:
            self.gate.close()
            self.door.stop()
            if self.board is not None:
                self.board.close()
        console.print(summary_table(self.story, self.display.rows, self.config.gate_id))
        report = verify_log(self.folder / DB_NAME)
        console.print(f"{self.config.gate_id}: event log {report.events_checked} events, hash "
                      f"chain {'verifies' if report.ok else 'BROKEN'}; relay pulses: "
                      f"{sum(1 for _, on in self.door.relay_history if on)}; frames processed: "
                      f"{self.gate.controller.frames_processed}")
        wrong = [r for _, expect, r in self.display.rows
                 if ("granted" if r.decision.granted else "denied") != expect]
        return not wrong and report.ok


def _vehicle_lane(console: Console, folder: Path, community: SimulatedCommunity | None,
                  central: bool) -> VehicleDemoLane | None:
    """The demo's vehicle barrier, where the shared plate scenes are at hand."""
    root = plates_dir()
    if root is None:
        console.print("[dim]vehicle lane skipped: shared plate scenes absent "
                      "(set GATE_SHARED_DATA)[/dim]")
        return None
    gate_id = "demo-car-in-1"
    uplink = None
    if community is not None:
        uplink = (community.url, community.register_gate(gate_id, "Vehicle entry (demo)"))
    lane = VehicleDemoLane(console, gate_id, build_vehicle_scenario(root), folder / gate_id,
                           uplink)
    seconds = sum(clip.seconds for clip in lane.scenario.clips)
    console.print(f"[bold]{gate_id}[/bold] — vehicle barrier, cars from the plate scenes "
                  f"({seconds:.0f} s); {lane.load_directory(community if central else None)}")
    return lane


def run_demo(
    scenario: str, duration_seconds: float | None, data_dir: Path | None,
    door_backend: str = "sim", central: bool = True,
) -> int:
    """Run the demo; returns 0 when every arrival was decided right and every log verifies.

    With `central`, the aggregator runs too, residents are enrolled there and synced down,
    and a second gate (over a simulated OSDP board) plays the `faults` scenario beside it.
    """
    console = Console(width=None if sys.stdout.isatty() else 120)
    if scenario == "list":
        for name in SCENARIOS:
            console.print(name)
        return 0
    configure_logging("WARNING", json_format=True)
    story = build_scenario(scenario)
    stories = [("demo-ped-1", story, door_backend)]
    if central:
        second = build_scenario("faults") if faces_dir() is not None else story
        stories.append(("demo-ped-2", second, "osdp"))
    with tempfile.TemporaryDirectory(prefix="gate-demo-") as tmp:
        folder = Path(data_dir or tmp)
        community = None
        credentials: dict[str, tuple[str, str]] = {}
        if central:
            from hw_sim.community import SimulatedCommunity

            community = SimulatedCommunity(folder / "aggregator")
            for gate_id, _, _ in stories:
                credentials[gate_id] = (community.url,
                                        community.register_gate(gate_id, f"{gate_id} (demo)"))
            community.enrol(story.enrolees)
            console.print(f"[bold]security console[/bold]: {community.url}/  "
                          "login [bold]admin / admin-demo-pass[/bold] "
                          "(also security / security-demo-pass, guard / guard-demo-pass)")
        lanes: list[DemoLane | VehicleDemoLane] = []
        guard_ui = None
        try:
            vehicle = _vehicle_lane(console, folder, community, central)
            if vehicle is not None:
                lanes.append(vehicle)
            for gate_id, lane_story, backend in stories:
                lane = DemoLane(console, gate_id, lane_story, folder / gate_id, backend,
                                credentials.get(gate_id))
                lanes.append(lane)
                console.print(f"[bold]{gate_id}[/bold] — scenario [bold]{lane_story.name}"
                              f"[/bold]: {lane_story.description} ({lane_story.seconds:.0f} s); "
                              f"{lane.load_residents()}; recogniser {lane.gate.recogniser.name}, "
                              f"liveness {lane.config.face.liveness.type}")
            pedestrian = next(lane for lane in lanes if isinstance(lane, DemoLane))
            guard_ui = start_demo_guard_ui(pedestrian.gate)
            console.print(f"[bold]guard touch UI[/bold] ({pedestrian.config.gate_id}): "
                          f"{guard_ui.url}  guard [bold]{DEMO_GUARD[1]}[/bold], PIN "
                          f"[bold]{DEMO_GUARD[2]}[/bold]")
            for lane in lanes:
                lane.start(duration_seconds)
            results = [lane.finish(console) for lane in lanes]
            if community is not None:
                for gate_id in [lane.config.gate_id for lane in lanes]:
                    console.print(f"aggregator holds {community.central_events(gate_id)} events "
                                  f"of {gate_id}")
                if sys.stdin.isatty():
                    console.input(f"security console still at {community.url}/ — "
                                  "press Enter to stop ")
        finally:
            if guard_ui is not None:
                guard_ui.stop()
            if community is not None:
                community.close()
        return 0 if all(results) else 1
