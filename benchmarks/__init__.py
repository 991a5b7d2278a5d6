"""Benchmarks run by ``make bench``: each figure is printed beside a floor measured in the same run.

A module ``benchmarks/bench_*.py`` exposes ``run() -> list[Figure]`` and ``benchmarks/check_*.py`` exposes
``run() -> list[Check]`` (a load or fault scenario that passes or fails). ``python -m benchmarks`` runs each in a
process of its own on a fresh copy of the data set (``benchmarks/data.py``) and prints one table. Ratios, not
absolute times, are what we compare across machines (BENCHMARKS.md, docs/scaling.md).
"""
