"""Deliver visitor registrations to the aggregator, oldest first, until each is stored there.

A registration counts at the gate at once (it is in the local directory); the aggregator
needs it so that the community's other gates receive it at their next sync. Delivery is
idempotent on the aggregator's side (keyed by person id), so a lost reply is simply resent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from gate.guard.store import GuardStore
from gate.uplink.client import UplinkError, UplinkRejectedError
from gate.uplink.sender import backoff_delay

logger = logging.getLogger(__name__)

Post = Callable[[dict[str, Any]], None]


class VisitorOutbox:
    """A thread that drains the guard outbox through `post` (e.g. `client.send_visitor`)."""

    def __init__(self, store: GuardStore, post: Post, idle_seconds: float = 5.0,
                 backoff_max: float = 120.0) -> None:
        self._store = store
        self._post = post
        self._idle_seconds = idle_seconds
        self._backoff_max = backoff_max
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """Something was queued: send now rather than at the next poll."""
        self._wake.set()

    def drain_once(self) -> int:
        """Send what is pending; returns how many were delivered. UplinkError propagates."""
        sent = 0
        for outbox_id, _kind, payload in self._store.pending():
            try:
                self._post(payload)
            except UplinkRejectedError as err:
                # A 4xx will not heal by retrying the same body; keep it for an operator.
                self._store.failed(outbox_id, str(err))
                logger.error("aggregator refused visitor registration %d: %s", outbox_id,
                             err.reason)
                continue
            self._store.delivered(outbox_id)
            sent += 1
        return sent

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="visitor-outbox", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.drain_once()
                failures, wait = 0, self._idle_seconds
            except UplinkError as err:
                failures += 1
                if failures == 1:
                    logger.warning("visitor registrations not delivered (%s); will retry", err)
                wait = backoff_delay(failures, 1.0, self._backoff_max)
            except Exception:  # noqa: BLE001 - the thread must outlive one bad row
                failures += 1
                logger.exception("visitor outbox failed; will retry")
                wait = backoff_delay(failures, 1.0, self._backoff_max)
            self._wake.wait(wait)
            self._wake.clear()
