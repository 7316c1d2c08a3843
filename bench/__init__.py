"""Benchmarks (`make bench`, or `python -m bench sync [--quick]`). Never run by pytest.

Each benchmark starts its own server processes on free loopback ports with a fresh data
directory, drives them from separate load-generator processes, and prints a table; the figures
are recorded by hand in `bench/RESULTS.md`.
"""
