"""Directory changes central sync needs beyond everyday CRUD: remove a visitor pass or a card,
list what is held, store PIN hashes made by the aggregator and adopt the community PIN salt.

A mixin of `DirectoryStore` (kept apart so store.py stays one screenful of CRUD); every method
is one `_write()`, so inside `DirectoryStore.batch()` it joins the sync's single transaction.
"""

from __future__ import annotations

import json
import logging
import re

from gate.directory import rows
from gate.directory.access import StoreAccess
from gate.directory.credential_rows import CredentialError, CredentialType, normalise_card
from wire.pins import PIN_HASH_PATTERN

logger = logging.getLogger(__name__)

_PIN_HASH = re.compile(PIN_HASH_PATTERN)
_SALT = re.compile(r"^[0-9a-f]{32}$")


class SyncedDirectoryMixin(StoreAccess):
    """Mixed into `DirectoryStore`; relies on its `_write`, `_execute`, `_read_one` and
    `_read_all`."""


    def delete_visitor(self, person_id: str) -> bool:
        """Remove a visitor pass (the person row stays); False if there was none."""
        with self._write() as conn:
            sql = "DELETE FROM dir_visitors WHERE person_id = ?"
            return self._execute(conn, sql, (person_id,)).rowcount > 0

    def delete_card(self, card_number: str) -> bool:
        """Remove one card whoever holds it; False if it was not enrolled (or malformed)."""
        try:
            value = normalise_card(card_number)
        except CredentialError:
            return False
        with self._write() as conn:
            sql = "DELETE FROM dir_credentials WHERE kind = ? AND value = ?"
            return self._execute(conn, sql, (CredentialType.CARD.value, value)).rowcount > 0

    def cards(self) -> dict[str, str]:
        """Every enrolled card number and its holder (for a full sync to compare)."""
        sql = "SELECT value, person_id FROM dir_credentials WHERE kind = ?"
        return dict(self._read_all(sql, (CredentialType.CARD.value,)))

    def face_template_holders(self) -> set[str]:
        """People who have a face template of any recogniser (for the end of a visit)."""
        return {row[0] for row in self._read_all(
            "SELECT DISTINCT person_id FROM dir_face_templates")}

    def pin_holders(self) -> set[str]:
        """People who have a PIN."""
        sql = "SELECT DISTINCT person_id FROM dir_credentials WHERE kind = ?"
        return {row[0] for row in self._read_all(sql, (CredentialType.PIN.value,))}

    def set_pin_hash(self, person_id: str, pin_hash: str) -> None:
        """Make `pin_hash` (from `wire.pins.hash_pin` with this directory's salt) the person's
        only PIN. CredentialError for a malformed hash or a PIN someone else holds."""
        if not _PIN_HASH.match(pin_hash):
            raise CredentialError("not a PIN hash with this gate's scrypt parameters")
        with self._write() as conn:
            held = self._execute(
                conn, "SELECT person_id FROM dir_credentials WHERE kind = ? AND value = ?",
                (CredentialType.PIN.value, pin_hash)).fetchone()
            if held is not None and held[0] != person_id:
                raise CredentialError("this PIN is already enrolled for another person")
            self._execute(conn, "DELETE FROM dir_credentials WHERE person_id = ? AND kind = ?",
                          (person_id, CredentialType.PIN.value))
            self._execute(
                conn, "INSERT INTO dir_credentials (person_id, kind, value, created_at) "
                      "VALUES (?, ?, ?, ?)",
                (person_id, CredentialType.PIN.value, pin_hash,
                 rows.iso(self._clock.now())))  # type: ignore[attr-defined]

    def central_lookalikes(self) -> set[str]:
        """Residents the aggregator flags as look-alikes (kept apart from the gate's own check)."""
        row = self._read_one("SELECT value FROM dir_settings WHERE key = 'central_lookalikes'")
        return set(json.loads(row[0])) if row is not None else set()

    def set_central_lookalikes(self, person_ids: set[str]) -> None:
        """Replace the aggregator's look-alike set (called inside a sync batch)."""
        with self._write() as conn:
            self._execute(conn, "INSERT OR REPLACE INTO dir_settings (key, value) "
                                "VALUES ('central_lookalikes', ?)",
                          (json.dumps(sorted(person_ids)),))

    def unsynced_people(self) -> set[str]:
        """People registered at this gate (guard screen) that no delta has brought back yet:
        the aggregator may not hold them, so a full copy must not drop them."""
        row = self._read_one("SELECT value FROM dir_settings WHERE key = 'unsynced_people'")
        return set(json.loads(row[0])) if row is not None else set()

    def set_unsynced_people(self, person_ids: set[str]) -> None:
        """Replace the set of people registered here and not yet seen in a delta."""
        with self._write() as conn:
            self._execute(conn, "INSERT OR REPLACE INTO dir_settings (key, value) "
                                "VALUES ('unsynced_people', ?)",
                          (json.dumps(sorted(person_ids)),))

    def pin_salt_hex(self) -> str:
        """The salt (hex) PINs are hashed with here."""
        row = self._read_one("SELECT value FROM dir_settings WHERE key = 'pin_salt'")
        return "" if row is None else str(row[0])

    def set_pin_salt(self, salt_hex: str) -> bool:
        """Adopt the community's PIN salt; True if it changed.

        PINs hashed with the old salt can never match again, so they are removed: call this
        only with a full sync that brings every PIN again.
        """
        if not _SALT.match(salt_hex):
            raise CredentialError("a PIN salt is 32 lowercase hex digits")
        if salt_hex == self.pin_salt_hex():
            return False
        with self._write() as conn:
            removed = self._execute(conn, "DELETE FROM dir_credentials WHERE kind = ?",
                                    (CredentialType.PIN.value,)).rowcount
            self._execute(conn, "INSERT OR REPLACE INTO dir_settings (key, value) "
                                "VALUES ('pin_salt', ?)", (salt_hex,))
        logger.info("adopted the community PIN salt; %d local PIN(s) dropped", removed)
        return True
