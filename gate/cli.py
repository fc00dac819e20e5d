"""`gate` command line: demo, run, check-config, enroll, verify-log, eval, bench."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from gate.errors import ConfigError, GateError

EXIT_CONFIG = 2


def _cmd_check_config(args: argparse.Namespace) -> int:
    from gate.config import load_config
    from gate.safety import config_warnings

    status = 0
    for path in args.files:
        try:
            config = load_config(path)
        except ConfigError as err:
            print(f"INVALID {err}", file=sys.stderr)
            status = EXIT_CONFIG
            continue
        print(f"OK {path} (gate {config.gate_id})")
        for warning in config_warnings(config):
            print(f"WARNING {path}: {warning}")
    return status


def _cmd_run(args: argparse.Namespace) -> int:
    from gate.config import load_config
    from gate.runtime import run_gate

    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"INVALID {err}", file=sys.stderr)
        return EXIT_CONFIG
    return run_gate(config, duration_seconds=args.duration)


def _cmd_demo(args: argparse.Namespace) -> int:
    from gate.demo import run_demo

    return run_demo(scenario=args.scenario, duration_seconds=args.duration, data_dir=args.data_dir,
                    door_backend=args.door, central=not args.standalone)


def _cmd_enroll(args: argparse.Namespace) -> int:
    from gate.config import load_config
    from gate.enrolment import enroll_command

    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"INVALID {err}", file=sys.stderr)
        return EXIT_CONFIG
    return enroll_command(
        config, person_id=args.person_id, name=args.name, unit=args.unit,
        groups=args.group or [], photos=[Path(p) for p in args.photo],
    )


def _cmd_verify_log(args: argparse.Namespace) -> int:
    from gate.eventlog.verify import verify_log_command

    return verify_log_command(Path(args.db), args.json)


def _cmd_eval_faces(args: argparse.Namespace) -> int:
    from gate.eval.faces import eval_faces_command

    return eval_faces_command(Path(args.dir), args.json, args.recogniser, curve=args.curve)


def _cmd_eval_plates(args: argparse.Namespace) -> int:
    from gate.eval.plates import eval_plates_command

    return eval_plates_command(Path(args.dir), args.json)


def _cmd_bench_plate(args: argparse.Namespace) -> int:
    from gate.bench.plate import bench_plate_command

    return bench_plate_command(as_json=args.json, arrivals=args.arrivals)


def _cmd_bench_face(args: argparse.Namespace) -> int:
    from gate.bench.face import bench_face_command

    return bench_face_command(as_json=args.json, quick=args.quick)


def _cmd_bench_visitor(args: argparse.Namespace) -> int:
    from gate.bench.visitor import bench_visitor_command

    return bench_visitor_command(as_json=args.json, runs=args.runs)


def _cmd_guard_add(args: argparse.Namespace) -> int:
    import getpass

    from gate.clock import SystemClock
    from gate.config import load_config
    from gate.guard.store import GuardAccountError, GuardStore

    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"INVALID {err}", file=sys.stderr)
        return EXIT_CONFIG
    pin = args.pin or getpass.getpass("PIN (4 to 8 digits): ")
    data_dir = Path(config.storage.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = GuardStore(data_dir / "gate.db", SystemClock())
    try:
        account = store.add_guard(args.guard_id, args.name, pin)
    except GuardAccountError as err:
        print(f"refused: {err}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"guard {account.guard_id} ({account.display_name}) can sign in at the gate")
    return 0


def _cmd_bench_aggregator(args: argparse.Namespace) -> int:
    from aggregator.bench import aggregator_bench_command

    return aggregator_bench_command(args.db, args.events, args.json)


def _cmd_bench_bridge(args: argparse.Namespace) -> int:
    from gate.bench.bridge import bench_bridge_command

    return bench_bridge_command(as_json=args.json, samples=args.samples)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `gate` command."""
    parser = argparse.ArgumentParser(prog="gate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="simulated pedestrian gate on hw_sim, no hardware needed")
    demo.add_argument("--scenario", default="pedestrian",
                      help="scenario name (see `gate demo --scenario list`)")
    demo.add_argument("--duration", type=float, default=None,
                      help="stop after this many seconds (default: when the scenario ends)")
    demo.add_argument("--door", choices=("sim", "osdp"), default="sim",
                      help="sim: GPIO pins on MockFactory; osdp: a simulated OSDP board on a pty")
    demo.add_argument("--standalone", action="store_true",
                      help="one gate, no aggregator (residents enrolled on the gate itself)")
    demo.add_argument("--data-dir", type=Path, default=None,
                      help="keep the demo's database here (default: a temporary folder)")
    demo.set_defaults(func=_cmd_demo)

    run = sub.add_parser("run", help="run a real gate (camera + GPIO) from a config file")
    run.add_argument("--config", required=True, type=Path)
    run.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    run.set_defaults(func=_cmd_run)

    check = sub.add_parser("check-config", help="validate config files (exit 2 on error)")
    check.add_argument("files", nargs="+", type=Path)
    check.set_defaults(func=_cmd_check_config)

    enroll = sub.add_parser("enroll", help="add a resident with one or more photos")
    enroll.add_argument("--config", required=True, type=Path)
    enroll.add_argument("--person-id", default=None, help="stable id (default: derived)")
    enroll.add_argument("--name", required=True)
    enroll.add_argument("--unit", required=True, help="household, e.g. 3-2-1201")
    enroll.add_argument("--group", action="append", help="access group (repeatable)")
    enroll.add_argument("--photo", action="append", required=True, help="photo file (repeatable)")
    enroll.set_defaults(func=_cmd_enroll)

    verify = sub.add_parser("verify-log", help="check the event log's hash chain")
    verify.add_argument("db", help="path to the gate's gate.db")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=_cmd_verify_log)

    evaluate = sub.add_parser("eval", help="measure recognition accuracy")
    eval_sub = evaluate.add_subparsers(dest="what", required=True)
    faces = eval_sub.add_parser("faces", help="faces dataset in ../shared/data/faces format")
    faces.add_argument("dir")
    faces.add_argument("--json", action="store_true")
    faces.add_argument("--recogniser", default=None, help="dlib or sface (default: the gate's)")
    faces.add_argument("--curve", action="store_true",
                       help="also print the correct-vs-stranger accept trade-off tables")
    faces.set_defaults(func=_cmd_eval_faces)
    plates = eval_sub.add_parser("plates", help="plates dataset in ../shared/data/plates format")
    plates.add_argument("dir")
    plates.add_argument("--json", action="store_true")
    plates.set_defaults(func=_cmd_eval_plates)

    bench = sub.add_parser("bench", help="measure speed")
    bench_sub = bench.add_subparsers(dest="what", required=True)
    face = bench_sub.add_parser("face", help="per-stage ms and arrival-to-unlock latency")
    face.add_argument("--json", action="store_true")
    face.add_argument("--quick", action="store_true", help="fewer arrivals (for CI)")
    face.set_defaults(func=_cmd_bench_face)
    plate = bench_sub.add_parser("plate", help="per-stage ms and arrival-to-lift latency "
                                 "of the vehicle gate (one core)")
    plate.add_argument("--json", action="store_true")
    plate.add_argument("--arrivals", type=int, default=24, help="simulated car arrivals")
    plate.set_defaults(func=_cmd_bench_plate)
    bridge = bench_sub.add_parser("bridge", help="OSDP board: grant-to-relay and card-to-"
                                  "decision latency, offline detection (simulated board)")
    bridge.add_argument("--json", action="store_true")
    bridge.add_argument("--samples", type=int, default=40, help="grants and cards to time")
    bridge.set_defaults(func=_cmd_bench_bridge)
    visitor = bench_sub.add_parser("visitor", help="guard registers a visitor (captured face) "
                                   "-> that visitor granted at the simulated gate")
    visitor.add_argument("--json", action="store_true")
    visitor.add_argument("--runs", type=int, default=5, help="registrations to time")
    visitor.set_defaults(func=_cmd_bench_visitor)
    agg = bench_sub.add_parser("aggregator", help="ingest rate, query p95, gate-to-central latency")
    agg.add_argument("--db", default="sqlite", help="`sqlite` or a postgresql+psycopg:// URL")
    agg.add_argument("--events", type=int, default=100_000, help="rows to load (N)")
    agg.add_argument("--json", action="store_true")
    agg.set_defaults(func=_cmd_bench_aggregator)
    guard = sub.add_parser("guard", help="guard accounts of the touch UI")
    guard_sub = guard.add_subparsers(dest="what", required=True)
    guard_add = guard_sub.add_parser("add", help="create (or reset) a guard account")
    guard_add.add_argument("--config", required=True, type=Path)
    guard_add.add_argument("--guard-id", required=True, help="e.g. g-wang")
    guard_add.add_argument("--name", required=True, help="shown on the sign-in screen")
    guard_add.add_argument("--pin", default=None, help="4 to 8 digits (asked when omitted)")
    guard_add.set_defaults(func=_cmd_guard_add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `gate` console script."""
    args = build_parser().parse_args(argv)
    from gate.logging_setup import configure_logging

    configure_logging()
    try:
        return int(args.func(args))
    except GateError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def print_json(payload: object) -> None:
    """Print a JSON document for benchmark and eval commands."""
    print(json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=False))


if __name__ == "__main__":
    sys.exit(main())
