"""What the directory's mixins use of `DirectoryStore`, declared once for type checkers."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.clock import Clock


class StoreAccess:
    """Base of the mixins: the store's connection helpers (defined in `DirectoryStore`)."""

    if TYPE_CHECKING:
        _write: Callable[[], AbstractContextManager[sqlite3.Connection]]
        _execute: Callable[..., sqlite3.Cursor]
        _read_one: Callable[..., tuple]
        _read_all: Callable[..., list[tuple]]
        _person_exists: Callable[[sqlite3.Connection, str], bool]
        _clock: Clock
