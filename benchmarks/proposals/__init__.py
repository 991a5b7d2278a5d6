"""Code the benchmarks found a need for, written here as proposals for the owners of the application code.

Each module says where it belongs; the fault tests and benchmarks exercise it beside the current code.
"""
