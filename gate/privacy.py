"""Masking of personal data for UIs and logs (names, phone numbers).

Masked values may appear in INFO logs and on the guard screen; the full values stay in
the directory and are only shown where the viewer is allowed to see them.
"""

from __future__ import annotations

import re

# Runs of 6+ digits in a display name are almost surely an ID, phone or passport number.
_IDENTIFIER_RUN = re.compile(r"\d{6,}")


def mask_name(name: str) -> str:
    """Keep the first character of each word, star the rest.

    A name without spaces (Chinese, Japanese, Korean) is one word: 张三丰 -> 张**,
    Alice Smith -> A**** S****. A one-character name becomes a single star.
    """
    words = name.split()
    masked = []
    for word in words:
        masked.append("*" if len(word) == 1 else word[0] + "*" * (len(word) - 1))
    return " ".join(masked)


def mask_phone(phone: str) -> str:
    """Star the middle digits, keeping separators: 13812345678 -> 138****5678.

    Numbers of 8+ digits keep their first 3 and last 4 digits; shorter ones keep only
    the last 2 (so an extension or a short number still cannot be read back).
    """
    digit_positions = [i for i, ch in enumerate(phone) if ch.isdigit()]
    count = len(digit_positions)
    if count >= 8:
        keep = set(digit_positions[:3] + digit_positions[-4:])
    else:
        keep = set(digit_positions[-2:]) if count > 2 else set()
    hidden = set(digit_positions) - keep
    return "".join("*" if i in hidden else ch for i, ch in enumerate(phone))


def looks_like_identifier(text: str) -> bool:
    """True when `text` holds a run of 6+ digits (an ID, phone or passport number)."""
    return bool(_IDENTIFIER_RUN.search(text))
