"""Retention: delete snapshots after their period and events after theirs, keeping the chain whole.

Run periodically by the controller (e.g. hourly). Snapshots are marked purged in the log *before*
their files are deleted, so a crash in between only leaves files that the next run deletes; events
are removed as a prefix of the chain with a checkpoint (see ``EventLog.purge_events_before``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from gate.eventlog.snapshots import SnapshotStore
from gate.eventlog.store import EventLog

logger = logging.getLogger(__name__)

MIN_EVENT_RETENTION_DAYS = 180
"""Access records must be kept at least this long (GB 50396); shorter settings are refused."""


@dataclass(frozen=True)
class RetentionReport:
    """What one retention run removed."""

    snapshots_deleted: int
    snapshot_events_marked: int
    events_purged: int
    checkpoint_sequence: int | None


def enforce_retention(
    log: EventLog,
    snapshots: SnapshotStore,
    event_days: int,
    *,
    max_sequence: int | None = None,
) -> RetentionReport:
    """Delete expired snapshots, then events older than `event_days`.

    `max_sequence` bounds the event purge (the uplink passes the last sequence the aggregator
    acknowledged, so nothing is deleted before it was shipped).
    """
    if event_days < MIN_EVENT_RETENTION_DAYS:
        raise ValueError(f"events must be kept at least {MIN_EVENT_RETENTION_DAYS} days")
    expired = snapshots.expired_refs()
    marked = log.mark_snapshots_purged(expired)
    deleted = snapshots.delete(expired)
    purge = log.purge_events_before(
        log.clock.now() - timedelta(days=event_days), max_sequence=max_sequence
    )
    report = RetentionReport(
        snapshots_deleted=deleted,
        snapshot_events_marked=marked,
        events_purged=purge.events_purged,
        checkpoint_sequence=purge.checkpoint.sequence if purge.checkpoint else None,
    )
    if deleted or purge.events_purged:
        logger.info(
            "retention: %d snapshots and %d events deleted", deleted, purge.events_purged
        )
    return report
