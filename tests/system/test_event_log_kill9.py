"""A kill -9 at any moment loses no committed event and leaves a log that verifies."""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from gate.eventlog import verify_log

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("event_log_writer.py")
ROUNDS = 5


def start_writer(db_path: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(db_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )


def read_line(process: subprocess.Popen[str], timeout_s: float) -> str:
    """One line of the writer's stdout, failing (not hanging) if none comes in time."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout_s)
    assert ready, "the writer printed nothing in time"
    line = process.stdout.readline()
    assert line, f"the writer exited early: {process.stderr.read() if process.stderr else ''}"
    return line.strip()


def stored_sequences(db_path: Path) -> list[int]:
    db = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute("SELECT sequence FROM events ORDER BY sequence")]
    finally:
        db.close()


def test_kill_9_at_random_moments_loses_no_committed_event(tmp_path: Path):
    seed = int(os.environ.get("GATE_KILL9_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    db_path = tmp_path / "gate.db"
    printed: list[int] = []

    for round_number in range(ROUNDS):
        writer = start_writer(db_path)
        try:
            assert read_line(writer, 60.0) == "ready"
            first = int(read_line(writer, 30.0))  # appending has started
            time.sleep(rng.uniform(0.0, 0.4))
            writer.send_signal(signal.SIGKILL)
            rest, _ = writer.communicate(timeout=30)
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
        assert writer.returncode == -signal.SIGKILL
        this_round = [first] + [int(line) for line in rest.split()]
        assert not printed or first > max(printed), "the sequence went back after a restart"
        printed.extend(this_round)

        stored = stored_sequences(db_path)
        missing = sorted(set(printed) - set(stored))
        assert not missing, f"seed {seed}, round {round_number}: committed events lost: {missing}"
        assert stored == list(range(1, len(stored) + 1)), f"seed {seed}: sequence has a gap"
        report = verify_log(db_path)
        assert report.ok, f"seed {seed}, round {round_number}: {report.problems}"

    assert len(printed) == len(set(printed)), "a sequence was handed out twice"
