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

from rich.console import Console
from rich.table import Table

from gate.clock import SystemClock
from gate.config.loader import load_config
from gate.controller import DecisionReport
from gate.directory.store import DirectoryStore
from gate.door.state_machine import DoorEvent
from gate.enrolment import template_from_image
from gate.errors import EnrolmentError
from gate.eventlog.verify import verify_log
from gate.logging_setup import configure_logging
from gate.policy.model import Group, Person
from gate.policy.schedule import always_open
from gate.privacy import mask_name
from gate.runtime import DB_NAME, build_gate
from gate.vision.detection import HogFaceDetector
from gate.vision.recognisers.base import Recogniser
from hw_sim.datasets import PROJECT_ROOT
from hw_sim.door_physics import SimDoor
from hw_sim.replay_camera import ReplayCamera
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

    def __init__(self, console: Console, camera: ReplayCamera, names: dict[str, str]) -> None:
        self.console = console
        self.camera = camera
        self.names = names
        self.started = time.monotonic()
        self.rows: list[tuple[str, str, DecisionReport]] = []

    def _t(self) -> str:
        return f"[dim]{time.monotonic() - self.started:6.2f}s[/dim]"

    def decision(self, report: DecisionReport) -> None:
        clip = self.camera.clip_for(report.outcome.frame)
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


def summary_table(scenario: Scenario, rows: list[tuple[str, str, DecisionReport]]) -> Table:
    """One row per arrival: what a correct gate does, what this one did, how fast."""
    table = Table(title=f"gate demo — scenario `{scenario.name}`")
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


def run_demo(
    scenario: str, duration_seconds: float | None, data_dir: Path | None,
    door_backend: str = "sim",
) -> int:
    """Run a scenario end to end on hw_sim; returns 0 when every arrival was decided right."""
    console = Console(width=None if sys.stdout.isatty() else 120)
    if scenario == "list":
        for name in SCENARIOS:
            console.print(name)
        return 0
    story = build_scenario(scenario)
    configure_logging("WARNING", json_format=True)
    with tempfile.TemporaryDirectory(prefix="gate-demo-") as tmp:
        folder = Path(data_dir or tmp)
        config = load_config(DEMO_CONFIG).model_copy(deep=True)
        config.storage.data_dir = folder
        console.print(f"[bold]gate demo[/bold] — scenario [bold]{story.name}[/bold]: "
                      f"{story.description} ({story.seconds:.0f} s)")
        camera = ReplayCamera(story.clips, realtime=True, outage=story.camera_outage,
                              corrupt_frame_indices=story.corrupt_frames)
        clock = SystemClock()
        board = None
        if door_backend == "osdp":
            from hw_sim.osdp_board import board_config, open_simulated_osdp_door

            board, hardware = open_simulated_osdp_door(config.door.fail_mode, clock=clock)
            config.door.backend = board_config(board)
            door = board.door  # the same door physics, behind the board's relay
            console.print(f"door over OSDP on {board.port}, secure channel "
                          f"{'up' if hardware.wait_online(5) else 'DOWN'}")
        else:
            door = SimDoor(clock, fail_mode=config.door.fail_mode)
            hardware = door.hardware
        names = {e.person_id: e.display_name for e in story.enrolees}
        display = DemoDisplay(console, camera, names)

        def on_decision(report: DecisionReport) -> None:
            display.decision(report)
            if report.decision.granted:
                door.person_walks_through(after_seconds=0.6, pass_seconds=1.5)

        gate = build_gate(config, camera=camera, door_hardware=hardware, clock=clock,
                          on_decision=on_decision, on_door_event=display.door)
        templates = enrol_scenario(gate.stores.directory, gate.recogniser, story.enrolees)
        gate.reload_gallery()
        console.print(f"enrolled {len(story.enrolees)} residents ({templates} face templates, "
                      f"recogniser {gate.recogniser.name}, liveness {config.face.liveness.type})")
        stop = threading.Event()
        actions = threading.Thread(target=_run_door_actions,
                                   args=(story.door_actions, door, stop), daemon=True)
        door.start()
        gate.door.start()
        display.started = time.monotonic()
        actions.start()
        try:
            gate.controller.run(duration_seconds)
            time.sleep(min(2.0, config.door.unlock_seconds))  # let the last pulse end
        finally:
            stop.set()
            gate.close()
            door.stop()
            if board is not None:
                board.close()
        console.print(summary_table(story, display.rows))
        report = verify_log(folder / DB_NAME)
        console.print(f"event log: {report.events_checked} events, hash chain "
                      f"{'verifies' if report.ok else 'BROKEN'}; "
                      f"relay pulses: {sum(1 for _, on in door.relay_history if on)}; "
                      f"frames processed: {gate.controller.frames_processed}")
        wrong = [r for name, expect, r in display.rows
                 if ("granted" if r.decision.granted else "denied") != expect]
        return 1 if wrong or not report.ok else 0
