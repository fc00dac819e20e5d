"""Format rules of Chinese mainland licence plates (GA 36-2018), shared by gate and aggregator.

A read that fails these rules is never used for a decision: a recogniser can hallucinate a
string, but it cannot make that string a valid plate by accident very often, and a string
that is not a plate must not grant.

Shapes accepted (after `normalise_plate`):

* ordinary (blue/yellow/black/white): province + issuing-office letter + 5 characters of
  letters and digits, e.g. 粤B12345, 京A·3X7Y2;
* suffixed ordinary: province + letter + 4 characters + one of 学警挂港澳领试超, e.g. 粤B1234学;
* police with the white-plate form: province + letter + 4 characters + 警;
* new energy (green, 8 characters): province + letter + 6 characters where either the
  first of the six is D/F (small cars: D = battery, F = plug-in hybrid/other) and the rest
  has at most one more letter, or the last is D/F and the other five are digits (large
  vehicles).

The letters I and O are not used anywhere after the province (they look like 1 and 0);
the issuing-office letter may not be I or O either.
"""

from __future__ import annotations

import re

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
DIGITS = "0123456789"
SUFFIXES = "学警挂港澳领试超"
NEW_ENERGY_MARKS = "DF"

_ALNUM = f"[{LETTERS}{DIGITS}]"
_HEAD = f"^[{PROVINCES}][{LETTERS}]"
_ORDINARY = re.compile(f"{_HEAD}{_ALNUM}{{5}}$")
_SUFFIXED = re.compile(f"{_HEAD}{_ALNUM}{{4}}[{SUFFIXES}]$")
_NEW_ENERGY_SMALL = re.compile(f"{_HEAD}[{NEW_ENERGY_MARKS}]{_ALNUM}[{DIGITS}]{{4}}$")
_NEW_ENERGY_LARGE = re.compile(f"{_HEAD}[{DIGITS}]{{5}}[{NEW_ENERGY_MARKS}]$")


def normalise_plate(plate: str) -> str:
    """Upper-case, without spaces, dots or dashes: 京A·12345 and 京a 12345 are one plate."""
    return "".join(ch for ch in plate.upper() if ch not in " .·-_")


class PlateFormatError(ValueError):
    """A string that is not a valid Chinese mainland licence plate; says why."""


def plate_kind(plate: str) -> str | None:
    """`ordinary`, `suffixed`, `new_energy` or None for a normalised string."""
    if _ORDINARY.match(plate):
        return "ordinary"
    if _SUFFIXED.match(plate):
        return "suffixed"
    if _NEW_ENERGY_SMALL.match(plate) or _NEW_ENERGY_LARGE.match(plate):
        return "new_energy"
    return None


def validate_plate(text: str) -> str:
    """The normalised plate, or `PlateFormatError` naming the first rule it breaks."""
    if not isinstance(text, str):
        raise PlateFormatError("a plate must be text")
    plate = normalise_plate(text)
    if plate_kind(plate) is not None:
        return plate
    if not 7 <= len(plate) <= 8:
        raise PlateFormatError(f"a plate has 7 or 8 characters, not {len(plate)}")
    if plate[0] not in PROVINCES:
        raise PlateFormatError("a plate starts with a province character such as 粤 or 京")
    if plate[1] not in LETTERS:
        raise PlateFormatError("the second character is the issuing office letter (A-Z, no I/O)")
    if "I" in plate or "O" in plate:
        raise PlateFormatError("the letters I and O are not used on plates")
    if len(plate) == 8:
        raise PlateFormatError(
            "an 8-character (new-energy) plate has D or F as its third or last character"
        )
    raise PlateFormatError("the last five characters must be letters or digits "
                           "(or four and a suffix such as 学 or 警)")


def is_valid_plate(text: str) -> bool:
    """True when `validate_plate` accepts `text`."""
    try:
        validate_plate(text)
    except PlateFormatError:
        return False
    return True


def mask_plate(plate: str | None) -> str:
    """粤B12345 -> 粤B***45: enough for someone who knows the car, not for a stranger."""
    if not plate:
        return ""
    return plate[:2] + "*" * max(0, len(plate) - 4) + plate[-2:]
