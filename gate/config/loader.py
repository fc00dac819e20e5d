"""Read a YAML config file into `GateConfig`, reporting each error with its field path and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gate.config.model import GateConfig
from gate.errors import ConfigError


def _line_of(node: yaml.Node | None, path: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at `path`, or of its nearest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            match = node.value[key]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def format_validation_error(err: ValidationError, root: yaml.Node | None, source: str) -> str:
    """One line per problem: `file:line: field.path: message`."""
    lines = []
    for problem in err.errors():
        loc = tuple(part for part in problem["loc"] if not str(part).startswith("function-"))
        # Discriminated unions add the tag to the location; it is not a YAML key.
        yaml_path = tuple(p for p in loc if p not in ("gpio", "sim"))
        field = ".".join(str(p) for p in yaml_path) or "(top level)"
        line = _line_of(root, yaml_path)
        where = f"{source}:{line}" if line else source
        lines.append(f"{where}: {field}: {problem['msg']}")
    return "\n".join(lines)


def parse_config(text: str, source: str = "<config>") -> GateConfig:
    """Validate YAML text; raise `ConfigError` naming every bad field."""
    try:
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML: {err}") from err
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: (top level): expected a mapping of sections")
    try:
        return GateConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, root, source)) from err


def load_config(path: str | Path) -> GateConfig:
    """Read and validate a config file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror or err}") from err
    return parse_config(text, str(path))
