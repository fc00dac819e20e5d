"""The gate's local directory: who may enter, stored in SQLite, read as policy snapshots."""

from gate.directory.store import DirectoryError, DirectoryStore, UnknownPersonError

__all__ = ["DirectoryError", "DirectoryStore", "UnknownPersonError"]
