"""Benchmarks. Run one from the repository root as ``python bench/NAME.py`` or ``python -m bench.NAME``."""
