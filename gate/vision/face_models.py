"""Import face_recognition safely: it calls quit() with exit code 0 when its models are missing."""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType

from gate.errors import GateError

_module: ModuleType | None = None


class FaceModelsMissingError(GateError, ImportError):
    """face_recognition_models (or pkg_resources, which it needs) cannot be imported."""


def face_recognition() -> ModuleType:
    """The `face_recognition` module, imported once; raises instead of quitting the process."""
    global _module
    if _module is None:
        try:
            with warnings.catch_warnings():
                # face_recognition_models uses pkg_resources, deprecated but pinned (<81).
                warnings.simplefilter("ignore", UserWarning)
                importlib.import_module("pkg_resources")
                importlib.import_module("face_recognition_models")
        except ImportError as err:
            raise FaceModelsMissingError(
                "face_recognition_models cannot be imported (it needs setuptools<81 for "
                "pkg_resources); run scripts/install.sh"
            ) from err
        try:
            _module = importlib.import_module("face_recognition")
        except SystemExit as err:  # face_recognition quit()s when its models import fails
            raise FaceModelsMissingError("face_recognition exited while importing") from err
    return _module
