"""One advisory-lock key per purpose, taken on PostgreSQL only."""

from __future__ import annotations

import sqlalchemy as sa
from conftest import BOTH

from xinfang import locks
from xinfang.intake.channels import ALL_CHANNELS


def test_every_purpose_has_its_own_key():
    keys = [locks.MIGRATION, locks.VIEWS, locks.LEDGER, locks.RISK_SCREEN]
    keys += [locks.intake_channel(c) for c in ALL_CHANNELS]
    assert len(set(keys)) == len(keys)


@BOTH
def test_take_holds_the_key_until_the_transaction_ends(engine):
    with engine.connect() as holder:
        with holder.begin():
            taken = locks.take(holder, locks.LEDGER)
            if engine.dialect.name != "postgresql":
                assert taken is False  # SQLite: one writer anyway
                return
            assert taken is True
            with engine.connect() as other:
                free = other.execute(
                    sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": locks.LEDGER}
                ).scalar_one()
                assert free is False
                # another purpose's key is not held
                assert other.execute(
                    sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": locks.VIEWS}
                ).scalar_one()
        with engine.connect() as other:
            assert other.execute(
                sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": locks.LEDGER}
            ).scalar_one()
