"""Synthetic petition data with known truth: persons, campaigns, channel files.

Used for intake fixtures, the deduplication evaluation set, the ``make run`` sample
campaign and the benchmarks. Deterministic given a seed; no global random state.
"""
