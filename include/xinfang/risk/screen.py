"""Risk screening over the ledger: write ``risk_flag`` rows, make threat/group cases key.

One transaction per run. The batch is every item that has a case, was received on or
before ``as_of`` (and on or after ``since``) and has not been screened yet
(``risk_screened`` keeps the screened item ids as ranges: a run reads the ids above the
last range and those in the gaps between ranges, nothing else). Per-item rules (threat,
group, referral) look at the batch; per-case rules (repeat, multi_channel) look at every
item up to ``as_of`` of the batch's cases.
Flags carry the date of the fact that triggered them, never the run date, and the
unique key (case_id, kind, item_id) with ON CONFLICT DO NOTHING makes a rerun add nothing:
running daily or once over the same facts gives the same flags.

What the escalation sweep can rely on: a ``threat`` or ``group`` flag sets
``ledger_case.is_key`` and ``key_since`` (the earliest such item's received date, kept if
the case was key earlier) and writes a ``notification`` of kind ``risk`` (tier =
``key_case_tier``) to the case's leader, else the key tier's role, dated that day. The tier
itself is the sweep's to set.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from xinfang import db, locks
from xinfang.config import RISK_KINDS, get_config
from xinfang.db import dialect_of
from xinfang.risk.threat import Lexicon, default_lexicon, detect_threat
from xinfang.timeutil import now_local

log = logging.getLogger(__name__)

KINDS = RISK_KINDS
KEY_KINDS = ("threat", "group")
BATCH = "tmp_risk_batch"
"""The run's items: (item_id, case_id, received_at, day, dn, channel, group_size, ref)."""
BATCH_CASES = "tmp_risk_cases"
"""The batch's cases: (case_id, person_key)."""
CASE_ITEMS = "tmp_risk_items"
"""The batch's cases' items up to as_of not in the batch: (item_id, case_id, received_at, dn,
channel)."""
ALL_ITEMS = f"""(SELECT item_id, case_id, received_at, dn, channel FROM {BATCH}
    UNION ALL SELECT item_id, case_id, received_at, dn, channel FROM {CASE_ITEMS})"""
"""Every item up to as_of of the batch's cases."""
GAPS = "tmp_risk_gaps"
"""Unscreened item-id intervals (lo, hi) between the screened ranges."""
RUNS = "tmp_risk_runs"
"""The item-id ranges (lo, hi) this run screened."""
MERGED = "tmp_risk_merged"
"""The screened ranges the run's ranges extend or join, merged: (lo, hi)."""
HITS = "tmp_risk_hits"
"""The threat hits: (item_id, case_id, detected_on, evidence)."""
WINDOWED = "tmp_risk_windowed"
"""The items the per-case windows flag: (item_id, case_id, received_at, channel, n, k,
is_repeat, is_multi)."""
CASE_UPDATE = "tmp_risk_case_update"
TEMP_TABLES = (GAPS, BATCH, BATCH_CASES, CASE_ITEMS, RUNS, MERGED, HITS, WINDOWED, CASE_UPDATE)
FETCH = 20_000
SEEN_MAX = 200_000
"""Distinct texts whose verdict a run remembers."""


DAY_ZERO = dt.date(2000, 1, 1)
"""Day numbers count from here (RANGE windows need a number)."""


def _make_batch(
    conn: Connection, upper: dt.datetime, since: dt.datetime | None, judge: _Judge
) -> int:
    """The run's unscreened items, their cases and those cases' items, in narrow temporary
    tables, and the batch's texts handed to ``judge``; returns the batch's size.

    The unscreened ids are the ones above the last screened range (a range scan of the
    primary key, the whole table on a first screening) and those in the gaps between ranges
    (one primary-key range scan per gap). The cases' earlier items come through the
    case_id index."""
    for name in TEMP_TABLES:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    unscreened = _find_unscreened(conn, upper, since)
    _fill_batch(conn, unscreened, judge)
    n = conn.execute(sa.text(f"SELECT count(*) FROM {BATCH}")).scalar_one()
    if not n:
        return 0
    dialect_of(conn).analyze(conn, f"{BATCH} (item_id, case_id, group_size, channel)")
    _make_batch_cases(conn)
    _make_case_items(conn, unscreened)
    return n


@dataclass(frozen=True)
class _Unscreened:
    """The SELECT of the items not screened yet, received before ``upper`` (and from
    ``since``): above the last screened range (``tail``), and in the ``gaps`` between the
    ``ranges`` screened (table ``GAPS``)."""

    tail: int
    ranges: int
    gaps: int
    since: dt.datetime | None
    upper: sa.BindParameter
    params: tuple[sa.BindParameter, ...]

    def select(self, cols: str) -> str:
        since_sql = "AND i.received_at >= :since" if self.since is not None else ""
        wanted = f"i.case_id IS NOT NULL AND i.received_at < :upper {since_sql}"
        sql = f"SELECT {cols} FROM intake_item i WHERE i.item_id > {int(self.tail)} AND {wanted}"
        if self.gaps:
            sql += f"""
                UNION ALL
                SELECT {cols} FROM {GAPS} g
                JOIN intake_item i ON i.item_id BETWEEN g.lo AND g.hi
                WHERE {wanted}"""
        return sql


def _find_unscreened(
    conn: Connection, upper: dt.datetime, since: dt.datetime | None
) -> _Unscreened:
    """Where the unscreened items are: the screened ranges' tail and the gaps between them."""
    tail, ranges = conn.execute(
        sa.text("SELECT COALESCE(MAX(last_item_id), 0), COUNT(*) FROM risk_screened")
    ).one()
    conn.execute(
        sa.text(
            f"""CREATE TEMPORARY TABLE {GAPS} AS
            SELECT lo, hi FROM (
                SELECT COALESCE(LAG(last_item_id) OVER (ORDER BY first_item_id), 0) + 1 AS lo,
                       first_item_id - 1 AS hi
                FROM risk_screened) g
            WHERE lo <= hi"""
        )
    )
    gaps = conn.execute(sa.text(f"SELECT COUNT(*) FROM {GAPS}")).scalar_one()
    dialect_of(conn).analyze(conn, GAPS)
    upper_p = sa.bindparam("upper", upper, type_=sa.DateTime)
    since_p = sa.bindparam("since", since, type_=sa.DateTime)
    params = (upper_p, *([since_p] if since is not None else []))
    return _Unscreened(int(tail), int(ranges), int(gaps), since, upper_p, params)


def _fill_batch(conn: Connection, unscreened: _Unscreened, judge: _Judge) -> None:
    """``BATCH`` filled with the unscreened items, their texts handed to ``judge``.

    On PostgreSQL one statement fills the batch and streams the same rows' texts out
    (COPY): its two scans of the wide ``intake_item`` see one snapshot, so the texts read
    are exactly the batch's, with no join, and the database produces rows while Python
    judges them."""
    columns = f"""i.item_id, i.case_id, i.received_at,
        {dialect_of(conn).day("i.received_at")} AS day, {dialect_of(conn).days_since("i.received_at", DAY_ZERO)} AS dn,
        i.channel, i.group_size,
        CASE WHEN i.channel = 'referral' THEN
            '上级交办：' || COALESCE(i.referral_unit, '') || ' '
            || COALESCE(i.external_id, '') END AS ref"""
    text_columns = f"""i.item_id, i.case_id, {dialect_of(conn).days_since("i.received_at", DAY_ZERO)},
        COALESCE(i.content_normalized, i.content)"""
    if not db.is_postgres(conn):
        conn.execute(
            sa.text(f"CREATE TEMPORARY TABLE {BATCH} AS {unscreened.select(columns)}").bindparams(
                *unscreened.params
            )
        )
        for row in _texts(conn):
            judge.add(*row)
        return
    conn.execute(
        sa.text(
            f"""CREATE TEMPORARY TABLE {BATCH} AS
            SELECT {columns} FROM intake_item i WITH NO DATA"""
        )
    )
    stmt = sa.text(
        f"""COPY (WITH filled AS (INSERT INTO {BATCH} {unscreened.select(columns)})
                  {unscreened.select(text_columns)}) TO STDOUT"""
    ).bindparams(*unscreened.params)
    compiled = stmt.compile(dialect=conn.dialect)
    with conn.connection.dbapi_connection.cursor() as cur:
        # COPY takes no parameters: the driver inlines them as literals
        cur.copy_expert(cur.mogrify(compiled.string, compiled.params), _CopyRows(judge))


def _make_batch_cases(conn: Connection) -> None:
    """``BATCH_CASES``: the batch's cases with their person."""
    conn.execute(
        sa.text(
            f"""CREATE TEMPORARY TABLE {BATCH_CASES} AS
            SELECT b.case_id, c.person_key
            FROM (SELECT DISTINCT case_id FROM {BATCH}) b
            JOIN ledger_case c ON c.case_id = b.case_id"""
        )
    )
    conn.execute(sa.text(f"CREATE UNIQUE INDEX ix_{BATCH_CASES}_case ON {BATCH_CASES} (case_id)"))
    dialect_of(conn).analyze(conn, f"{BATCH_CASES} (case_id)")


def _make_case_items(conn: Connection, unscreened: _Unscreened) -> None:
    """``CASE_ITEMS``: the batch's cases' other items up to as_of.

    The ones screened before and (with ``since``) the unscreened ones received before it.
    Every unscreened item of those cases received in [since, as_of] is in the batch, so
    these are simply the cases' items up to as_of outside the batch; on a first screening
    without ``since`` none."""
    case_items = f"""
        SELECT i.item_id, i.case_id, i.received_at, {dialect_of(conn).days_since("i.received_at", DAY_ZERO)} AS dn,
               i.channel
        FROM intake_item i JOIN {BATCH_CASES} bc ON bc.case_id = i.case_id
        WHERE i.received_at < :upper
          AND NOT EXISTS (SELECT 1 FROM {BATCH} b WHERE b.item_id = i.item_id)"""
    if not unscreened.ranges and unscreened.since is None:
        case_items += " AND 1 = 0"
    conn.execute(
        sa.text(f"CREATE TEMPORARY TABLE {CASE_ITEMS} AS {case_items}").bindparams(unscreened.upper)
    )
    dialect_of(conn).analyze(conn, f"{CASE_ITEMS} (case_id)")


def _insert_flags(conn: Connection, kind: str, select_sql: str, **params: Any) -> int:
    """INSERT the (case_id, person_key, detected_on, item_id, evidence) rows of ``select_sql``
    as flags of ``kind``; the unique key (case_id, kind, item_id) drops those already there.

    ON CONFLICT rather than NOT EXISTS: a NOT EXISTS over the table being filled can be
    planned as a nested loop over its growing heap (quadratic on a first, empty run)."""
    sql = f"""
        INSERT INTO risk_flag (case_id, person_key, kind, detected_on, item_id, evidence)
        SELECT q.case_id, q.person_key, '{kind}', q.detected_on, q.item_id, q.evidence
        FROM ({select_sql}) q
        WHERE 1 = 1
        ON CONFLICT (case_id, kind, item_id) DO NOTHING
    """
    return conn.execute(sa.text(sql).bindparams(**params)).rowcount or 0


def _texts(conn: Connection):
    """(item_id, case_id, day number, text) of the batch, streamed from the driver."""
    sql = f"""SELECT b.item_id, b.case_id, b.dn, COALESCE(i.content_normalized, i.content)
        FROM {BATCH} b JOIN intake_item i ON i.item_id = b.item_id"""
    cur = conn.connection.dbapi_connection.cursor()
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(FETCH):
            yield from rows
    finally:
        cur.close()


_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_COPY_ESCAPE = re.compile(r"\\(.)")


class _CopyRows(io.TextIOBase):
    """The file ``COPY (item_id, case_id, dn, text) TO STDOUT`` writes to: each row to the
    judge as it arrives (text format: tab-separated, backslash escapes, \\N for null)."""

    def __init__(self, judge: _Judge) -> None:
        self._judge = judge
        self._rest = ""

    def writable(self) -> bool:
        return True

    def write(self, data: str) -> int:  # type: ignore[override]
        size = len(data)
        if self._rest:
            data = self._rest + data
        lines = data.split("\n")
        self._rest = lines.pop()
        add = self._judge.add
        for line in lines:
            item_id, case_id, dn, text = line.split("\t", 3)
            if "\\" in text:
                text = (
                    None
                    if text == "\\N"
                    else _COPY_ESCAPE.sub(lambda m: _COPY_ESCAPES.get(m[1], m[1]), text)
                )
            add(int(item_id), case_id, dn, text)
        return size


def _load_hits(conn: Connection, hits: list[tuple[int, int, dt.date, str]]) -> None:
    """The threat hits (item_id, case_id, detected_on, evidence) into a temporary table
    (COPY on PostgreSQL)."""
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {HITS}"))
    conn.execute(
        sa.text(
            f"""CREATE TEMPORARY TABLE {HITS}
            (item_id BIGINT, case_id BIGINT, detected_on DATE, evidence TEXT)"""
        )
    )
    if not hits:
        return
    if db.is_postgres(conn):
        buf = io.StringIO()
        for item_id, case_id, day, evidence in hits:
            clean = evidence.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")
            buf.write(f"{item_id}\t{case_id}\t{day.isoformat()}\t{clean.replace(chr(13), ' ')}\n")
        buf.seek(0)
        with conn.connection.dbapi_connection.cursor() as cur:
            cur.copy_expert(
                f"COPY {HITS} (item_id, case_id, detected_on, evidence) FROM STDIN", buf
            )
    else:
        conn.execute(
            sa.text(
                f"""INSERT INTO {HITS} (item_id, case_id, detected_on, evidence)
                VALUES (:i, :c, :d, :e)"""
            ).bindparams(sa.bindparam("d", type_=sa.Date)),
            [{"i": i, "c": c, "d": d, "e": e} for i, c, d, e in hits],
        )
    dialect_of(conn).analyze(conn, f"{HITS} (case_id)")


def _runs(ids: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, merged (lo, hi) ranges of consecutive ids from ranges in any order."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ids):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _mark_screened(conn: Connection, runs: list[tuple[int, int]], now: dt.datetime) -> None:
    """Add the run's id ranges to ``risk_screened``, merged with the ranges they touch."""
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE {RUNS} (lo BIGINT, hi BIGINT)"))
    if not runs:
        return
    conn.execute(
        sa.text(f"INSERT INTO {RUNS} (lo, hi) VALUES (:lo, :hi)"),
        [{"lo": lo, "hi": hi} for lo, hi in runs],
    )
    conn.execute(
        sa.text(
            f"""
            CREATE TEMPORARY TABLE {MERGED} AS
            WITH u AS (
                SELECT first_item_id AS lo, last_item_id AS hi, 0 AS fresh FROM risk_screened
                UNION ALL SELECT lo, hi, 1 FROM {RUNS}
            ),
            s AS (
                SELECT lo, hi, fresh,
                       CASE WHEN lo = LAG(hi) OVER (ORDER BY lo) + 1 THEN 0 ELSE 1 END AS starts
                FROM u
            ),
            g AS (
                SELECT lo, hi, fresh,
                       SUM(starts) OVER (ORDER BY lo ROWS UNBOUNDED PRECEDING) AS grp
                FROM s
            )
            SELECT MIN(lo) AS lo, MAX(hi) AS hi FROM g GROUP BY grp HAVING MAX(fresh) = 1
            """
        )
    )
    conn.execute(
        sa.text(
            f"""DELETE FROM risk_screened WHERE EXISTS (SELECT 1 FROM {MERGED} m
                WHERE risk_screened.first_item_id BETWEEN m.lo AND m.hi)"""
        )
    )
    conn.execute(
        sa.text(
            f"""INSERT INTO risk_screened (first_item_id, last_item_id, screened_at)
            SELECT lo, hi, :now FROM {MERGED}"""
        ).bindparams(sa.bindparam("now", now, type_=sa.DateTime))
    )


class _Judge:
    """The threat rule over the batch's texts (the one rule SQL cannot run), and the runs of
    consecutive item ids read, which become ``risk_screened`` ranges.

    The rule is a pure function of the text, and texts repeat (a letter sent again, template
    hotline summaries), so each distinct text is judged once per run."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.hits: list[tuple[int, int, dt.date, str]] = []
        self.runs: list[tuple[int, int]] = []
        self._seen: dict[str | None, str | None] = {}
        self._lo = self._hi = -2

    def add(self, item_id: int, case_id: Any, dn: Any, text: str | None) -> None:
        """One item; ``case_id`` and ``dn`` (its day number) are read only on a hit."""
        if item_id == self._hi + 1:
            self._hi = item_id
        else:
            if self._hi >= 0:
                self.runs.append((self._lo, self._hi))
            self._lo = self._hi = item_id
        try:
            evidence = self._seen[text]
        except KeyError:
            if len(self._seen) >= SEEN_MAX:  # bounded memory on a ledger of all-distinct texts
                self._seen.clear()
            hit = detect_threat(text, self.lexicon)
            evidence = self._seen[text] = hit.evidence() if hit is not None else None
        if evidence is not None:
            day = DAY_ZERO + dt.timedelta(days=int(dn))
            self.hits.append((item_id, int(case_id), day, evidence))

    def screened(self) -> list[tuple[int, int]]:
        """The (lo, hi) id ranges read, sorted and merged."""
        runs = self.runs + ([(self._lo, self._hi)] if self._hi >= 0 else [])
        return _runs(runs)


def _threat(conn: Connection, judge: _Judge, now: dt.datetime) -> int:
    """Mark the items read as screened, and flag the threat hits."""
    _mark_screened(conn, judge.screened(), now)
    _load_hits(conn, judge.hits)
    return _insert_flags(
        conn,
        "threat",
        f"""SELECT h.case_id, bc.person_key, h.detected_on, h.item_id, h.evidence
        FROM {HITS} h JOIN {BATCH_CASES} bc ON bc.case_id = h.case_id""",
    )


def _group(conn: Connection, min_people: int) -> int:
    return _insert_flags(
        conn,
        "group",
        f"""SELECT b.case_id, bc.person_key, b.day AS detected_on, b.item_id,
               '集体访：来访人数 ' || b.group_size || ' 人' AS evidence
        FROM {BATCH} b JOIN {BATCH_CASES} bc ON bc.case_id = b.case_id
        WHERE b.group_size >= :min_people""",
        min_people=min_people,
    )


def _referral(conn: Connection) -> int:
    return _insert_flags(
        conn,
        "referral",
        f"""SELECT b.case_id, bc.person_key, b.day AS detected_on, b.item_id, b.ref AS evidence
        FROM {BATCH} b JOIN {BATCH_CASES} bc ON bc.case_id = b.case_id
        WHERE b.channel = 'referral'""",
    )


ITEM_KINDS = ("threat", "group", "referral")
"""Flags a single item raised (its ``item_id``): they belong to that item's case."""


def follow_items(conn: Connection, case_ids: list[int]) -> int:
    """The item flags of ``case_ids`` whose item now lies in another case go with it.

    Deduplication folds, staff merges and splits, and a rebuild move items between
    cases; an item is screened only once, so a threat flag left on the case its item
    left (or deleted with that case) would never be raised again. Returns flags moved.
    The per-case flags (repeat, multi_channel) stay: they are judged again whenever
    their case gets a new item."""
    cases = sorted({int(c) for c in case_ids if c is not None})
    kinds = ", ".join(f"'{k}'" for k in ITEM_KINDS)
    now_in = "(SELECT i.case_id FROM intake_item i WHERE i.item_id = risk_flag.item_id)"
    moved = 0
    for among in db.case_id_lists(cases):
        moved += conn.execute(
            sa.text(
                f"""UPDATE risk_flag SET case_id = {now_in}
                WHERE {among} AND kind IN ({kinds}) AND item_id IS NOT NULL
                  AND {now_in} <> risk_flag.case_id
                  AND NOT EXISTS (SELECT 1 FROM risk_flag r WHERE r.case_id = {now_in}
                    AND r.kind = risk_flag.kind AND r.item_id = risk_flag.item_id)"""
            )
        ).rowcount
    return moved


def key_dates_sql(as_of_param: str = "as_of") -> str:
    """SQL giving (case_id, key_on): the day each case became key through risk screening.

    For the escalation sweep, which derives ``is_key``/``key_since`` from the facts: a key
    fact alongside the first referral item and the first 重点案件=是 progress row.
    """
    kinds = ", ".join(f"'{k}'" for k in KEY_KINDS)
    return f"""SELECT case_id, MIN(detected_on) AS key_on FROM risk_flag
        WHERE kind IN ({kinds}) AND detected_on <= :{as_of_param} GROUP BY case_id"""


def key_dates(conn: Connection, as_of: dt.date) -> dict[int, dt.date]:
    """The risk key date of every case that has one, as of ``as_of``."""
    stmt = (
        sa.text(key_dates_sql())
        .bindparams(sa.bindparam("as_of", as_of, type_=sa.Date))
        .columns(key_on=sa.Date)
    )
    return {case_id: key_on for case_id, key_on in conn.execute(stmt)}


def _windows(conn: Connection, min_items: int, window_days: int, min_channels: int) -> None:
    """The per-case rules over every item of the batch's cases, into ``WINDOWED``:

    - repeat: the item that brings a case to ``min_items`` items within ``window_days``
      calendar days (its own day included); a new flag only after the count fell below.
      n = the item's rank in its case (rn) minus the case's items ``window_days`` or more
      days before it (old); the previous item's n is rn - 1 minus its own old count.
    - multi_channel: the item through which a case's ``min_channels``-th channel first
      arrived: the first item of its channel in the case (first) where k, the count of
      such firsts up to it, reaches ``min_channels``.

    Three window passes: the firsts (sorted by case and channel), the old counts (by case
    and day, the database re-sorting only within each case) and the ranks in the order
    (case, day, time, id), which the second pass already delivers.
    """
    order = "PARTITION BY case_id ORDER BY dn, received_at, item_id"
    conn.execute(
        sa.text(
            f"""
            CREATE TEMPORARY TABLE {WINDOWED} AS
            WITH firsts AS (
                SELECT item_id, case_id, received_at, dn, channel,
                       CASE WHEN ROW_NUMBER() OVER (PARTITION BY case_id, channel
                                                    ORDER BY dn, received_at, item_id) = 1
                            THEN 1 ELSE 0 END AS first
                FROM {ALL_ITEMS} x
            ),
            counted AS (
                SELECT item_id, case_id, received_at, dn, channel, first,
                       COUNT(*) OVER (PARTITION BY case_id ORDER BY dn
                                      RANGE BETWEEN UNBOUNDED PRECEDING
                                                AND {int(window_days)} PRECEDING) AS old
                FROM firsts
            ),
            ranked AS (
                SELECT item_id, case_id, received_at, channel, first, old,
                       ROW_NUMBER() OVER ({order}) AS rn,
                       SUM(first) OVER ({order}) AS k,
                       LAG(old) OVER ({order}) AS prev_old
                FROM counted
            ),
            judged AS (
                SELECT item_id, case_id, received_at, channel, rn - old AS n, k,
                       CASE WHEN rn - old >= :min_items
                                 AND (rn = 1 OR rn - 1 - prev_old < :min_items)
                            THEN 1 ELSE 0 END AS is_repeat,
                       CASE WHEN first = 1 AND k = :min_channels THEN 1 ELSE 0 END AS is_multi
                FROM ranked
            )
            SELECT * FROM judged WHERE is_repeat = 1 OR is_multi = 1
            """
        ),
        {"min_items": min_items, "min_channels": min_channels},
    )


def _repeat(conn: Connection, window_days: int) -> int:
    return _insert_flags(
        conn,
        "repeat",
        f"""SELECT w.case_id, bc.person_key, {dialect_of(conn).day("w.received_at")} AS detected_on,
               w.item_id, '{int(window_days)} 日内第 ' || w.n || ' 次信访' AS evidence
        FROM {WINDOWED} w JOIN {BATCH_CASES} bc ON bc.case_id = w.case_id
        WHERE w.is_repeat = 1""",
    )


def _multi_channel(conn: Connection) -> int:
    return _insert_flags(
        conn,
        "multi_channel",
        f"""SELECT w.case_id, bc.person_key, {dialect_of(conn).day("w.received_at")} AS detected_on,
               w.item_id, '多渠道信访：第 ' || w.k || ' 个渠道 ' || w.channel AS evidence
        FROM {WINDOWED} w JOIN {BATCH_CASES} bc ON bc.case_id = w.case_id
        WHERE w.is_multi = 1""",
    )


def _update_cases(conn: Connection, weights: dict[str, int], now: dt.datetime) -> tuple[int, int]:
    """One UPDATE of the batch's cases: priority from their flag kinds, and key status from
    their earliest threat/group flag (an earlier key date of the case is kept).

    Returns (cases made key or keyed earlier, cases whose priority changed)."""
    terms = " + ".join(
        f"MAX(CASE WHEN f.kind = '{kind}' THEN {int(weights.get(kind, 0))} ELSE 0 END)"
        for kind in KINDS
    )
    key_kinds = ", ".join(f"'{k}'" for k in KEY_KINDS)
    needs_key = f"""(u.key_day IS NOT NULL AND (c.is_key = {dialect_of(conn).boolean(False)}
        OR c.key_since IS NULL OR c.key_since > u.key_day))"""
    conn.execute(
        sa.text(
            f"""
            CREATE TEMPORARY TABLE {CASE_UPDATE} AS
            SELECT u.case_id, u.priority, u.key_day,
                   CASE WHEN {needs_key} THEN 1 ELSE 0 END AS new_key,
                   CASE WHEN c.priority <> u.priority THEN 1 ELSE 0 END AS new_priority
            FROM (SELECT f.case_id, {terms} AS priority,
                         MIN(CASE WHEN f.kind IN ({key_kinds}) THEN f.detected_on END) AS key_day
                  FROM risk_flag f JOIN {BATCH_CASES} bc ON bc.case_id = f.case_id
                  GROUP BY f.case_id) u
            JOIN ledger_case c ON c.case_id = u.case_id
            WHERE c.priority <> u.priority OR {needs_key}
            """
        )
    )
    made_key, prioritized = conn.execute(
        sa.text(f"SELECT SUM(new_key), SUM(new_priority) FROM {CASE_UPDATE}")
    ).one()
    conn.execute(
        sa.text(
            f"""
            UPDATE ledger_case SET
                priority = u.priority,
                is_key = CASE WHEN u.new_key = 1 THEN {dialect_of(conn).boolean(True)}
                              ELSE ledger_case.is_key END,
                key_since = CASE WHEN u.new_key = 1 THEN u.key_day
                                 ELSE ledger_case.key_since END,
                updated_at = :now
            FROM {CASE_UPDATE} u
            WHERE u.case_id = ledger_case.case_id
            """
        ).bindparams(sa.bindparam("now", now, type_=sa.DateTime))
    )
    return int(made_key or 0), int(prioritized or 0)


def _notify(conn: Connection, key_tier: int, role: str) -> int:
    """One ``risk`` notification per key case and day of threat/group flags.

    To the leader in charge on that day (the latest 包案领导 of its progress rows up to
    then, else the case's leader), else the key tier's role."""
    key_kinds = ", ".join(f"'{k}'" for k in KEY_KINDS)
    sql = f"""
        INSERT INTO notification (case_id, kind, tier, recipient, created_on, message)
        SELECT q.case_id, 'risk', :tier,
               COALESCE((SELECT p.leader FROM case_progress p
                         WHERE p.case_id = q.case_id AND p.leader IS NOT NULL
                           AND p.progress_date <= q.day
                         ORDER BY p.progress_date DESC, p.progress_id DESC LIMIT 1),
                        NULLIF(c.leader, ''), :role),
               q.day,
               '重点隐患：' || q.evidence
        FROM (
            SELECT f.case_id, f.detected_on AS day, MIN(f.evidence) AS evidence
            FROM risk_flag f
            JOIN {BATCH_CASES} bc ON bc.case_id = f.case_id
            WHERE f.kind IN ({key_kinds})
            GROUP BY f.case_id, f.detected_on
        ) q
        JOIN ledger_case c ON c.case_id = q.case_id
        WHERE 1 = 1
        ON CONFLICT (case_id, kind, tier, created_on) DO NOTHING
    """
    return conn.execute(sa.text(sql), {"tier": key_tier, "role": role}).rowcount or 0


def screen(engine: Engine, as_of: dt.date, since: dt.date | None = None) -> dict[str, int]:
    """Screen the items received up to ``as_of`` not yet screened; returns counts per kind.

    ``since`` narrows the batch to items received on or after it (a replay window).
    """
    config = get_config()
    risk = config.risk
    lexicon = default_lexicon()  # compiled once per configuration, not once per run
    upper = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    since_dt = dt.datetime.combine(since, dt.time()) if since is not None else None
    now = now_local()
    key_tier = config.key_case_tier
    role = config.tiers[key_tier].role
    weights = dict(risk.priority_weights)
    out: dict[str, int] = {}
    timings: dict[str, float] = {}

    def timed(name: str, step: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        result = step()
        timings[name] = round(time.perf_counter() - t0, 2)
        return result

    with engine.begin() as conn:
        if db.is_postgres(conn):
            # One screening at a time: the batch is "not yet screened".
            locks.take(conn, locks.RISK_SCREEN)
            # The per-case windows sort every item of the batch's cases: keep it in memory;
            # the statements are simple scans and joins that JIT compilation only slows.
            dialect_of(conn).set_local(conn, work_mem="256MB", jit="off")
        judge = _Judge(lexicon)
        out["items"] = timed("batch", lambda: _make_batch(conn, upper, since_dt, judge))
        if out["items"]:
            out["threat"] = timed("threat", lambda: _threat(conn, judge, now))
            out["group"] = timed("group", lambda: _group(conn, risk.group_min_people))
            out["referral"] = timed("referral", lambda: _referral(conn))
            window_days = risk.repeat_window_days
            timed(
                "windows",
                lambda: _windows(conn, risk.repeat_min_items, window_days, risk.multi_channel_min),
            )
            out["repeat"] = timed("repeat", lambda: _repeat(conn, window_days))
            out["multi_channel"] = timed("multi_channel", lambda: _multi_channel(conn))
            out["made_key"], out["prioritized"] = timed(
                "cases", lambda: _update_cases(conn, weights, now)
            )
            out["notified"] = timed("notified", lambda: _notify(conn, key_tier, role))
        for name in TEMP_TABLES:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    log.info("risk screening as of %s: %s", as_of, out)
    log.info("risk screening seconds: %s", timings)
    return out
