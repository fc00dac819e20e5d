"""Face + card/PIN two-factor entry: one factor waits briefly for the other.

When policy refuses a factor alone (a look-alike's face, every face with
`face_only_allowed: false`, every card/PIN with `card_only_allowed: false`), that refusal
is remembered for `window_seconds`; the other factor of the *same person* arriving within
the window is then decided with `second_factor_present`, and the pair is one grant. A
remembered factor is used once. Both the camera loop and the card reader decide through
`decide_paired`, on their own threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from gate.policy.engine import PolicySettings, decide
from gate.policy.model import AccessRequest, CredentialKind, Decision, DirectorySnapshot
from gate.policy.reasons import ReasonCode

FACTOR_REFUSALS = frozenset({ReasonCode.DENIED_SECOND_FACTOR_REQUIRED,
                             ReasonCode.DENIED_FACE_REQUIRED})
PAIRED_EVIDENCE_KEY = "paired_with"


@dataclass(frozen=True)
class _Waiting:
    kind: CredentialKind
    at: float


def _is_face(kind: CredentialKind) -> bool:
    return kind is CredentialKind.FACE


class SecondFactorBook:
    """Factors refused alone, per person, until their partner arrives or the window ends."""

    def __init__(self, window_seconds: float) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.window_seconds = window_seconds
        self._waiting: dict[str, _Waiting] = {}
        self._lock = threading.Lock()

    def offer(self, person_id: str, kind: CredentialKind, at: float) -> None:
        """`person_id` presented `kind` (monotonic `at`) and it was not enough alone."""
        with self._lock:
            self._prune(at)
            self._waiting[person_id] = _Waiting(kind, at)

    def take_partner(
        self, person_id: str, kind: CredentialKind, at: float
    ) -> dict[str, object] | None:
        """The other factor of `person_id` waiting within the window, consumed; else None.

        A face pairs with a card or PIN and a card or PIN with a face, never like with like.
        """
        with self._lock:
            self._prune(at)
            waiting = self._waiting.get(person_id)
            if waiting is None or _is_face(waiting.kind) == _is_face(kind):
                return None
            del self._waiting[person_id]
        return {"credential": waiting.kind.value, "seconds_before": round(at - waiting.at, 3)}

    def pending(self, at: float) -> int:
        """How many factors are waiting at monotonic `at`."""
        with self._lock:
            self._prune(at)
            return len(self._waiting)

    def _prune(self, at: float) -> None:
        expired = [p for p, w in self._waiting.items() if at - w.at > self.window_seconds]
        for person_id in expired:
            del self._waiting[person_id]


def decide_paired(
    request: AccessRequest,
    directory: DirectorySnapshot,
    settings: PolicySettings,
    book: SecondFactorBook | None,
    at: float,
) -> Decision:
    """`policy.decide`, with the other factor of the same person taken from `book`.

    A factor refused only for lack of its partner is left in `book` for the window.
    """
    if book is None or request.subject is None:
        return decide(request, directory, settings)
    partner = book.take_partner(request.subject, request.credential, at)
    if partner is not None:
        request = replace(request, second_factor_present=True,
                          evidence={**request.evidence, PAIRED_EVIDENCE_KEY: partner})
    decision = decide(request, directory, settings)
    if decision.reason in FACTOR_REFUSALS and decision.subject is not None:
        book.offer(decision.subject, request.credential, at)
    return decision
