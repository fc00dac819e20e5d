"""Run the retention rules periodically: expired snapshots and old events are really deleted."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from gate.eventlog.retention import RetentionReport

logger = logging.getLogger(__name__)


class RetentionJob:
    """Calls `run` at start and then every `interval_seconds` on a daemon thread."""

    def __init__(
        self, run: Callable[[], RetentionReport], interval_seconds: float = 3600.0
    ) -> None:
        self._run = run
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_report: RetentionReport | None = None

    def run_once(self) -> RetentionReport | None:
        """One pass now; an error is logged and retried at the next interval."""
        try:
            self.last_report = self._run()
        except Exception:  # noqa: BLE001 - a failed pass must not stop later ones
            logger.exception("retention pass failed; will retry")
            return None
        return self.last_report

    def start(self) -> None:
        """Start the periodic thread (idempotent)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval_seconds)

    def stop(self) -> None:
        """Stop the thread, if running."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)
