"""Helper process for the kill -9 test: append events as fast as possible, forever.

Usage: python tests/system/event_log_writer.py DB [THREADS]

Prints ``ready`` once the log is open, then one line per event *after* ``append`` returned, i.e.
after the event was durably committed. Two threads append at once, as the door ticker and the
vision loop do in the gate. It never exits on its own; the test kills it with SIGKILL.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from gate.clock import SystemClock
from gate.eventlog import EventLog

GATE_ID = "kill9-gate"


def main(argv: list[str]) -> None:
    path = Path(argv[1])
    thread_count = int(argv[2]) if len(argv) > 2 else 2
    log = EventLog(path, GATE_ID, SystemClock())
    output_lock = threading.Lock()
    print("ready", flush=True)

    def append_forever(name: str) -> None:
        count = 0
        while True:
            count += 1
            record = log.append(
                "decision", subject=name, decision="grant", reason="match",
                evidence={"count": count, "distance": 0.42, "frames": [1, 2, 3]},
            )
            with output_lock:
                sys.stdout.write(f"{record.sequence}\n")
                sys.stdout.flush()

    threads = [
        threading.Thread(target=append_forever, args=(f"writer-{index}",), daemon=True)
        for index in range(thread_count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main(sys.argv)
