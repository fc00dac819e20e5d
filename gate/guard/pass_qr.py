"""The visitor pass as a QR code on the guard's screen (segno, SVG).

The code holds the pass PIN's digits and nothing else: no name, phone, unit or window. A
scanner that reports what it reads as keypad digits (how gate QR readers are usually wired)
therefore takes the same path as a typed PIN (`CredentialAccess.present_pin`): the
directory's PIN hash, the visitor's window and entries. Whoever photographs the screen
learns no more than the PIN printed beside the code.
"""

from __future__ import annotations

import io
import re

import segno

from gate.errors import GateError

PASS_PIN = re.compile(r"^[0-9]{4,12}$")
QR_SCALE = 8
QR_BORDER_MODULES = 4  # the quiet zone scanners need around the code


def pass_qr_svg(pin: str) -> str:
    """A standalone SVG document of a QR code holding `pin` (digits only)."""
    if not PASS_PIN.match(pin):
        raise GateError("a pass QR code holds only the pass PIN's digits")
    # A full QR code, not a Micro QR: gate readers and phones read the former reliably.
    code = segno.make_qr(pin, error="m")
    out = io.BytesIO()
    code.save(out, kind="svg", scale=QR_SCALE, border=QR_BORDER_MODULES, dark="#000",
              light="#fff", xmldecl=False, svgclass="pass-qr", title="pass")
    return out.getvalue().decode("utf-8")
