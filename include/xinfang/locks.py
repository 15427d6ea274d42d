"""PostgreSQL advisory locks: one named key per thing that must not run twice at once.

Each lock is transaction-scoped (``pg_advisory_xact_lock``): it is released when the
transaction that took it ends, so a crashed task never leaves one behind. SQLite has one
writer at a time anyway; there ``take`` does nothing. Every advisory lock of the project
is taken through ``take`` with a key of this module.

What is serialized, and why (one line each):

- ``MIGRATION``: two workers starting at once must not both run Alembic.
- ``VIEWS``: the views are dropped and recreated in one transaction; two rebuilds fail on
  each other's half-made views (ledger writes need not wait for them).
- ``LEDGER``: deduplication, staff merges/splits/confirmations and the escalation sweep all
  rewrite ``ledger_case`` rows, and a merge moves items a sweep is deriving tiers for.
- ``RISK_SCREEN``: the batch is "not yet screened": two screens would flag it twice.
- ``intake_channel(channel)``: a row key is looked up only after the channel's previous
  file committed (different channels load side by side). Held by a group of files'
  transaction from its start to its commit (``loader.ChannelWriter``).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from xinfang.db.dialect import dialect_of

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
    return dialect_of(conn).advisory_lock(conn, key)
