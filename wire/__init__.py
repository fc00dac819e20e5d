"""What crosses the network between gates and the aggregator: the only code both sides import.

Pure standard library plus pydantic, so the gate and the aggregator can depend on it without
depending on each other.
"""

from wire.chain import GENESIS_HASH, HASHED_FIELDS, WIRE_FIELDS, canonical_json, compute_hash

__all__ = ["GENESIS_HASH", "HASHED_FIELDS", "WIRE_FIELDS", "canonical_json", "compute_hash"]
