"""Masking of names for the guard role (the same rule the gate's screen uses)."""

from __future__ import annotations

import re

_IDENTIFIER_RUN = re.compile(r"\d{6,}")


def mask_name(name: str) -> str:
    """Keep the first character of each word: 张三丰 -> 张**, Alice Smith -> A**** S****."""
    return " ".join("*" if len(w) == 1 else w[0] + "*" * (len(w) - 1) for w in name.split())


def looks_like_identifier(text: str) -> bool:
    """True for text holding 6+ digits in a row (an ID, phone or passport number)."""
    return bool(_IDENTIFIER_RUN.search(text))
