"""Pulling the central directory into the gate: versioned deltas applied atomically."""

from gate.sync.apply import ApplyReport, apply_delta
from gate.sync.puller import DirectorySync

__all__ = ["ApplyReport", "DirectorySync", "apply_delta"]
