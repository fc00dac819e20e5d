"""Agreement over several frames before a plate read counts (pure: no I/O, no clock reads).

A stopped or slowly rolling car gives the gate many looks at one plate. One confident read
can still be wrong (a 8 read as B in glare), so a plate is only decided when enough frames
agree on the same valid string, or, for a plate seen long enough without a clear winner,
when a per-character vote over the reads of that length gives a valid string that every
position supports by a clear majority.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from wire.plates import is_valid_plate


@dataclass(frozen=True)
class VoteSettings:
    """When a sequence of reads of one plate is enough to decide."""

    agreement_frames: int = 2
    """Valid reads of the same string needed (with `min_confidence`)."""
    min_confidence: float = 0.6
    """A read below this (its weakest character's probability) does not count."""
    majority: float = 0.6
    """The winning string's share of all counted reads (and of ruled-out reads)."""
    per_character_min_reads: int = 3
    """Reads of one length needed before a per-character vote is tried."""


@dataclass(frozen=True)
class VoteResult:
    """A decided plate, or why not yet (`plate` None)."""

    plate: str | None
    support: int
    counted: int
    method: str  # "agreement", "per_character" or "" while undecided


@dataclass
class PlateVotes:
    """The reads of one tracked plate."""

    settings: VoteSettings = field(default_factory=VoteSettings)
    reads: list[tuple[str, float, tuple[float, ...]]] = field(default_factory=list)
    rejected: int = 0
    ruled_out: int = 0

    def add(self, text: str, confidence: float, char_confidences: tuple[float, ...],
            ruled_out: bool = False) -> None:
        """Count one read; invalid or weak reads are tallied as rejected, never as votes.

        A `ruled_out` read (one the plate contradicts) is rejected too, and also weighs
        against the majority: frames that saw the plate is not what the others read make
        their agreement count for less.
        """
        if ruled_out:
            self.ruled_out += 1
        if ruled_out or confidence < self.settings.min_confidence or not is_valid_plate(text):
            self.rejected += 1
            return
        self.reads.append((text, confidence, char_confidences))

    @property
    def counted(self) -> int:
        return len(self.reads)

    def result(self, allow_per_character: bool = False) -> VoteResult:
        """The agreed plate if there is one; `allow_per_character` at the track's deadline."""
        if not self.reads:
            return VoteResult(None, 0, 0, "")
        tally = Counter(text for text, _, _ in self.reads)
        best, support = tally.most_common(1)[0]
        if (support >= self.settings.agreement_frames
                and support >= self.settings.majority * (len(self.reads) + self.ruled_out)):
            return VoteResult(best, support, len(self.reads), "agreement")
        if allow_per_character:
            voted = self._per_character()
            if voted is not None:
                return VoteResult(voted[0], voted[1], len(self.reads), "per_character")
        return VoteResult(None, support, len(self.reads), "")

    def _per_character(self) -> tuple[str, int] | None:
        lengths = Counter(len(text) for text, _, _ in self.reads)
        length, count = lengths.most_common(1)[0]
        if count < self.settings.per_character_min_reads:
            return None
        same = [(text, chars) for text, _, chars in self.reads if len(text) == length]
        voted = []
        for position in range(length):
            weights: Counter[str] = Counter()
            for text, chars in same:
                weight = chars[position] if position < len(chars) else 0.0
                weights[text[position]] += weight
            char, weight = weights.most_common(1)[0]
            if weight < self.settings.majority * sum(weights.values()):
                return None  # this position is contested: not for a gate to guess
            voted.append(char)
        plate = "".join(voted)
        return (plate, len(same)) if is_valid_plate(plate) else None
