"""Liveness (presentation-attack detection) plug-ins."""
