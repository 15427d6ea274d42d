"""PostgreSQL advisory locks: one named key per thing that must not run twice at once.

Each lock is transaction-scoped (``pg_advisory_xact_lock``): it is released when the
transaction that took it ends, so a crashed task never leaves one behind. SQLite has one
writer at a time anyway; there ``take`` does nothing.

What is serialized, and why:

- ``MIGRATION``: schema upgrades. Two workers starting at once must not both run
  Alembic.
- ``VIEWS``: the analysts' views are dropped and recreated in one transaction. Two
  rebuilds would fail on each other's half-made views. They need not wait for ledger
  writes.
- ``LEDGER``: deduplication (``ledger.assign_cases``), manual merge/split/confirm and the
  escalation sweep. All three rewrite ``ledger_case`` rows, and merges move items between
  cases that a concurrent sweep is deriving tiers for.
- ``RISK_SCREEN``: risk screening. The batch is "not yet screened", and two screens would
  flag it twice.
- ``intake_channel(channel)``: files of one channel load one after another. A row key is
  looked up only after the previous file of the channel committed. Different channels
  load side by side.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

__all__ = ["LEDGER", "MIGRATION", "RISK_SCREEN", "VIEWS", "intake_channel", "take"]

_BASE = 7_365_424_000
"""Any constant: the project's keys are _BASE + a small number."""

MIGRATION = _BASE + 114
VIEWS = _BASE + 117
LEDGER = _BASE + 115
RISK_SCREEN = _BASE + 116
_INTAKE_BASE = _BASE + 200


def intake_channel(channel: str) -> int:
    """The lock of one intake channel (its position in the channel list)."""
    from xinfang.intake.channels import ALL_CHANNELS

    return _INTAKE_BASE + ALL_CHANNELS.index(channel)


def take(conn: Connection, key: int) -> bool:
    """Wait for ``key`` until this transaction ends (PostgreSQL); False on SQLite."""
    if conn.dialect.name != "postgresql":
        return False
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(key)})")
    return True
