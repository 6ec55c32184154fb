"""Benchmarks, run on demand with `python -m bench` (never as part of the tests)."""
