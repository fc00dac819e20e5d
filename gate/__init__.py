"""Per-gate access controller: camera frames in, policy decisions, door relays out."""

__version__ = "0.1.0"
