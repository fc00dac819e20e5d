"""Cards and PINs in the gate's directory (mixed into `DirectoryStore`).

A card number is stored normalised, a PIN only as a salted hash; reads give hints, never
the full value.
"""

from __future__ import annotations

from gate.directory import rows
from gate.directory.access import StoreAccess
from gate.directory.credential_rows import (
    CredentialError,
    CredentialInfo,
    CredentialType,
    check_pin,
    hash_pin,
    hint,
    normalise_card,
)
from gate.directory.errors import DirectoryError, UnknownPersonError


class CredentialDirectoryMixin(StoreAccess):
    """Cards and PINs: credential -> person; relies on the store's helpers."""


    def add_card(self, person_id: str, card_number: str) -> int:
        """Enrol a card for a person; returns its credential id (the same id if already
        theirs). CredentialError if another person holds the card."""
        return self._add_credential(person_id, CredentialType.CARD, normalise_card(card_number))

    def add_pin(self, person_id: str, pin: str) -> int:
        """Enrol a PIN (stored hashed) for a person; CredentialError if someone else has it."""
        return self._add_credential(person_id, CredentialType.PIN,
                                    hash_pin(check_pin(pin), self._pin_salt()))

    def person_for_card(self, card_number: str) -> str | None:
        """Who holds this card, or None (also for a malformed number)."""
        try:
            value = normalise_card(card_number)
        except CredentialError:
            return None
        return self._holder(CredentialType.CARD, value)

    def person_for_pin(self, pin: str) -> str | None:
        """Who holds this PIN, or None (also for a malformed PIN)."""
        try:
            value = hash_pin(pin, self._pin_salt())
        except CredentialError:
            return None
        return self._holder(CredentialType.PIN, value)

    def delete_credentials(self, person_id: str, kind: CredentialType | None = None) -> int:
        """Remove a person's cards and PINs (or only one kind); returns how many."""
        with self._write() as conn:
            if kind is None:
                sql, args = "DELETE FROM dir_credentials WHERE person_id = ?", (person_id,)
            else:
                sql = "DELETE FROM dir_credentials WHERE person_id = ? AND kind = ?"
                args = (person_id, CredentialType(kind).value)
            return self._execute(conn, sql, args).rowcount

    def credentials(self, person_id: str) -> list[CredentialInfo]:
        """A person's credentials, as kinds and hints (never a full card number or PIN)."""
        found = self._read_all(
            """SELECT credential_id, kind, value, created_at FROM dir_credentials
               WHERE person_id = ? ORDER BY credential_id""",
            (person_id,))
        return [
            CredentialInfo(cid, person_id, CredentialType(kind),
                           hint(CredentialType(kind), value), created)
            for cid, kind, value, created in found
        ]

    def _add_credential(self, person_id: str, kind: CredentialType, value: str) -> int:
        with self._write() as conn:
            if not self._person_exists(conn, person_id):
                raise UnknownPersonError(f"no person {person_id} to give a {kind} to")
            sql = ("SELECT credential_id, person_id FROM dir_credentials "
                   "WHERE kind = ? AND value = ?")
            held = self._execute(conn, sql, (kind.value, value)).fetchone()
            if held is not None:
                if held[1] == person_id:
                    return int(held[0])
                raise CredentialError(f"this {kind} is already enrolled for another person")
            row = self._execute(
                conn,
                """INSERT INTO dir_credentials (person_id, kind, value, created_at)
                   VALUES (?, ?, ?, ?) RETURNING credential_id""",
                (person_id, kind.value, value, rows.iso(self._clock.now())),
            ).fetchone()
            return int(row[0])

    def _holder(self, kind: CredentialType, value: str) -> str | None:
        row = self._read_one(
            "SELECT person_id FROM dir_credentials WHERE kind = ? AND value = ?",
            (kind.value, value),
        )
        return None if row is None else str(row[0])

    def _pin_salt(self) -> bytes:
        row = self._read_one("SELECT value FROM dir_settings WHERE key = 'pin_salt'")
        if row is None:
            raise DirectoryError("the directory has no PIN salt (schema not migrated)")
        return bytes.fromhex(row[0])
