"""How far a read plate is from the registered ones (a near miss is for a guard to judge)."""

from __future__ import annotations


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance between two short strings, capped at `limit` (cheap early exit)."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        if min(current) >= limit:
            return limit
        previous = current
    return min(previous[-1], limit)


def near_misses(plate: str, known: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """Known plates exactly one edit (substitution, insertion or deletion) away from `plate`.

    One character off a known plate is what a misread - or a forged copy of a neighbour's
    plate - looks like; it is for a guard to judge, never a grant by itself.
    """
    return sorted(other for other in known
                  if other != plate and edit_distance(plate, other, limit=2) == 1)
