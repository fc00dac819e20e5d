"""Shipping the gate's event log to the aggregator: the log itself is the outbox."""

from gate.uplink.client import AggregatorClient, UplinkError, UplinkRejectedError
from gate.uplink.sender import EventSender, SnapshotUploader, backoff_delay
from gate.uplink.state import UplinkState

__all__ = [
    "AggregatorClient",
    "EventSender",
    "SnapshotUploader",
    "UplinkError",
    "UplinkRejectedError",
    "UplinkState",
    "backoff_delay",
]
