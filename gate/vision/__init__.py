"""Vision: frame sources, face detection, quality gates, recognisers, liveness."""
