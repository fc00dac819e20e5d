"""Exception hierarchy of the aggregator: one root, leaves that also subclass a builtin."""

from __future__ import annotations


class AggregatorError(Exception):
    """Root of every error the aggregator raises on purpose."""


class SettingsError(AggregatorError, ValueError):
    """The aggregator's settings are unusable (placeholder secret outside demo mode, bad URL)."""


class StorageError(AggregatorError, RuntimeError):
    """The database could not be opened, migrated or written."""


class EnrolmentError(AggregatorError, ValueError):
    """An uploaded photo cannot give a face template (no face, several faces, unreadable)."""
