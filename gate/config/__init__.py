"""Gate configuration: pydantic models, one module per section, loaded once in main."""

from gate.config.loader import load_config
from gate.config.model import GateConfig

__all__ = ["GateConfig", "load_config"]
