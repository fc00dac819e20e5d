"""Durable, hash-chained local event log of the gate, its face-crop snapshots and retention."""

from gate.eventlog.chain import GENESIS_HASH, EventRecord, compute_hash
from gate.eventlog.retention import RetentionReport, enforce_retention
from gate.eventlog.snapshots import InvalidSnapshotRefError, SnapshotStore
from gate.eventlog.store import Checkpoint, EventLog, PurgeResult
from gate.eventlog.verify import VerifyReport, verify_log, verify_log_command

__all__ = [
    "GENESIS_HASH",
    "Checkpoint",
    "EventLog",
    "EventRecord",
    "InvalidSnapshotRefError",
    "PurgeResult",
    "RetentionReport",
    "SnapshotStore",
    "VerifyReport",
    "compute_hash",
    "enforce_retention",
    "verify_log",
    "verify_log_command",
]
