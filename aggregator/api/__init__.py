"""HTTP routers of the aggregator, one per domain, all under /api/v1."""
