"""Build the recogniser named by `face.recogniser.type` and resolve its operating point."""

from __future__ import annotations

import importlib

from gate.config.face import RecogniserConfig
from gate.errors import ConfigError
from gate.vision.recognisers.base import Recogniser

# type -> "module:Class"; imported on demand so a gate only loads the model it uses.
RECOGNISER_TYPES: dict[str, str] = {
    "dlib": "gate.vision.recognisers.dlib_recogniser:DlibRecogniser",
    "sface": "gate.vision.recognisers.sface_recogniser:SFaceRecogniser",
}


def recogniser_class(type_name: str) -> type[Recogniser]:
    """The Recogniser subclass registered under `type_name` (not instantiated)."""
    try:
        module_name, class_name = RECOGNISER_TYPES[type_name].split(":")
    except KeyError as err:
        known = ", ".join(sorted(RECOGNISER_TYPES))
        raise ConfigError(f"unknown recogniser type {type_name!r} (known: {known})") from err
    cls: type[Recogniser] = getattr(importlib.import_module(module_name), class_name)
    return cls


def create_recogniser(config: RecogniserConfig) -> Recogniser:
    """A ready recogniser (models loaded) for `config.type`."""
    return recogniser_class(config.type)()


def effective_threshold(config: RecogniserConfig) -> float:
    """The configured match threshold, else the recogniser's measured default."""
    if config.threshold is not None:
        return config.threshold
    return recogniser_class(config.type).default_threshold


def effective_margin(config: RecogniserConfig) -> float:
    """The configured second-best margin, else the recogniser's measured default."""
    if config.margin is not None:
        return config.margin
    return recogniser_class(config.type).default_margin
