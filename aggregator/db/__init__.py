"""Storage of the aggregator: tables, engine and migrations."""
