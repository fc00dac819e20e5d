"""Licence plates: detection, rectification, recognition, format checks and voting."""
