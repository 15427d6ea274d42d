"""A held-out petition generator, written blind to the project's matcher.

It writes the five intake channels' drop files (CONTRACT.md §2) for a set of
petition matters, with a truth table naming the true matter and petitioner of
every row, so deduplication can be measured on data it was never tuned to.
Run ``python -m heldout --help``.
"""
