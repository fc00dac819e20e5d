"""The sync thread: pull the delta since the applied version, apply it, remember the version."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from gate.directory.store import DirectoryStore
from gate.sync.apply import ApplyReport, PinSaltChangedError, apply_delta
from gate.uplink.client import AggregatorClient, UplinkError
from gate.uplink.sender import backoff_delay
from gate.uplink.state import UplinkState

logger = logging.getLogger(__name__)


class DirectorySync:
    """Keeps the local directory in step with the aggregator; offline, the last copy stays."""

    def __init__(self, directory: DirectoryStore, state: UplinkState, client: AggregatorClient,
                 *, interval_seconds: float = 30.0, backoff_max: float = 300.0,
                 on_applied: Callable[[ApplyReport], None] | None = None) -> None:
        self.directory = directory
        self.state = state
        self.client = client
        self.interval_seconds = interval_seconds
        self.backoff_max = backoff_max
        self.on_applied = on_applied
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sync_once(self) -> ApplyReport | None:
        """Pull and apply one delta; None when there was nothing new."""
        since = self.state.get("sync_version")
        delta = self.client.sync(since)
        if not delta.full and delta.to_version <= since:
            return None
        try:
            report = apply_delta(self.directory, delta)
        except PinSaltChangedError:
            logger.warning("the community PIN salt changed; pulling a full copy")
            delta = self.client.sync(0)
            report = apply_delta(self.directory, delta)
        self.state.set("sync_version", delta.to_version)
        logger.info("directory synced to central version %d (%d changed, %d removed)",
                    delta.to_version, report.upserted, report.deleted)
        if self.on_applied is not None:
            self.on_applied(report)
        return report

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="directory-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.sync_once()
                failures = 0
                wait = self.interval_seconds
            except UplinkError as err:
                failures += 1
                if failures == 1:
                    logger.warning("directory sync failed (%s); keeping the last copy", err)
                wait = backoff_delay(failures, 1.0, self.backoff_max)
            except Exception:  # noqa: BLE001 - an invalid delta must not kill the thread
                failures += 1
                logger.exception("directory delta rejected; keeping the last copy")
                wait = backoff_delay(failures, 1.0, self.backoff_max)
            self._stop.wait(wait)
