"""The characters the plate recogniser can emit, in its output-class order.

Class 0 is the CTC blank; class `i + 1` is `CHARSET[i]`. The order is part of the model
file's contract: changing it needs a retrained model (the manifest line names the version).
Letters exclude I and O, which mainland plates never use (they read as 1 and 0).
"""

from __future__ import annotations

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
"""The 31 province-level abbreviations that start a mainland plate."""

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"
SUFFIXES = "学警挂港澳领使"
"""Last-character suffixes: coach (学), police (警), trailer (挂), Hong Kong / Macau (港澳),
consulate (领), embassy (使, also the first character of embassy plates)."""

CHARSET = PROVINCES + LETTERS + DIGITS + SUFFIXES
BLANK_INDEX = 0
NUM_CLASSES = len(CHARSET) + 1

_INDEX = {char: i + 1 for i, char in enumerate(CHARSET)}


def encode(text: str) -> list[int]:
    """Class indices of `text`; raises ValueError naming any character outside CHARSET."""
    unknown = sorted({char for char in text if char not in _INDEX})
    if unknown:
        raise ValueError(f"characters not in the plate alphabet: {''.join(unknown)!r}")
    return [_INDEX[char] for char in text]


def decode(indices: list[int]) -> str:
    """Text of already-collapsed class indices (no blanks)."""
    return "".join(CHARSET[i - 1] for i in indices)
