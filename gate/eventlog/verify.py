"""``gate verify-log``: re-check an event log's hash chain and say where and how it is broken.

The database is opened read-only and read in one transaction, so it can be checked while the gate
is running. Each event must (1) hash to its stored ``hash`` (else: *edited*), (2) have the next
sequence (else: *deleted*), and (3) carry the previous event's hash as ``prev_hash`` (else: an
event was *inserted*, *reordered* or edited and re-hashed). The classification is best effort;
the first bad sequence is exact. A chain without a secret key cannot stop someone rewriting the
whole log from a point onwards; the aggregator, which holds copies, catches that.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from gate.errors import EventLogError
from gate.eventlog.chain import GENESIS_HASH, EventRecord
from gate.eventlog.store import EVENT_COLUMNS, record_from_row

MAX_PROBLEMS = 50
"""Stop describing problems after this many (a wholesale rewrite would list every event)."""


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of :func:`verify_log`."""

    ok: bool
    events_checked: int
    problems: list[str] = field(default_factory=list)
    first_bad_sequence: int | None = None
    first_sequence: int | None = None
    last_sequence: int | None = None
    checkpoint_sequence: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Findings:
    """Problems keyed by sequence, kept in order, capped at MAX_PROBLEMS."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []
        self.dropped = 0

    def add(self, sequence: int, kind: str, detail: str) -> None:
        if len(self.items) >= MAX_PROBLEMS:
            self.dropped += 1
            return
        self.items.append((sequence, f"sequence {sequence}: {kind}: {detail}"))

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_PROBLEMS


def verify_log(path: Path) -> VerifyReport:
    """Check the whole chain of the event log at `path`.

    Raises :class:`EventLogError` when the file is missing or is not an event log.
    """
    path = Path(path)
    if not path.is_file():
        raise EventLogError(f"{path}: no such file")
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise EventLogError(f"{path}: cannot open: {err}") from err
    try:
        db.execute("BEGIN")  # one consistent snapshot while the gate keeps appending
        return _verify(db)
    except sqlite3.Error as err:
        raise EventLogError(f"{path}: not a readable event log: {err}") from err
    finally:
        db.close()


def _verify(db: sqlite3.Connection) -> VerifyReport:
    meta = dict(db.execute("SELECT key, value FROM event_meta").fetchall())
    gate_id = meta.get("gate_id")
    checkpoint = db.execute(
        "SELECT sequence, hash FROM event_checkpoints ORDER BY sequence DESC LIMIT 1"
    ).fetchone()
    checkpoint_sequence = int(checkpoint[0]) if checkpoint else None
    expected_sequence = checkpoint_sequence + 1 if checkpoint else 1
    expected_prev = str(checkpoint[1]) if checkpoint else GENESIS_HASH

    findings = _Findings()
    checked = 0
    first_sequence: int | None = None
    last_sequence: int | None = None
    shift: int | None = None  # offset of a run of renumbered events already reported
    last_kind: str | None = None

    for row in db.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY sequence"):
        sequence = int(row[2])
        checked += 1
        first_sequence = sequence if first_sequence is None else first_sequence
        last_sequence = sequence
        try:
            record = record_from_row(row)
        except EventLogError as err:
            findings.add(sequence, "edited", str(err))
            expected_sequence, expected_prev = sequence + 1, str(row[11])
            shift, last_kind = None, "edited"
            continue

        if checkpoint_sequence is not None and sequence <= checkpoint_sequence:
            findings.add(sequence, "inserted",
                         f"at or before the retention checkpoint (sequence {checkpoint_sequence})")
            continue
        if gate_id is not None and record.gate_id != gate_id:
            findings.add(sequence, "inserted",
                         f"carries gate id {record.gate_id!r}, not {gate_id!r}")

        gap = sequence > expected_sequence
        if gap:
            findings.add(expected_sequence, "deleted",
                         f"sequence {_span(expected_sequence, sequence - 1)} missing")

        kind: str | None = None
        if not record.content_matches_hash():
            if findings.full:  # counted, not diagnosed
                kind = "edited"
                findings.add(sequence, kind, "content does not match its hash")
            else:
                kind, shift = _diagnose_content(db, record, findings, shift, last_kind)
        elif not gap and record.prev_hash != expected_prev:
            if findings.full:  # counted, not diagnosed
                kind = "edited"
                findings.add(sequence, kind, "prev_hash does not match the previous event")
            else:
                kind = _diagnose_link(db, record, findings, last_kind)
            shift = None
        else:
            shift = None
        last_kind = kind
        expected_sequence, expected_prev = sequence + 1, record.hash

    high = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    end = last_sequence if last_sequence is not None else (checkpoint_sequence or 0)
    if high is not None and int(high[0]) > end:
        findings.add(end + 1, "deleted",
                     f"sequence {_span(end + 1, int(high[0]))} missing at the end of the log")

    problems = [text for _, text in sorted(findings.items, key=lambda item: item[0])]
    if findings.dropped:
        problems.append(f"... and {findings.dropped} more problems")
    return VerifyReport(
        ok=not findings.items,
        events_checked=checked,
        problems=problems,
        first_bad_sequence=min((seq for seq, _ in findings.items), default=None),
        first_sequence=first_sequence,
        last_sequence=last_sequence,
        checkpoint_sequence=checkpoint_sequence,
    )


def _diagnose_content(
    db: sqlite3.Connection,
    record: EventRecord,
    findings: _Findings,
    shift: int | None,
    last_kind: str | None,
) -> tuple[str, int | None]:
    """An event whose content does not match its hash: edited, or moved to another sequence?"""
    sequence = record.sequence
    linked = _sequence_with_hash(db, record.prev_hash)
    candidates = {sequence - 1, sequence + 1}
    if linked is not None:
        candidates.add(linked + 1)
    candidates.discard(sequence)
    original = next(
        (c for c in sorted(candidates) if replace(record, sequence=c).content_matches_hash()), None
    )
    if original is None:
        findings.add(sequence, "edited", "content does not match its hash")
        return "edited", None
    offset = sequence - original
    if offset == shift:
        return last_kind or "reordered", shift  # same renumbered run, reported at its start
    if offset > 0 and last_kind != "reordered":
        findings.add(original, "inserted",
                     f"event(s) inserted at sequence {_span(original, sequence - 1)}; "
                     f"the event now at {sequence} was sequence {original}")
        return "inserted", offset
    if offset < 0 and linked is None and last_kind != "reordered":
        findings.add(sequence, "deleted",
                     f"an event was deleted and later ones renumbered; "
                     f"the event now at {sequence} was sequence {original}")
        return "deleted", offset
    findings.add(sequence, "reordered", f"holds the event that was sequence {original}")
    return "reordered", offset


def _diagnose_link(
    db: sqlite3.Connection, record: EventRecord, findings: _Findings, last_kind: str | None
) -> str:
    """A self-consistent event whose prev_hash is not its predecessor's hash."""
    sequence = record.sequence
    linked = _sequence_with_hash(db, record.prev_hash)
    if linked is not None and last_kind == "reordered":
        findings.add(sequence, "reordered",
                     f"links to sequence {linked}: the events before it were reordered")
        return "reordered"
    if linked is not None and linked >= sequence:
        findings.add(sequence, "reordered", f"links to the later sequence {linked}")
        return "reordered"
    if linked is not None and linked < sequence - 1:
        findings.add(linked + 1, "inserted",
                     f"sequence {_span(linked + 1, sequence - 1)} inserted: "
                     f"sequence {sequence} links to {linked}")
        return "inserted"
    if sequence == 1:
        findings.add(sequence, "edited", "prev_hash of the first event is not the genesis hash")
        return "edited"
    # Locally it cannot be told whether the earlier event was edited and re-hashed or this
    # one's prev_hash was; name the earlier sequence so nothing before the break is trusted.
    findings.add(sequence - 1, "edited",
                 f"its hash is not the prev_hash of sequence {sequence} (one of them was "
                 f"edited and re-hashed, or sequence {sequence} was inserted)")
    return "edited"


def _sequence_with_hash(db: sqlite3.Connection, value: str) -> int | None:
    if value == GENESIS_HASH:
        return 0
    row = db.execute("SELECT sequence FROM events WHERE hash = ? LIMIT 1", (value,)).fetchone()
    return int(row[0]) if row else None


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}..{last}"


def verify_log_command(path: Path, as_json: bool) -> int:
    """Verify the log at `path` and print a summary; exit code 0 ok, 1 broken, 2 unreadable."""
    try:
        report = verify_log(path)
    except EventLogError as err:
        if as_json:
            click.echo(json.dumps({"ok": False, "unreadable": True, "error": str(err)}))
        else:
            click.echo(f"UNREADABLE: {err}", err=True)
        return 2
    if as_json:
        click.echo(json.dumps(report.to_dict(), sort_keys=True))
    elif report.ok:
        click.echo(f"OK: {report.events_checked} events verified{_range_text(report)}")
    else:
        click.echo(
            f"BROKEN: {len(report.problems)} problem(s), first bad sequence "
            f"{report.first_bad_sequence} ({report.events_checked} events checked)"
        )
        for problem in report.problems:
            click.echo(f"  {problem}")
    return 0 if report.ok else 1


def _range_text(report: VerifyReport) -> str:
    parts = []
    if report.first_sequence is not None:
        parts.append(f"sequences {_span(report.first_sequence, report.last_sequence or 0)}")
    if report.checkpoint_sequence is not None:
        parts.append(f"continuing from retention checkpoint {report.checkpoint_sequence}")
    return f" ({', '.join(parts)})" if parts else ""
