"""Deliver visitor registrations to the aggregator, oldest first, until each is stored there.

A registration counts at the gate at once (it is in the local directory); the aggregator
needs it so that the community's other gates receive it at their next sync. Delivery is
idempotent on the aggregator's side (keyed by person id), so a lost reply is simply resent.

A registration the aggregator refuses (a 4xx about this row: the pass PIN is taken at
another gate, the unit is unknown there, the plate belongs to someone else) would be refused
again: it leaves the queue at once, loses its phone, face and consent, and raises a
`visitor_delivery_refused` alarm in the gate's log for the guard and the operator. The
visitor keeps their pass at this gate until it ends. A refused PIN is not swapped for a
fresh one: the visitor already holds the printed PIN, which would then stop working here.
Before each pass, queued rows whose visit has ended are stripped (`GuardStore.end_visits`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from gate.eventlog.store import EventLog
from gate.guard.actions import DELIVERY_REFUSED
from gate.guard.store import GuardStore
from gate.uplink.client import UplinkError, UplinkRejectedError
from gate.uplink.sender import RetryLoop

logger = logging.getLogger(__name__)

Post = Callable[[dict[str, Any]], None]
# Replies about the gate or the aggregator, not about one row: keep the row, retry later.
NOT_ABOUT_THE_ROW = frozenset({401, 403, 404, 405, 408, 425, 429})


class VisitorOutbox(RetryLoop):
    """A thread that drains the guard outbox through `post` (e.g. `client.send_visitor`);
    `notify()` when something was queued, to send it now rather than at the next poll."""

    name = "visitor-outbox"
    notify_ends_backoff = True  # a new registration is worth a try even while backing off

    def __init__(self, store: GuardStore, post: Post, idle_seconds: float = 5.0,
                 backoff_max: float = 120.0, event_log: EventLog | None = None) -> None:
        super().__init__(idle_seconds, backoff_initial=1.0, backoff_max=backoff_max)
        self._store = store
        self._post = post
        self._event_log = event_log

    def drain_once(self) -> int:
        """Send what is pending; returns how many were delivered. UplinkError propagates."""
        self._store.end_visits()
        sent = 0
        for outbox_id, _kind, payload in self._store.pending():
            try:
                self._post(payload)
            except UplinkRejectedError as err:
                if err.status in NOT_ABOUT_THE_ROW:
                    raise UplinkError(f"aggregator refused the gate ({err.status})") from err
                self._refused(outbox_id, payload, err.status)
                continue
            self._store.delivered(outbox_id)
            sent += 1
        return sent

    def _refused(self, outbox_id: int, payload: dict[str, Any], status: int) -> None:
        """Take the row out of the queue and tell the guard; the reply text is not kept (a
        422 quotes the refused values, phone included)."""
        self._store.refused(outbox_id, f"HTTP {status}")
        logger.error("aggregator refused visitor registration %d (HTTP %d); alarm raised",
                     outbox_id, status)
        if self._event_log is not None:
            self._event_log.append(DELIVERY_REFUSED, subject=payload.get("person_id"),
                                   reason=f"http_{status}",
                                   evidence={"outbox_id": outbox_id, "status": status,
                                             "alarm": True})

    def _once(self) -> bool:
        self.drain_once()
        return False  # everything pending was tried: wait for the next poll or notify
