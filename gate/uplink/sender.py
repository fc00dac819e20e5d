"""Sender threads: events in batches, then snapshots, with exponential back-off and jitter.

The event log is the outbox. The sender reads ``events_after(ack_sequence)``, posts them, and
only after the aggregator answered moves ``ack_sequence`` forward. Killed at any moment, it
re-sends at most one batch, which the aggregator recognises by event id. An outage of any
length only grows the backlog; nothing is dropped (retention never purges past the ack: pass
``state.get("ack_sequence")`` as ``max_sequence`` to ``enforce_retention``).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from pathlib import Path

from gate.eventlog.snapshots import InvalidSnapshotRefError, SnapshotStore
from gate.eventlog.store import EventLog
from gate.uplink.client import AggregatorClient, UplinkError, UplinkRejectedError
from gate.uplink.state import UplinkState

logger = logging.getLogger(__name__)


def backoff_delay(failures: int, initial: float, cap: float,
                  rand: Callable[[], float] = random.random) -> float:
    """Delay before retry number `failures` (1, 2, ...): exponential, capped, "equal jitter".

    Half the exponential step is fixed and half random, so gates that lost the aggregator at
    the same moment do not all come back in the same second.
    """
    step = min(cap, initial * 2 ** max(0, failures - 1))
    return step / 2 + rand() * step / 2


class RetryLoop:
    """A daemon thread running `_once` until stopped, backing off after failures.

    `notify()` wakes an idle loop at once; with `notify_ends_backoff` it also cuts a back-off
    short (for rare, deliberate work such as a visitor just registered, not for every event).
    """

    name = "uplink"
    notify_ends_backoff = False

    def __init__(self, idle_seconds: float, backoff_initial: float, backoff_max: float) -> None:
        self._idle = idle_seconds
        self._initial = backoff_initial
        self._cap = backoff_max
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0
        self._was_failing = False

    def start(self) -> None:
        """Start the thread (once; a second call does nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def notify(self) -> None:
        """Wake the loop now (a new event was committed)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self._once()
            except UplinkError as err:
                self.failures += 1
                if not self._was_failing:  # log the state change once, not every retry
                    logger.warning("%s: %s; retrying with back-off", self.name, err)
                    self._was_failing = True
                self._back_off()
                continue
            except Exception:  # noqa: BLE001 - the thread must outlive any single bug
                logger.exception("%s: unexpected error; retrying", self.name)
                self.failures += 1
                self._back_off()
                continue
            if self._was_failing:
                logger.info("%s: aggregator reachable again", self.name)
                self._was_failing = False
            self.failures = 0
            if not busy:
                self._wake.wait(self._idle)
                self._wake.clear()

    def _back_off(self) -> None:
        delay = backoff_delay(self.failures, self._initial, self._cap)
        if self.notify_ends_backoff:
            self._wake.wait(delay)
            self._wake.clear()
        else:
            self._stop.wait(delay)

    def _once(self) -> bool:
        """One step; True when there may be more work right away."""
        raise NotImplementedError


class EventSender(RetryLoop):
    """Ships committed events in order, in batches of at most `batch_size`."""

    name = "uplink-events"

    def __init__(self, log: EventLog, state: UplinkState, client: AggregatorClient, *,
                 batch_size: int = 500, idle_seconds: float = 0.5,
                 heartbeat_seconds: float = 20.0, backoff_initial: float = 1.0,
                 backoff_max: float = 60.0, monotonic: Callable[[], float] | None = None) -> None:
        super().__init__(idle_seconds, backoff_initial, backoff_max)
        if not 1 <= batch_size <= 500:
            raise ValueError("batch_size must be within 1..500")
        self.log = log
        self.state = state
        self.client = client
        self.batch_size = batch_size
        self.heartbeat_seconds = heartbeat_seconds
        self._monotonic = monotonic or log.clock.monotonic
        self._last_contact = float("-inf")
        self.sent_batches = 0

    def send_pending(self) -> int:
        """Send one batch if any is pending; returns how many events were acknowledged."""
        ack = self.state.get("ack_sequence")
        records = self.log.events_after(ack, self.batch_size)
        if not records:
            if self._monotonic() - self._last_contact >= self.heartbeat_seconds:
                self.client.heartbeat()
                self._last_contact = self._monotonic()
            return 0
        try:
            result = self.client.send_events(self.log.gate_id, [r.to_wire() for r in records])
        except UplinkRejectedError as err:
            if err.status == 401:
                raise UplinkError(f"credential refused: {err.reason}") from err
            # A batch the aggregator cannot take would block the outbox for ever; keep
            # retrying slowly (the operator sees the warning and the backlog metric).
            raise
        self.state.set("ack_sequence", records[-1].sequence)
        self._last_contact = self._monotonic()
        self.sent_batches += 1
        if result.gaps or not result.chain_ok:
            logger.warning("aggregator reports gaps %s, chain_ok=%s", result.gaps,
                           result.chain_ok)
        return len(records)

    def backlog(self) -> int:
        """Events committed but not yet acknowledged."""
        return max(0, self.log.last_sequence() - self.state.get("ack_sequence"))

    def _once(self) -> bool:
        return self.send_pending() >= self.batch_size


class SnapshotUploader(RetryLoop):
    """Uploads the snapshot files of acknowledged events, apart from the event stream."""

    name = "uplink-snapshots"

    def __init__(self, log: EventLog, state: UplinkState, client: AggregatorClient,
                 snapshots: SnapshotStore, *, idle_seconds: float = 2.0,
                 backoff_initial: float = 1.0, backoff_max: float = 60.0) -> None:
        super().__init__(idle_seconds, backoff_initial, backoff_max)
        self.log = log
        self.state = state
        self.client = client
        self.directory = Path(snapshots.directory)
        self.uploaded = 0

    def upload_pending(self, limit: int = 50) -> int:
        """Upload snapshots of up to `limit` events after the snapshot mark; returns how many."""
        done = self.state.get("snapshot_sequence")
        ack = self.state.get("ack_sequence")  # events first: never a snapshot without its event
        records = [r for r in self.log.events_after(done, limit) if r.sequence <= ack]
        count = 0
        for record in records:
            if record.snapshot_ref:
                path = self.directory / record.snapshot_ref
                try:
                    data = path.read_bytes()
                except (OSError, InvalidSnapshotRefError):
                    data = None  # purged by retention before it could be sent
                if data is not None:
                    try:
                        self.client.put_snapshot(record.snapshot_ref, data)
                    except UplinkRejectedError as err:
                        if err.status == 401:
                            raise
                        logger.warning("snapshot of event %d refused: %s", record.sequence, err)
                    count += 1
            self.state.set("snapshot_sequence", record.sequence)
        self.uploaded += count
        return len(records)

    def _once(self) -> bool:
        return self.upload_pending() > 0
