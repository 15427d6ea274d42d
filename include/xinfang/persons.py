"""Key persons (重点人员): one row per petitioner across all their cases.

A petitioner is ``ledger_case.person_key`` (deduplication's canonical identity of a
case's lead petitioner). ``refresh`` recomputes every person in SQL and writes only the
rows that changed, so ``updated_at`` says when a person's figures last moved and a rerun
over unchanged facts writes nothing.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xinfang import db
from xinfang.config import get_config
from xinfang.timeutil import now_local

log = logging.getLogger(__name__)

TMP = "tmp_key_person"
COUNTS = (
    "case_count",
    "item_count",
    "channel_count",
    "open_case_count",
    "risk_flag_count",
    "threat_count",
)
COLUMNS = ("name", "id_number", "phone", *COUNTS, "is_key_person")


def _latest_rank(column: str) -> str:
    """SQL: 1 on the person's most recent item that has a value of ``column``."""
    return f"""ROW_NUMBER() OVER (
        PARTITION BY c.person_key
        ORDER BY CASE WHEN i.{column} IS NULL OR i.{column} = '' THEN 1 ELSE 0 END,
                 i.received_at DESC, i.item_id DESC)"""


def refresh(engine: Engine) -> dict[str, int]:
    """Recompute ``key_person``; returns how many rows were upserted and deleted."""
    risk = get_config().risk
    min_open, min_threats = risk.key_person_min_open_cases, risk.key_person_min_threats
    now = now_local()
    true, false = ("TRUE", "FALSE")
    with engine.begin() as conn:
        if not db.is_postgres(conn):
            true, false = "1", "0"
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {TMP}"))
        conn.execute(
            sa.text(
                f"""
                CREATE TEMPORARY TABLE {TMP} AS
                WITH cases AS (
                    SELECT person_key, COUNT(*) AS case_count,
                           SUM(CASE WHEN status <> 'closed' THEN 1 ELSE 0 END) AS open_case_count,
                           MAX(petitioner_name) AS case_name
                    FROM ledger_case WHERE person_key IS NOT NULL GROUP BY person_key
                ),
                ranked AS (
                    SELECT c.person_key, i.channel, i.petitioner_name, i.id_number, i.phone,
                           {_latest_rank("petitioner_name")} AS rn_name,
                           {_latest_rank("id_number")} AS rn_id,
                           {_latest_rank("phone")} AS rn_phone
                    FROM intake_item i JOIN ledger_case c ON c.case_id = i.case_id
                    WHERE c.person_key IS NOT NULL
                ),
                items AS (
                    SELECT person_key, COUNT(*) AS item_count,
                           COUNT(DISTINCT channel) AS channel_count,
                           MAX(CASE WHEN rn_name = 1 THEN NULLIF(petitioner_name, '') END)
                             AS name,
                           MAX(CASE WHEN rn_id = 1 THEN NULLIF(id_number, '') END) AS id_number,
                           MAX(CASE WHEN rn_phone = 1 THEN NULLIF(phone, '') END) AS phone
                    FROM ranked GROUP BY person_key
                ),
                flags AS (
                    SELECT c.person_key, COUNT(*) AS risk_flag_count,
                           SUM(CASE WHEN f.kind = 'threat' THEN 1 ELSE 0 END) AS threat_count
                    FROM risk_flag f JOIN ledger_case c ON c.case_id = f.case_id
                    WHERE c.person_key IS NOT NULL GROUP BY c.person_key
                )
                SELECT k.person_key,
                       COALESCE(i.name, k.case_name) AS name,
                       i.id_number,
                       i.phone,
                       k.case_count,
                       COALESCE(i.item_count, 0) AS item_count,
                       COALESCE(i.channel_count, 0) AS channel_count,
                       k.open_case_count,
                       COALESCE(f.risk_flag_count, 0) AS risk_flag_count,
                       COALESCE(f.threat_count, 0) AS threat_count,
                       CASE WHEN k.open_case_count >= :min_open
                                 OR COALESCE(f.threat_count, 0) >= :min_threats
                            THEN {true} ELSE {false} END AS is_key_person
                FROM cases k
                LEFT JOIN items i ON i.person_key = k.person_key
                LEFT JOIN flags f ON f.person_key = k.person_key
                """
            ),
            {"min_open": min_open, "min_threats": min_threats},
        )
        changed = " OR ".join(f"key_person.{c} IS DISTINCT FROM excluded.{c}" for c in COLUMNS)
        cols = ", ".join(COLUMNS)
        upserted = conn.execute(
            sa.text(
                f"""
                INSERT INTO key_person (person_key, {cols}, updated_at)
                SELECT person_key, {cols}, :now FROM {TMP} WHERE 1 = 1
                ON CONFLICT (person_key) DO UPDATE SET
                    {", ".join(f"{c} = excluded.{c}" for c in COLUMNS)},
                    updated_at = excluded.updated_at
                WHERE {changed}
                """
            ).bindparams(sa.bindparam("now", now, type_=sa.DateTime))
        ).rowcount
        deleted = conn.execute(
            sa.text(
                f"""DELETE FROM key_person
                WHERE NOT EXISTS (SELECT 1 FROM {TMP} t WHERE t.person_key = key_person.person_key)"""
            )
        ).rowcount
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {TMP}"))
    out = {"upserted": upserted or 0, "deleted": deleted or 0}
    log.info("key persons refreshed: %s", out)
    return out
