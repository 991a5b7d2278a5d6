"""Benchmarks run by ``make bench``: each figure is printed beside a floor measured in the same run.

A module ``benchmarks/bench_*.py`` exposes ``run() -> list[Figure]``. Ratios, not absolute times, are what
we compare across machines (DESIGN.md, issue "Results-day performance").
"""
