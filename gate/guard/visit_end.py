"""When a visit ends, the visitor's face template (and pass PIN) is deleted at the gate.

Run by the gate's retention job (`Gate.enforce_retention`). The policy already refuses a
visitor after `valid_until`; this removes the biometric data itself, and each deletion is an
event (`visitor_face_deleted`) in the log. The person row and pass stay, so that the log and
the muster list can still name who came. A registration of an ended visit still waiting in
the guard outbox (the aggregator was unreachable) loses its face, consent, PIN hash and phone
too: a late delivery must not store them centrally again.
"""

from __future__ import annotations

import logging
from pathlib import Path

from gate.clock import Clock
from gate.directory.credential_rows import CredentialType
from gate.directory.rows import iso
from gate.directory.store import DirectoryStore
from gate.eventlog.store import EventLog
from gate.guard.store import GuardStore

logger = logging.getLogger(__name__)


def end_expired_visits(directory: DirectoryStore, event_log: EventLog, clock: Clock,
                       recogniser: str | None = None, *,
                       outbox: GuardStore | Path | None = None) -> list[str]:
    """Delete face templates and PINs of visitors whose pass has ended; returns their ids.

    Templates of every recogniser go (`recogniser` is accepted for older callers and
    ignored: a vehicle gate has none, yet may hold a face synced from elsewhere). `outbox`,
    the guard store or the gate database holding it, has its queued rows of ended visits
    stripped as well.
    """
    del recogniser
    if outbox is not None:
        _end_outbox_visits(outbox, clock)
    now = clock.now()
    snapshot = directory.snapshot()
    expired = {pid for pid, v in snapshot.visitors.items() if v.valid_until <= now}
    if not expired:
        return []
    # Only those who still hold something: a pass version bump every hour would reload the
    # gallery for nothing.
    holding = directory.pin_holders() | directory.face_template_holders()
    due = sorted(expired & holding)
    for person_id in due:
        with directory.batch():
            faces = directory.delete_face_templates(person_id)
            pins = directory.delete_credentials(person_id, CredentialType.PIN)
        event_log.append("visitor_face_deleted", subject=person_id, evidence={
            "valid_until": iso(snapshot.visitors[person_id].valid_until),
            "face_templates": faces, "pins": pins})
    if due:
        logger.info("visits ended: face data of %d visitor(s) deleted", len(due))
    return due


def _end_outbox_visits(outbox: GuardStore | Path, clock: Clock) -> None:
    if isinstance(outbox, GuardStore):
        stripped = outbox.end_visits()
    else:
        store = GuardStore(outbox, clock)  # the gate's own database, guard tables or not
        try:
            stripped = store.end_visits()
        finally:
            store.close()
    if stripped:
        logger.info("visits ended: %d queued registration(s) stripped of private data",
                    stripped)
