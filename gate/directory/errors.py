"""Errors of the gate's local directory."""

from __future__ import annotations

from gate.errors import GateError


class DirectoryError(GateError, RuntimeError):
    """The directory database cannot be opened, read or written, or holds an invalid row."""


class UnknownPersonError(GateError, LookupError):
    """A change refers to a person (or visitor pass) the directory does not hold."""
