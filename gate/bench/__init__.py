"""Benchmarks: commands that print JSON; numbers go into docs/numbers.md."""
