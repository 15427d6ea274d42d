"""Intake items into ledger cases (台账): incremental assignment, manual overrides, rebuild.

``assign_cases`` takes the items without a case, fetches only the ledger cases
that share a blocking key with them (ID number, phone, name key + case number;
two hops, set-based, through temp tables), lets ``xinfang.matching`` decide, and
writes the result in one transaction per batch: new ``ledger_case`` rows with
ledger numbers from ``ledger_counter``, counts and dates of the cases joined,
``intake_item.case_id``, one ``match_decision`` per item and ``case_link`` rows
between the cases of different people about one case number. On PostgreSQL a
transaction-level advisory lock serializes concurrent runs, and the writes use
COPY.

Manual overrides (``merge``, ``split``, ``confirm``) are kept in ``manual_override``
and honoured by later runs: an item never moves once assigned, and ``rebuild``
replays the overrides after reassigning everything from scratch. ``confirm`` is
staff's word on a decision of the review queue (``v_match_review``): a confirmed
join stays together like a merge (action ``confirm``), a confirmed near miss stays
apart from the candidate it nearly joined (action ``apart``, a cannot-link).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import resource
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from pandas.api.typing import DataFrameGroupBy
from sqlalchemy.engine import Connection, Engine

from xinfang import history, locks
from xinfang.config import get_config
from xinfang.db import Dialect, dialect_of
from xinfang.db.frames import fetch_frame, python_value
from xinfang.matching import (
    MAX_NAME_BLOCK,
    MatchParams,
    Plan,
    plan_matters,
)
from xinfang.normalize.names import partial_name
from xinfang.risk.screen import follow_items
from xinfang.schema import (
    case_link,
    intake_item,
    ledger_case,
    ledger_counter,
    manual_override,
    match_decision,
)
from xinfang.timeutil import now_local

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _timed(what: str) -> Iterator[None]:
    """Log (debug) how long a stage took, the CPU this process spent on it (the rest of
    the wall clock is the server's work, the matching workers' or waiting for a core),
    and this process's peak RSS so far."""
    t0, c0 = time.perf_counter(), time.process_time()
    yield
    if log.isEnabledFor(logging.DEBUG):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        log.debug(
            "%s: %.2f s (CPU %.2f s; peak RSS so far %.0f MiB)",
            what,
            time.perf_counter() - t0,
            time.process_time() - c0,
            peak,
        )


__all__ = [
    "assign_cases",
    "confirm",
    "merge",
    "rebuild",
    "split",
]

_CHUNK = 5_000
ITEM_COLS = [
    "item_id",
    "channel",
    "source_file",
    "source_row",
    "received_at",
    "petitioner_name",
    "name_key",
    "id_number",
    "phone",
    "case_number",
    "court_code",
    "court_name",
    "content_normalized",
    "due_on",
    "case_id",
]


def _params() -> MatchParams:
    return MatchParams.from_config(get_config().raw.get("dedup"))


def _dates(values: Any) -> list[dt.date | None]:
    """Dates of a Series/list of datetimes, dates, strings or nulls (None for null)."""
    if isinstance(values, pd.Series) and pd.api.types.is_datetime64_any_dtype(values.dtype):
        days = values.dt.date.to_numpy(dtype=object, copy=True)
        days[values.isna().to_numpy()] = None
        return days.tolist()
    out: list[dt.date | None] = []
    for v in list(values):
        if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        elif isinstance(v, dt.datetime):
            out.append(v.date())
        elif isinstance(v, dt.date):
            out.append(v)
        else:
            out.append(pd.Timestamp(v).date())
    return out


# --------------------------------------------------------------------------- I/O helpers


def _load(conn: Connection, table: sa.Table, df: pd.DataFrame) -> None:
    """Bulk-load ``df`` (columns named as the table's); a temp table gets statistics."""
    dialect = dialect_of(conn)
    dialect.insert_frame(conn, table, df)
    if table.name.startswith("tmp_") and not df.empty:
        dialect.analyze(conn, table.name)


@contextlib.contextmanager
def _bulk_write(
    conn: Connection, table: sa.Table, n_rows: int, columns: set[str] | None = None
) -> Iterator[None]:
    """Write many rows of ``table``; on PostgreSQL, when they are a large share of it,
    drop its secondary indexes first and build them again after (inside the same
    transaction, so a failure restores them): one sort per index instead of a
    random insertion per row and index. The indexes are the schema's own.

    ``columns``: an UPDATE of only these columns; only the indexes on them are
    dropped, so that the rows are rewritten in place (HOT, see intake_item's
    fillfactor) and the other indexes are left as they are."""
    if not dialect_of(conn).is_postgres or n_rows < 50_000:
        yield
        return
    existing = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    if n_rows < 0.25 * existing:
        yield
        return
    present = set(
        conn.execute(
            sa.text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": table.name}
        ).scalars()
    )
    dropped = [
        ix
        for ix in sorted(table.indexes, key=lambda i: i.name)
        if ix.name in present and (columns is None or {c.name for c in ix.columns} & columns)
    ]
    # the foreign key to ledger_case too: checked once, set-based, when added back,
    # instead of by a trigger per written row
    fks = [
        fk
        for fk in sorted(table.foreign_key_constraints, key=lambda f: f.name or "")
        if fk.referred_table is ledger_case
        and fk.name
        and (columns is None or set(fk.column_keys) & columns)
    ]
    for fk in fks:
        conn.execute(sa.schema.DropConstraint(fk))
    for ix in dropped:
        ix.drop(conn)
    yield
    with dialect_of(conn).tuned(conn, maintenance_work_mem="256MB"):
        for ix in dropped:
            ix.create(conn)
        for fk in fks:
            conn.execute(sa.schema.AddConstraint(fk))


def _item_select() -> sa.Select:
    cols = [intake_item.c[c] for c in ITEM_COLS]
    return sa.select(*cols, ledger_case.c.case_number.label("case_case_number")).outerjoin(
        ledger_case, ledger_case.c.case_id == intake_item.c.case_id
    )


def _sort_items(df: pd.DataFrame) -> pd.DataFrame:
    """The fixed processing order: received, channel, file, row (stable across load styles)."""
    return df.sort_values(
        ["received_at", "channel", "source_file", "source_row", "item_id"], kind="stable"
    ).reset_index(drop=True)


def _overrides(conn: Connection) -> pd.DataFrame:
    return fetch_frame(
        conn,
        sa.select(
            manual_override.c.override_id,
            manual_override.c.action,
            manual_override.c.item_id,
            manual_override.c.other_item_id,
        ).order_by(manual_override.c.created_at, manual_override.c.override_id),
    )


def _cannot_link(ov: pd.DataFrame) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for row in ov.itertuples(index=False):
        # split: never again with the case it left; apart: a confirmed near miss
        if row.action in ("split", "apart") and pd.notna(row.other_item_id):
            out.setdefault(int(row.item_id), set()).add(int(row.other_item_id))
    return out


def _candidates(conn: Connection, new: pd.DataFrame) -> tuple[pd.DataFrame, set[str]]:
    """Items of the ledger cases that share a blocking key with the new items, and the
    uncommon names too frequent for rule 4 (see ``plan_matters``' skip_names).

    Two hops: the cases found by the new items' ID numbers, phones and (name key, case
    number) pairs are *strong*, and their own ID numbers and phones find more cases;
    the cases found by an uncommon name (rule 4 of ``xinfang.matching``) are *weak*:
    read, but their keys not followed."""
    if _ledger_is_empty(conn):
        return _no_candidates(), set()  # the first load: nothing to match against
    lookup = _CaseLookup(conn)
    ids, phones = set(new["id_number"].dropna()), set(new["phone"].dropna())
    with _timed("candidates: by ID number and phone"):
        strong = lookup.by_identifiers(ids, phones)
    with _timed("candidates: by name and case number"):
        strong |= lookup.by_name_and_case_number(_names_with_case_numbers(new))
    with _timed("candidates: by uncommon name"):
        weak, big_names = lookup.by_uncommon_name(_named_grievances(new))
    if strong:
        with _timed("candidates: second hop"):
            more_ids, more_phones = lookup.identifiers_of(strong)
            strong |= lookup.by_identifiers(more_ids - ids, more_phones - phones)
    cases = strong | weak
    with _timed(f"candidates: items of {len(cases)} cases"):
        return (lookup.items_of(cases) if cases else _no_candidates()), big_names


def _no_candidates() -> pd.DataFrame:
    return pd.DataFrame(columns=[*ITEM_COLS, "case_case_number"])


def _names_with_case_numbers(new: pd.DataFrame) -> set[tuple[str, str]]:
    """The (name key, case number) pairs of the new items (rule 3: same name and 案号)."""
    both = new.dropna(subset=["name_key", "case_number"])
    return set(zip(both["name_key"], both["case_number"], strict=True))


def _named_grievances(new: pd.DataFrame) -> pd.Series:
    """The name keys of new items with a full name and a text (rule 4 reads every name:
    a common one joins on facts alone; too big a block is skipped, see ``by_uncommon_name``)."""
    named = new.dropna(subset=["name_key", "content_normalized"])
    full = [partial_name(n) is None for n in named["petitioner_name"].tolist()]
    return named.loc[full, "name_key"]


class _CaseLookup:
    """Ledger cases by blocking key, set-based: the keys go into a temp table and one
    join through ``intake_item``'s indexes finds the cases holding them.

    ``tmp_dedup_key`` (k): ID numbers, phones or name keys looked up;
    ``tmp_dedup_nc`` (n, c): (name key, case number) pairs looked up;
    ``tmp_dedup_case`` (case_id): cases whose items are read."""

    def __init__(self, conn: Connection) -> None:
        dialect = dialect_of(conn)
        self.conn = conn
        self.keys = dialect.temp_table(conn, "tmp_dedup_key", [sa.Column("k", sa.String(128))])
        self.name_case_numbers = dialect.temp_table(
            conn, "tmp_dedup_nc", [sa.Column("n", sa.String(128)), sa.Column("c", sa.String(64))]
        )
        self.cases = dialect.temp_table(
            conn, "tmp_dedup_case", [sa.Column("case_id", sa.BigInteger)]
        )

    def _fill(self, table: sa.Table, rows: pd.DataFrame) -> None:
        self.conn.execute(table.delete())
        _load(self.conn, table, rows)

    def _case_ids(self, on: sa.ColumnElement[bool], table: sa.Table) -> set[int]:
        rows = self.conn.execute(
            sa.select(intake_item.c.case_id)
            .distinct()
            .join(table, on)
            .where(intake_item.c.case_id.is_not(None))
        )
        return {r[0] for r in rows}

    def by_key(self, column: str, keys: set[str]) -> set[int]:
        """The cases with an item whose ``column`` is one of ``keys``."""
        if not keys:
            return set()
        self._fill(self.keys, pd.DataFrame({"k": sorted(keys)}))
        return self._case_ids(intake_item.c[column] == self.keys.c.k, self.keys)

    def by_identifiers(self, ids: set[str], phones: set[str]) -> set[int]:
        """The cases sharing an ID number or a phone (rules 1 and 2)."""
        return self.by_key("id_number", ids) | self.by_key("phone", phones)

    def by_name_and_case_number(self, pairs: set[tuple[str, str]]) -> set[int]:
        """The cases with an item of the same name key and case number (rule 3)."""
        if not pairs:
            return set()
        table = self.name_case_numbers
        self._fill(table, pd.DataFrame(sorted(pairs), columns=["n", "c"]))
        on = sa.and_(intake_item.c.case_number == table.c.c, intake_item.c.name_key == table.c.n)
        return self._case_ids(on, table)

    def by_uncommon_name(self, name_keys: pd.Series) -> tuple[set[int], set[str]]:
        """The cases of the same name key (rule 4), and the names skipped: a name borne by
        more items than rule 4 compares (``MAX_NAME_BLOCK``, ledger and batch together)
        is not read, and the rule is told to skip it."""
        if name_keys.empty:
            return set(), set()
        self._fill(self.keys, pd.DataFrame({"k": sorted(set(name_keys))}))
        per_case = self.conn.execute(
            sa.select(intake_item.c.name_key, intake_item.c.case_id, sa.func.count())
            .join(self.keys, intake_item.c.name_key == self.keys.c.k)
            .where(intake_item.c.case_id.is_not(None))
            .group_by(intake_item.c.name_key, intake_item.c.case_id)
        ).all()
        on_ledger: dict[str, int] = {}
        for name, _case, n in per_case:
            on_ledger[name] = on_ledger.get(name, 0) + n
        in_batch = name_keys.value_counts()
        big = {k for k, n in on_ledger.items() if n + int(in_batch.get(k, 0)) > MAX_NAME_BLOCK}
        return {case for name, case, _n in per_case if name not in big}, big

    def _fill_cases(self, cases: set[int]) -> None:
        self._fill(self.cases, pd.DataFrame({"case_id": sorted(cases)}))

    def identifiers_of(self, cases: set[int]) -> tuple[set[str], set[str]]:
        """The ID numbers and phones of the items of ``cases`` (the second hop's keys)."""
        self._fill_cases(cases)
        keys = dialect_of(self.conn).read_frame(
            self.conn,
            sa.select(intake_item.c.id_number, intake_item.c.phone).join(
                self.cases, intake_item.c.case_id == self.cases.c.case_id
            ),
        )
        if keys.empty:
            return set(), set()
        return set(keys["id_number"].dropna()), set(keys["phone"].dropna())

    def items_of(self, cases: set[int]) -> pd.DataFrame:
        """Every item of ``cases``, as ``_item_select`` reads them."""
        self._fill_cases(cases)
        stmt = _item_select().join(self.cases, intake_item.c.case_id == self.cases.c.case_id)
        return dialect_of(self.conn).read_frame(self.conn, stmt)


def _allocate_ledger_nos(conn: Connection, years: pd.Series) -> list[str]:
    """Ledger numbers XF<year>-<n>, n from a per-year counter that only grows (never reused).

    ``UPDATE ... RETURNING`` takes the counter row's lock, so concurrent writers on
    PostgreSQL get disjoint ranges.
    """
    out = [""] * len(years)
    yv = years.to_numpy()
    for year in sorted(set(yv.tolist())):
        idx = np.flatnonzero(yv == year)
        name = f"ledger_no:{int(year)}"
        conn.execute(
            dialect_of(conn).insert_or_ignore(ledger_counter, ["name"]), {"name": name, "value": 0}
        )
        end = conn.execute(
            sa.update(ledger_counter)
            .where(ledger_counter.c.name == name)
            .values(value=ledger_counter.c.value + len(idx))
            .returning(ledger_counter.c.value)
        ).scalar_one()
        start = end - len(idx) + 1
        for j, i in enumerate(idx.tolist()):
            out[i] = f"XF{int(year)}-{start + j:06d}"
    return out


def _court_for(cn_court: Any, court_name: Any, item_court: Any) -> str:
    cfg = get_config()
    if isinstance(cn_court, str) and cn_court in cfg.courts:
        return cn_court
    if isinstance(court_name, str) and court_name.strip():
        court = cfg.court_by_name(court_name)
        if court is not None:
            return court.code
    if isinstance(item_court, str) and item_court in cfg.courts and not isinstance(cn_court, str):
        return item_court
    return cfg.intermediate_court


def _next_case_ids(conn: Connection, n: int) -> np.ndarray:
    """``n`` new ledger_case ids from the column's sequence (PostgreSQL), ascending."""
    got = conn.execute(
        sa.text(
            "SELECT string_agg(nextval(pg_get_serial_sequence('ledger_case', 'case_id'))::text,"
            " ',') FROM generate_series(1, :n)"
        ),
        {"n": n},
    ).scalar_one()
    return np.sort(np.array(got.split(","), dtype=np.int64))


def _case_number_court(cn: Any) -> str | None:
    """Court code of a canonical 案号: '(2023)冀1003民初1234号' -> '冀1003'."""
    if not isinstance(cn, str) or ")" not in cn:
        return None
    rest = cn.split(")", 1)[1]
    code = rest[:1]
    for ch in rest[1:]:
        if ch.isdigit():
            code += ch
        else:
            break
    return code if len(code) > 1 else None


def _person_key(idn: Any, phone: Any, nkey: Any) -> str | None:
    if isinstance(idn, str) and idn:
        return idn
    if isinstance(phone, str) and phone:
        return f"tel:{phone}"
    if isinstance(nkey, str) and nkey:
        return f"name:{nkey}"[:64]
    return None


def _new_case_rows(new: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """One row per new matter (label < 0) with the identity fields of CONTRACT §3: who and
    what (``_matter_identity``), the court (``_matter_courts``), the key flag, tier and
    deadlines (``_matter_start``), and the state every new case starts in."""
    df = new.assign(label=labels, first_pos=np.arange(len(new)))
    df = df[df["label"] < 0]
    if df.empty:
        return pd.DataFrame()
    out = _matter_identity(df)
    out["court_code"] = _matter_courts(df.groupby("label", sort=False), out["case_number"])
    out = _matter_start(df, out)
    out["status"] = "open"
    out["overdue"] = False
    out["statutory_overdue"] = False
    out["reopened_count"] = 0
    out["priority"] = 0
    return out.reset_index()


def _matter_identity(df: pd.DataFrame) -> pd.DataFrame:
    """Per matter (rows in processing order): count, first and last received, position of
    the first item, the first case number, the first full name and the person key."""
    g = df.groupby("label", sort=False)
    out = pd.DataFrame(index=g.head(1).set_index("label").index)
    out["first_received_at"] = g["received_at"].min()
    out["last_received_at"] = g["received_at"].max()
    out["item_count"] = g.size()
    out["first_pos"] = g["first_pos"].min()
    # first non-null value per matter (GroupBy.first skips nulls), in processing order
    out["case_number"] = g["case_number"].first().reindex(out.index)
    # the first full name: a caller recorded as 王先生 is named by a later letter
    names = df["petitioner_name"]
    partial = [isinstance(n, str) and partial_name(n) is not None for n in names.tolist()]
    full = names.mask(pd.Series(partial, index=df.index)).groupby(df["label"], sort=False)
    out["petitioner_name"] = (
        full.first().reindex(out.index).fillna(g["petitioner_name"].first().reindex(out.index))
    )
    firsts = [g[c].first().reindex(out.index) for c in ("id_number", "phone", "name_key")]
    out["person_key"] = [_person_key(a, b, c) for a, b, c in zip(*firsts, strict=True)]
    return out


def _matter_courts(g: DataFrameGroupBy, case_numbers: pd.Series) -> list[str]:
    """Per matter, its court (``_court_for``, once per distinct combination)."""
    index = case_numbers.index
    court_of: dict[tuple, str] = {}
    out = []
    for key in zip(
        [_case_number_court(x) for x in case_numbers.tolist()],
        g["court_name"].first().reindex(index).tolist(),
        g["court_code"].first().reindex(index).tolist(),
        strict=True,
    ):
        if key not in court_of:
            court_of[key] = _court_for(*key)
        out.append(court_of[key])
    return out


def _matter_start(df: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    """Per matter: key since its first referral (at the key tier from that day), the
    referral's limit, and the statutory date (the earlier of it and the limit)."""
    cfg = get_config()
    referrals = df[df["channel"] == "referral"]
    if "due_on" in df:  # as datetimes: a per-group min over date objects runs in Python
        referrals = referrals.assign(due_on=pd.to_datetime(referrals["due_on"]))
    ref = referrals.groupby("label", sort=False)
    key_since = _dates(ref["received_at"].min().reindex(out.index))
    due = _dates(ref["due_on"].min().reindex(out.index)) if "due_on" in df else [None] * len(out)
    first_day = _dates(out["first_received_at"])
    out["is_key"] = [k is not None for k in key_since]
    out["key_since"] = pd.Series(key_since, index=out.index, dtype=object)
    out["referral_due_on"] = pd.Series(due, index=out.index, dtype=object)
    out["tier"] = [max(cfg.key_case_tier, 1) if k else 1 for k in key_since]
    out["tier_entered_on"] = [k or f for k, f in zip(key_since, first_day, strict=True)]
    statutory = [f + dt.timedelta(days=cfg.statutory_days) for f in first_day]
    out["statutory_due_on"] = [
        min(s, d) if d is not None else s for s, d in zip(statutory, due, strict=True)
    ]
    return out


def _write_plan(
    conn: Connection, new: pd.DataFrame, plan: Plan, now: dt.datetime
) -> dict[str, int]:
    """Write a plan of the matcher: a pipeline of stages, each one table of the ledger.

    1. ``_merge_cases``: cases a new item bridged are folded into the oldest;
    2. ``_insert_new_cases``: ``ledger_case`` rows of the new matters (ledger numbers);
    3. ``_update_joined_cases``: counts, dates, key flag and case numbers of the cases joined;
    4. ``_assign_items``: ``intake_item.case_id``;
    5. ``_record_decisions``: one ``match_decision`` per item;
    6. ``_recount`` the merged cases and ``_link_same_case_number`` (``case_link``).
    """
    labels = plan.target
    first_load = bool((labels < 0).all()) and _ledger_is_empty(conn)
    merged = _merge_cases(conn, plan.merges, now) if plan.merges else []
    with _timed("case rows"):
        label_to_case = _insert_new_cases(conn, _new_case_rows(new, labels), now)
    case_of = _case_of_rows(labels, label_to_case)
    joined_cases = _update_joined_cases(conn, new.assign(case_id=case_of)[labels >= 0], plan, now)
    _assign_items(conn, new["item_id"].to_numpy(), case_of)
    with _timed("decisions"):
        _record_decisions(conn, new["item_id"].to_numpy(), case_of, plan, now)
    if merged:
        _recount(conn, merged)
    with _timed("links"):
        links = _link_same_case_number(conn, new.assign(case_id=case_of), first_load)
    return {
        "items": len(new),
        "new_cases": len(label_to_case),
        "joined_items": int((labels >= 0).sum()),
        "joined_cases": joined_cases,
        "links": links,
    }


def _ledger_is_empty(conn: Connection) -> bool:
    return conn.execute(sa.select(ledger_case.c.case_id).limit(1)).first() is None


def _insert_new_cases(conn: Connection, cases: pd.DataFrame, now: dt.datetime) -> dict[int, int]:
    """The new matters' ``ledger_case`` rows (``_new_case_rows``); returns label -> case_id.

    Ledger numbers go in the order of each case's first item (processing order). On
    PostgreSQL the case_ids are drawn from the column's own sequence, in the order COPY
    would have drawn them, so nothing is read back; SQLite's are read back by ledger
    number (``tmp_dedup_no``)."""
    if cases.empty:
        return {}
    cases = cases.sort_values(["first_pos"], kind="stable")
    years = pd.to_datetime(cases["first_received_at"]).dt.year
    cases["ledger_no"] = _allocate_ledger_nos(conn, years)
    cases["updated_at"] = now
    cols = [c.name for c in ledger_case.c if c.name in cases.columns and c.name != "case_id"]
    if dialect_of(conn).is_postgres:
        cases["case_id"] = _next_case_ids(conn, len(cases))
        cols = ["case_id", *cols]
    with _timed("insert cases"), _bulk_write(conn, ledger_case, len(cases)):
        _load(conn, ledger_case, cases[cols])
    if "case_id" not in cases:
        cases["case_id"] = _case_ids_by_ledger_no(conn, cases["ledger_no"])
    return dict(
        zip(cases["label"].astype(np.int64).tolist(), cases["case_id"].tolist(), strict=True)
    )


def _case_ids_by_ledger_no(conn: Connection, ledger_nos: pd.Series) -> list[int]:
    """The case_ids of freshly inserted cases, in the order of their ledger numbers."""
    numbers = dialect_of(conn).temp_table(
        conn, "tmp_dedup_no", [sa.Column("ledger_no", sa.String(32))]
    )
    _load(conn, numbers, ledger_nos.to_frame())
    got = fetch_frame(
        conn,
        sa.select(ledger_case.c.case_id, ledger_case.c.ledger_no).join(
            numbers, numbers.c.ledger_no == ledger_case.c.ledger_no
        ),
    )
    by_no = dict(zip(got["ledger_no"], got["case_id"], strict=True))
    return [int(by_no[no]) for no in ledger_nos.tolist()]


def _case_of_rows(labels: np.ndarray, label_to_case: dict[int, int]) -> np.ndarray:
    """Per row, its case_id: the existing case it joined (label >= 0), or the case created
    for its new matter (label ``-(k + 1)``, looked up by position k)."""
    n_labels = int(-labels.min()) if len(labels) and labels.min() < 0 else 0
    by_label = np.full(n_labels, -1, dtype=np.int64)
    if label_to_case:
        lab = -np.fromiter(label_to_case.keys(), dtype=np.int64, count=len(label_to_case)) - 1
        by_label[lab] = np.fromiter(label_to_case.values(), dtype=np.int64, count=len(lab))
    case_of = np.where(labels < 0, by_label[np.maximum(-labels - 1, 0)] if n_labels else -1, labels)
    return case_of.astype(np.int64)


_JOINED_COLUMNS: dict[str, Any] = {
    "case_id": sa.BigInteger,
    "n": sa.Integer,
    "first_at": sa.DateTime,
    "last_at": sa.DateTime,
    "key_on": sa.Date,
    "due": sa.Date,
    "cn": sa.String(64),
}
"""``tmp_dedup_upd``: per existing case joined now, its new items (``n``), their first and
last received, the day a referral among them made it key, the referral's limit, and the
case number it adopts (``Plan.adopt``)."""


def _joined_case_facts(joined: pd.DataFrame, adopt: dict[int, str]) -> pd.DataFrame:
    """The rows of ``tmp_dedup_upd`` from the items joining existing cases."""
    g = joined.groupby("case_id", sort=True)
    upd = pd.DataFrame(
        {"n": g.size(), "first_at": g["received_at"].min(), "last_at": g["received_at"].max()}
    )
    ref = joined[joined["channel"] == "referral"].groupby("case_id")
    upd["key_on"] = pd.Series(
        _dates(ref["received_at"].min().reindex(upd.index)), index=upd.index, dtype=object
    )
    upd["due"] = pd.Series(
        _dates(ref["due_on"].min().reindex(upd.index)), index=upd.index, dtype=object
    )
    upd = upd.reindex(upd.index.union(pd.Index(list(adopt), dtype=np.int64)))
    upd["n"] = upd["n"].fillna(0).astype(np.int64)
    upd["cn"] = pd.Series(adopt, dtype=object).reindex(upd.index)
    upd.index.name = "case_id"
    return upd.reset_index()[list(_JOINED_COLUMNS)]


def _update_joined_cases(
    conn: Connection, joined: pd.DataFrame, plan: Plan, now: dt.datetime
) -> int:
    """Existing cases joined now: counts, dates, key flag (a referral makes a case key and
    lifts it to the key tier), referral limit, adopted case number. Returns how many."""
    if joined.empty and not plan.adopt:
        return 0
    upd = _joined_case_facts(joined, plan.adopt)
    columns = [sa.Column(name, type_) for name, type_ in _JOINED_COLUMNS.items()]
    facts = dialect_of(conn).temp_table(conn, "tmp_dedup_upd", columns)
    _load(conn, facts, upd)
    conn.execute(sa.text(_update_joined_sql(dialect_of(conn))), {"now": now})
    return len(upd)


def _update_joined_sql(dialect: Dialect) -> str:
    """``ledger_case`` from ``tmp_dedup_upd`` (see ``_update_joined_cases``)."""
    least, greatest = dialect.least, dialect.greatest
    key_tier = int(get_config().key_case_tier)
    becomes_key = (
        f"t.key_on IS NOT NULL AND NOT ledger_case.is_key AND ledger_case.tier < {key_tier}"
    )
    return f"""
        UPDATE ledger_case SET
          item_count = ledger_case.item_count + t.n,
          first_received_at = COALESCE({least("ledger_case.first_received_at", "t.first_at")},
                                       ledger_case.first_received_at),
          last_received_at = COALESCE({greatest("ledger_case.last_received_at", "t.last_at")},
                                      ledger_case.last_received_at),
          tier = CASE WHEN {becomes_key} THEN {key_tier} ELSE ledger_case.tier END,
          tier_entered_on = CASE WHEN {becomes_key} THEN t.key_on
                                 ELSE ledger_case.tier_entered_on END,
          is_key = (ledger_case.is_key OR t.key_on IS NOT NULL),
          key_since = COALESCE(ledger_case.key_since, t.key_on),
          referral_due_on = COALESCE({least("ledger_case.referral_due_on", "t.due")},
                                     ledger_case.referral_due_on, t.due),
          case_number = COALESCE(ledger_case.case_number, t.cn),
          updated_at = :now
        FROM tmp_dedup_upd t WHERE ledger_case.case_id = t.case_id
        """


def _assign_items(conn: Connection, item_ids: np.ndarray, case_of: np.ndarray) -> None:
    """``intake_item.case_id`` of every row, from ``tmp_dedup_assign`` (item_id, case_id)."""
    assign = dialect_of(conn).temp_table(
        conn,
        "tmp_dedup_assign",
        [
            sa.Column("item_id", sa.BigInteger, primary_key=True),
            sa.Column("case_id", sa.BigInteger),
        ],
    )
    _load(conn, assign, pd.DataFrame({"item_id": item_ids, "case_id": case_of}))
    with (
        _timed("update items"),
        _bulk_write(conn, intake_item, len(item_ids), columns={"case_id"}),
    ):
        conn.execute(
            sa.text(
                "UPDATE intake_item SET case_id = t.case_id FROM tmp_dedup_assign t "
                "WHERE intake_item.item_id = t.item_id"
            )
        )


def _record_decisions(
    conn: Connection, item_ids: np.ndarray, case_of: np.ndarray, plan: Plan, now: dt.datetime
) -> None:
    """One ``match_decision`` per row: the rule, score, item matched, bar and evidence."""
    unexplained = [None] * len(plan.rule)
    decisions = pd.DataFrame(
        {
            "item_id": item_ids,
            "case_id": case_of,
            "matched_item_id": pd.Series(plan.matched, dtype=object),
            "rule": list(plan.rule),
            "score": pd.Series(plan.score, dtype=object),
            "decided_at": now,
            "evidence": pd.Series(plan.evidence or unexplained, dtype=object),
            "threshold": pd.Series(plan.threshold or unexplained, dtype=object),
        }
    )
    with _bulk_write(conn, match_decision, len(decisions)):
        _load(conn, match_decision, decisions)


def _merge_cases(conn: Connection, merges: dict[int, int], now: dt.datetime) -> list[int]:
    """Fold ledger cases found to be one matter into the oldest (a new item bridged them).

    The items and progress rows move; the key flag, tier, referral limit and case
    number combine; the folded case is removed (its number is never given out again)
    and each moved item gets a 'case_merge' decision. The cases touched are the next
    escalation sweep's candidates (``escalation.moving_facts``: it stays a delta sweep).
    Returns the surviving case_ids.
    """
    from xinfang import escalation

    with escalation.moving_facts(conn, [*merges, *merges.values()]):
        for old, into in sorted(merges.items()):
            if not _combine_case_facts(conn, old, into, now):
                continue
            moved = _move_items(conn, old, into, now)
            _drop_empty_case(conn, old, into)
            log.info("ledger case %s folded into %s (%d items)", old, into, moved)
    return sorted(set(merges.values()))


_CASE_FACTS = (
    ledger_case.c.is_key,
    ledger_case.c.key_since,
    ledger_case.c.tier,
    ledger_case.c.referral_due_on,
    ledger_case.c.case_number,
)


def _combine_case_facts(conn: Connection, old: int, into: int, now: dt.datetime) -> bool:
    """Case ``into`` takes on what case ``old`` knew: key (since the earlier day), the
    higher tier, the earlier referral limit, a case number. False if ``old`` is gone."""
    row = conn.execute(sa.select(*_CASE_FACTS).where(ledger_case.c.case_id == old)).first()
    if row is None:
        return False
    cur = conn.execute(sa.select(*_CASE_FACTS).where(ledger_case.c.case_id == into)).one()
    dates = [d for d in (row.key_since, cur.key_since) if d is not None]
    dues = [d for d in (row.referral_due_on, cur.referral_due_on) if d is not None]
    conn.execute(
        ledger_case.update()
        .where(ledger_case.c.case_id == into)
        .values(
            is_key=bool(row.is_key or cur.is_key),
            key_since=min(dates) if dates else None,
            tier=max(row.tier, cur.tier),
            referral_due_on=min(dues) if dues else None,
            case_number=cur.case_number or row.case_number,
            updated_at=now,
        )
    )
    return True


def _move_items(conn: Connection, old: int, into: int, now: dt.datetime) -> int:
    """The items of case ``old`` into case ``into``, each with a 'case_merge' decision."""
    moved = (
        conn.execute(sa.select(intake_item.c.item_id).where(intake_item.c.case_id == old))
        .scalars()
        .all()
    )
    conn.execute(intake_item.update().where(intake_item.c.case_id == old).values(case_id=into))
    if moved:
        conn.execute(
            match_decision.insert(),
            [
                {
                    "item_id": i,
                    "case_id": into,
                    "matched_item_id": None,
                    "rule": "case_merge",
                    "score": None,
                    "decided_at": now,
                }
                for i in moved
            ],
        )
    return len(moved)


def _recount(conn: Connection, case_ids: Sequence[int]) -> None:
    """item_count and first/last received of these cases, from their items (set-based)."""
    i = intake_item.alias("i")
    for k in range(0, len(case_ids), _CHUNK):
        chunk = list(case_ids[k : k + _CHUNK])
        conn.execute(
            ledger_case.update()
            .where(ledger_case.c.case_id.in_(chunk))
            .values(
                item_count=sa.select(sa.func.count())
                .where(i.c.case_id == ledger_case.c.case_id)
                .scalar_subquery(),
                first_received_at=sa.select(sa.func.min(i.c.received_at))
                .where(i.c.case_id == ledger_case.c.case_id)
                .scalar_subquery(),
                last_received_at=sa.select(sa.func.max(i.c.received_at))
                .where(i.c.case_id == ledger_case.c.case_id)
                .scalar_subquery(),
            )
        )


def _link_same_case_number(
    conn: Connection, assigned: pd.DataFrame, first_load: bool = False
) -> int:
    """``case_link`` both ways between the cases sharing a case number touched now.

    ``first_load``: the ledger held no case before this batch, so the cases (and
    their case numbers) are all in ``assigned`` and nothing needs reading back.
    """
    if first_load:
        pairs = assigned.dropna(subset=["case_number"])[["case_id", "case_number"]]
        pairs = pairs.drop_duplicates()
        multi = pairs[pairs.duplicated("case_number", keep=False)]
        if multi.empty:
            return 0
        m = multi.merge(multi, on="case_number", suffixes=("", "_r"))
        m = m[m["case_id"] != m["case_id_r"]]
        m = m.rename(columns={"case_id_r": "related_case_id"})[["case_id", "related_case_id"]]
        m = m.drop_duplicates().assign(reason="same_case_number")
        _load(conn, case_link, m)
        return len(m)
    cns = sorted(set(assigned["case_number"].dropna()))
    if not cns:
        return 0
    tcn = dialect_of(conn).temp_table(conn, "tmp_dedup_cn", [sa.Column("cn", sa.String(64))])
    _load(conn, tcn, pd.DataFrame({"cn": cns}))
    pairs = fetch_frame(
        conn,
        sa.select(ledger_case.c.case_id, ledger_case.c.case_number).join(
            tcn, tcn.c.cn == ledger_case.c.case_number
        ),
    )
    if pairs.empty:
        return 0
    multi = pairs[pairs.duplicated("case_number", keep=False)]
    if multi.empty:
        return 0
    m = multi.merge(multi, on="case_number", suffixes=("", "_r"))
    m = m[m["case_id"] != m["case_id_r"]]
    m = m.rename(columns={"case_id_r": "related_case_id"})[["case_id", "related_case_id"]]
    have = fetch_frame(
        conn,
        sa.select(case_link.c.case_id, case_link.c.related_case_id).where(
            case_link.c.case_id.in_(sorted(set(m["case_id"].tolist())))
        ),
    )
    if not have.empty:
        m = m.merge(have, how="left", indicator=True)
        m = m[m["_merge"] == "left_only"].drop(columns="_merge")
    m = m.drop_duplicates().assign(reason="same_case_number")
    _load(conn, case_link, m)
    return len(m)


def _lock(conn: Connection) -> None:
    if locks.take(conn, locks.LEDGER):
        # short statements over temp tables: compiling them costs more than it saves
        dialect_of(conn).set_local(conn, jit="off")


_NESTED_LOOPS_ONLY = {"enable_hashjoin": "off", "enable_mergejoin": "off"}
"""A temp table of keys scanned once, the ledger through its indexes (seq scans stay
allowed: without them a key table's own scan is penalized and the planner walks a whole
index instead)."""


@contextlib.contextmanager
def _index_lookups(conn: Connection, n_keys: int) -> Iterator[None]:
    """A small batch against a big ledger: look its keys up through the indexes.

    The planner takes a few thousand keys in a temp table for a big share of the
    ledger and scans every item for each lookup; nested loops over the indexes cost
    a few microseconds a key. Left to the planner when the batch is a big share."""
    dialect = dialect_of(conn)
    if not dialect.is_postgres or n_keys * 20 > _estimated_items(conn):
        yield
        return
    with dialect.tuned(conn, **_NESTED_LOOPS_ONLY):
        yield


def _estimated_items(conn: Connection) -> float:
    """The planner's estimate of the rows of ``intake_item`` (PostgreSQL)."""
    rows = conn.execute(
        sa.text("SELECT reltuples FROM pg_class WHERE oid = 'intake_item'::regclass")
    ).scalar_one()
    return rows or 0


# --------------------------------------------------------------------------- public API


def assign_cases(
    engine: Engine,
    batch_size: int = 1_000_000,
    params: MatchParams | None = None,
    workers: int | None = None,
) -> dict[str, int]:
    """Put every item without a case into the ledger; returns counts of what was done.

    Incremental: only new items and the ledger cases sharing a blocking key with
    them are read. Items are taken in received order, ``batch_size`` per
    transaction. ``workers``: processes for the matching of a big batch (default:
    ``dedup.workers`` of the config; 0: chosen by the batch's size,
    ``MatchParams.processes``). Idempotent: a second run finds nothing.
    """
    params = params or _params()
    if workers is not None:
        params = dataclasses.replace(params, workers=workers)
    total = {"items": 0, "new_cases": 0, "joined_items": 0, "joined_cases": 0, "links": 0}
    total["batches"] = 0
    order = [
        intake_item.c.received_at,
        intake_item.c.channel,
        intake_item.c.source_file,
        intake_item.c.source_row,
        intake_item.c.item_id,
    ]
    while True:
        with engine.begin() as conn:
            _lock(conn)
            waiting = conn.execute(
                sa.select(sa.func.count()).where(intake_item.c.case_id.is_(None))
            ).scalar_one()
            stmt = _item_select().where(intake_item.c.case_id.is_(None))
            if waiting > batch_size:  # else all of them: sorted in memory, not by the server
                stmt = stmt.order_by(*order).limit(batch_size)
            with _timed("read new items"):
                new = dialect_of(conn).read_frame(conn, stmt)
            if new.empty:
                break
            with _index_lookups(conn, len(new)):
                with _timed("candidates"):
                    cand, big_names = _candidates(conn, new)
                ov = _overrides(conn)
                summary = _run(conn, new, cand, params, _cannot_link(ov), big_names)
        for k, v in summary.items():
            total[k] = total.get(k, 0) + v
        total["batches"] += 1
        if len(new) < batch_size or waiting <= batch_size:
            break  # all that waited was taken (no second count of the whole table)
    log.info("assign_cases: %s", total)
    return total


def _run(
    conn: Connection,
    new: pd.DataFrame,
    cand: pd.DataFrame,
    params: MatchParams,
    cannot: dict[int, set[int]],
    big_names: set[str] | None = None,
) -> dict[str, int]:
    new = _sort_items(new)
    new["case_id"] = -1
    if not cand.empty:
        cand["case_id"] = cand["case_id"].astype(np.int64)
        # one processing order over old and new items: a person decided afresh
        # (see xinfang.matching) sees its items as a single load would
        frame = _sort_items(pd.concat([cand, new], ignore_index=True))
    else:
        frame = new
    with _timed("plan"):
        workers = params.processes(len(frame))
        plan = plan_matters(frame, params, cannot, workers=workers, skip_names=big_names)
    new_rows = frame.iloc[plan.item_pos].reset_index(drop=True)
    return _write_plan(conn, new_rows, plan, now_local())


def _case_of_item(conn: Connection, item_id: int) -> int | None:
    row = conn.execute(
        sa.select(intake_item.c.case_id).where(intake_item.c.item_id == item_id)
    ).first()
    if row is None:
        raise ValueError(f"no intake item {item_id}")
    return row[0]


def _earliest_other_item(conn: Connection, case_id: int, item_id: int) -> int | None:
    """The first item (received order) of ``case_id`` other than ``item_id``, if any."""
    return conn.execute(
        sa.select(intake_item.c.item_id)
        .where(intake_item.c.case_id == case_id, intake_item.c.item_id != item_id)
        .order_by(intake_item.c.received_at, intake_item.c.item_id)
        .limit(1)
    ).scalar()


def _refresh_case_counts(conn: Connection, case_ids: Sequence[int]) -> None:
    """Recount item_count and first/last received of the given cases from their items."""
    for cid in case_ids:
        agg = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.min(intake_item.c.received_at),
                sa.func.max(intake_item.c.received_at),
            ).where(intake_item.c.case_id == cid)
        ).one()
        if agg[0] == 0:
            continue
        conn.execute(
            ledger_case.update()
            .where(ledger_case.c.case_id == cid)
            .values(item_count=agg[0], first_received_at=agg[1], last_received_at=agg[2])
        )


def _drop_empty_case(conn: Connection, case_id: int, into: int | None) -> None:
    """Remove a case left without items; its facts (progress rows) follow ``into``.

    Its derived rows go with it (events, notices, the per-case risk flags, links, the
    sweep's ``case_sweep`` row); an item's own risk flags follow the item
    (``risk.screen.follow_items``); ``case_history`` stays: the audit trail."""
    from xinfang import schema

    left = conn.execute(
        sa.select(sa.func.count()).where(intake_item.c.case_id == case_id)
    ).scalar_one()
    if left:
        return
    follow_items(conn, [case_id])
    if into is not None:
        conn.execute(
            schema.case_progress.update()
            .where(schema.case_progress.c.case_id == case_id)
            .values(case_id=into)
        )
    for t in (
        schema.escalation_event,
        schema.notification,
        schema.risk_flag,
        schema.case_progress,
        schema.case_sweep,
    ):
        conn.execute(t.delete().where(t.c.case_id == case_id))
    conn.execute(
        case_link.delete().where(
            sa.or_(case_link.c.case_id == case_id, case_link.c.related_case_id == case_id)
        )
    )
    conn.execute(ledger_case.delete().where(ledger_case.c.case_id == case_id))


def merge(
    engine: Engine, item_id: int, other_item_id: int, reason: str, by: str, via: str = "admin"
) -> int:
    """Manually join ``item_id`` to the case of ``other_item_id``; returns that case_id.

    Recorded in ``manual_override``, ``match_decision`` (rule 'manual_merge') and
    ``case_history`` (a 'merge' row on the case joined, with who and why; ``via``: admin
    or console). The case the item leaves is recounted, or removed if it is left empty
    (its progress rows move with the item); both are the next sweep's candidates.
    """
    from xinfang import escalation

    if not reason or not by:
        raise ValueError("a manual merge needs a reason and who made it")
    if item_id == other_item_id:
        raise ValueError(f"item {item_id} cannot be merged with itself")
    now = now_local()
    with engine.begin() as conn:
        _lock(conn)
        src = _case_of_item(conn, item_id)
        dst = _case_of_item(conn, other_item_id)
        if dst is None:
            raise ValueError(f"item {other_item_id} has no case yet: run assign_cases first")
        history.catch_up(conn, [src, dst])
        conn.execute(
            manual_override.insert().values(
                action="merge",
                item_id=item_id,
                other_item_id=other_item_id,
                reason=reason,
                created_by=by,
                created_at=now,
            )
        )
        if src == dst:
            return dst
        with escalation.moving_facts(conn, [src, dst]):
            conn.execute(
                intake_item.update().where(intake_item.c.item_id == item_id).values(case_id=dst)
            )
            conn.execute(
                match_decision.insert().values(
                    item_id=item_id,
                    case_id=dst,
                    matched_item_id=other_item_id,
                    rule="manual_merge",
                    score=None,
                    decided_at=now,
                )
            )
            _refresh_case_counts(conn, [dst] + ([src] if src is not None else []))
            if src is not None:
                follow_items(conn, [src])
                _drop_empty_case(conn, src, dst)
        _record_manual(conn, via, by, reason, [src, dst], src, dst, "merge")
        return dst


def split(engine: Engine, item_id: int, reason: str, by: str, via: str = "admin") -> int:
    """Manually take ``item_id`` out of its case into a new case of its own; returns it.

    The item is never joined again, by any later run or rebuild, to a case holding
    the item it was split from (the earliest other item of its former case). The new
    case's first ``case_history`` row is a 'split' naming the case it came from. Both
    cases are the next sweep's candidates.
    """
    from xinfang import escalation

    if not reason or not by:
        raise ValueError("a manual split needs a reason and who made it")
    now = now_local()
    with engine.begin() as conn:
        _lock(conn)
        src = _case_of_item(conn, item_id)
        history.catch_up(conn, [src])
        mate = _earliest_other_item(conn, src, item_id) if src is not None else None
        conn.execute(
            manual_override.insert().values(
                action="split",
                item_id=item_id,
                other_item_id=mate,
                reason=reason,
                created_by=by,
                created_at=now,
            )
        )
        if src is not None and mate is None:
            return src  # already alone
        item = fetch_frame(conn, _item_select().where(intake_item.c.item_id == item_id))
        plan = Plan(
            item_pos=np.array([0]),
            target=np.array([-1], dtype=np.int64),
            rule=["manual_split"],
            score=[None],
            matched=[mate],
            n_new=1,
        )
        with escalation.moving_facts(conn, [src]) as touched:
            _write_plan(conn, item, plan, now)
            new_case = _case_of_item(conn, item_id)
            touched.add(new_case)
            if src is not None:
                follow_items(conn, [src])
                _refresh_case_counts(conn, [src])
        _record_manual(conn, via, by, reason, [src, new_case], src, new_case, "split")
        return int(new_case)


def _record_manual(
    conn: Connection,
    via: str,
    by: str,
    reason: str,
    cases: list[int | None],
    src: int | None,
    dst: int,
    field: str,
) -> None:
    """``case_history`` of a staff merge or split: the explicit row on ``dst`` naming
    ``src`` (unless ``src`` vanished: then the history's own 'merge' row says it), and
    whatever moved on both cases, as of today."""
    src_no = None
    if src is not None:
        src_no = conn.execute(
            sa.select(ledger_case.c.ledger_no).where(ledger_case.c.case_id == src)
        ).scalar()
    links = [(dst, field, src_no)] if src_no is not None or field == "split" else []
    history.record(
        conn, history.action_day(), via, by=by, reason=reason, case_ids=cases, links=links
    )


def confirm(engine: Engine, item_id: int, reason: str, by: str) -> dict[str, Any]:
    """Staff confirm the matcher's latest decision on ``item_id`` (甄别, ``v_match_review``).

    A join (the item shares its case with other items) is recorded as action
    ``confirm`` with the item it joined (its latest decision's matched item while that
    is in the item's case, else the earliest other item of the case): later runs and
    ``rebuild`` keep the two together, like a merge. A near miss (the item opened a
    case of its own below the bar, its latest decision naming the best candidate item
    of another case) is recorded as action ``apart`` with that candidate: the two are
    never put in one case (a cannot-link, as a split's). Nothing moves now; either way
    the item leaves the review queue. Returns ``action``, ``case_id``,
    ``other_item_id`` and ``other_case_id``.
    """
    if not reason or not by:
        raise ValueError("a confirmation needs a reason and who made it")
    now = now_local()
    with engine.begin() as conn:
        _lock(conn)
        case = _case_of_item(conn, item_id)
        if case is None:
            raise ValueError(f"item {item_id} has no case yet: run assign_cases first")
        action, other, other_case = _confirmation(conn, item_id, case)
        conn.execute(
            manual_override.insert().values(
                action=action,
                item_id=item_id,
                other_item_id=other,
                reason=reason,
                created_by=by,
                created_at=now,
            )
        )
        return {
            "action": action,
            "case_id": int(case),
            "other_item_id": int(other),
            "other_case_id": int(other_case),
        }


def _confirmation(conn: Connection, item_id: int, case: int) -> tuple[str, int, int]:
    """What confirming ``item_id``'s latest decision records: ``apart`` from the candidate
    of another case it nearly joined (below the bar), else ``confirm`` with the item it
    joined (or the earliest other item of its case). Returns (action, other item, its case).
    """
    last = conn.execute(
        sa.select(
            match_decision.c.score,
            match_decision.c.threshold,
            match_decision.c.matched_item_id,
        )
        .where(match_decision.c.item_id == item_id)
        .order_by(match_decision.c.decision_id.desc())
        .limit(1)
    ).first()
    matched = last.matched_item_id if last is not None else None
    matched_case = None
    if matched is not None and matched != item_id:
        matched_case = conn.execute(
            sa.select(intake_item.c.case_id).where(intake_item.c.item_id == matched)
        ).scalar()
    below = (
        last is not None
        and last.score is not None
        and last.threshold is not None
        and last.score < last.threshold
    )
    if below and matched_case is not None and matched_case != case:
        return "apart", int(matched), int(matched_case)
    other = int(matched) if matched_case is not None and matched_case == case else None
    if other is None:
        other = _earliest_other_item(conn, case, item_id)
    if other is None:
        raise ValueError(
            f"item {item_id} is alone in its case and its latest decision names no "
            "candidate: nothing to confirm"
        )
    return "confirm", int(other), int(case)


def rebuild(engine: Engine, params: MatchParams | None = None) -> dict[str, int]:
    """Reassign every item from scratch, deterministically, replaying manual overrides.

    The progress rows (the courts' and people's case actions alike) are applied again
    to the cases they now belong to, and what moved is recorded in ``case_history``
    (via 'rebuild', today). The next escalation sweep derives the tiers.

    Each new case keeps the case_id and ledger number of the old case holding most
    of its items (each old case reused once); the others get new numbers, and old
    cases left without items are removed (their progress rows follow their items).
    The cases whose items changed are the next sweep's candidates (the others' facts
    hold). Stages: every item planned as new (``plan_matters``), ``_replay_overrides``,
    ``_reuse_old_cases``, ``_clear_assignments``, ``_write_plan``, ``_refresh_kept``,
    ``_drop_unused_cases``.
    """
    from xinfang import escalation

    params = params or _params()
    now = now_local()
    with engine.begin() as conn:
        _lock(conn)
        items = _sort_items(fetch_frame(conn, _item_select()))
        if items.empty:
            return {"items": 0, "new_cases": 0, "kept_cases": 0, "dropped_cases": 0}
        old_case = items["case_id"].copy()
        overrides = _overrides(conn)
        frame = items.assign(case_id=-1, case_case_number=None)
        plan = plan_matters(frame, params, _cannot_link(overrides))
        plan = _replay_overrides(frame, plan, overrides)
        reused = _reuse_old_cases(plan.target, old_case)
        final = np.array([reused.get(lab, lab) for lab in plan.target.tolist()], np.int64)
        plan = dataclasses.replace(plan, target=final)
        kept = sorted(reused.values())
        moved, touched = _moved_items(old_case, final)
        with escalation.moving_facts(conn, touched) as cases:
            _clear_assignments(conn, kept)
            summary = _write_plan(conn, frame, plan, now)
            now_case = _assigned(conn, frame)
            cases.update(now_case[moved].tolist())
            _refresh_kept(conn, frame.assign(case_id=now_case), kept)
            follow_items(conn, sorted(cases))  # (the cases items left, before any is dropped)
            unused = sorted(set(old_case.dropna().astype(np.int64).tolist()) - set(kept))
            _drop_unused_cases(conn, unused, old_case, now_case)
        _reapply_and_record(conn)
        return {
            "items": len(frame),
            "new_cases": summary["new_cases"],
            "kept_cases": len(kept),
            "dropped_cases": len(unused),
            "links": summary["links"],
        }


def _moved_items(old_case: pd.Series, final: np.ndarray) -> tuple[np.ndarray, set[int]]:
    """A rebuild's items whose case changes (mask), and the existing cases they leave or
    join: every fact row that moves is in one of those, or in a new case, after."""
    old = pd.to_numeric(old_case, errors="coerce").to_numpy(dtype=float)
    had = ~np.isnan(old)
    moved = ~had | (old != final)
    touched = set(old[moved & had].astype(np.int64).tolist())
    touched |= set(final[moved & (final >= 0)].tolist())
    return moved, touched


def _reapply_and_record(conn: Connection) -> None:
    """After a rebuild: the progress rows on the cases as they now stand, and the history."""
    from xinfang import history, progress

    progress.apply_progress(conn)
    history.record(conn, history.action_day(), "rebuild")


def _replay_overrides(frame: pd.DataFrame, plan: Plan, overrides: pd.DataFrame) -> Plan:
    """The matcher's plan of every item (all new matters, labels < 0) with staff's
    decisions applied in the order they were made: a split item gets a matter of its
    own, a merged one its partner's, a confirmed join stays with its partner (the
    matcher's own explanation is kept when it found the join again). The matcher's bar
    and evidence stay with its own decisions (the review queue reads them); a decision
    replaced by a manual one has neither."""
    labels = plan.target.copy()
    rules, matched = list(plan.rule), list(plan.matched)
    pos = {int(i): k for k, i in enumerate(frame["item_id"].tolist())}
    next_label = int(labels.min()) - 1 if len(labels) else -1
    for row in overrides.itertuples(index=False):
        p = pos.get(int(row.item_id))
        if p is None:
            continue
        if row.action == "split":
            labels[p] = next_label
            next_label -= 1
            rules[p], matched[p] = "manual_split", python_value(row.other_item_id)
        elif row.action == "merge" or (row.action == "confirm" and pd.notna(row.other_item_id)):
            q = pos.get(int(row.other_item_id))
            if q is not None and (row.action == "merge" or labels[p] != labels[q]):
                labels[p] = labels[q]
                rules[p], matched[p] = f"manual_{row.action}", int(row.other_item_id)
    manual = [r.startswith("manual_") for r in rules]
    unexplained = [None] * len(rules)
    return Plan(
        item_pos=np.arange(len(frame)),
        target=labels,
        rule=rules,
        score=plan.score,
        matched=matched,
        n_new=0,
        threshold=[
            None if m else b for m, b in zip(manual, plan.threshold or unexplained, strict=True)
        ],
        evidence=[
            None if m else e for m, e in zip(manual, plan.evidence or unexplained, strict=True)
        ],
    )


def _reuse_old_cases(labels: np.ndarray, old_case: pd.Series) -> dict[int, int]:
    """New matter label -> the old case_id it keeps: the biggest overlaps first, each old
    case once (so case ids and ledger numbers survive a rebuild where they can)."""
    overlap = pd.DataFrame({"label": labels, "old": old_case.to_numpy()}).dropna()
    overlap["old"] = overlap["old"].astype(np.int64)
    counts = overlap.groupby(["label", "old"]).size().rename("n").reset_index()
    counts = counts.sort_values(["n", "old", "label"], ascending=[False, True, False])
    keep: dict[int, int] = {}
    used: set[int] = set()
    for label, old, _n in counts.itertuples(index=False):
        if label in keep or old in used:
            continue
        keep[int(label)] = int(old)
        used.add(int(old))
    return keep


def _clear_assignments(conn: Connection, kept: list[int]) -> None:
    """A clean slate: no item in a case, no decision, no same-case-number link; the old
    cases to be reused emptied (``_write_plan`` counts their items again)."""
    conn.execute(intake_item.update().values(case_id=None))
    conn.execute(match_decision.delete())
    conn.execute(case_link.delete().where(case_link.c.reason == "same_case_number"))
    if kept:
        conn.execute(
            ledger_case.update()
            .where(ledger_case.c.case_id.in_(kept))
            .values(item_count=0, case_number=None)
        )


def _assigned(conn: Connection, frame: pd.DataFrame) -> np.ndarray:
    """The case_id of each row of ``frame``, as the ledger holds it now."""
    got = fetch_frame(conn, sa.select(intake_item.c.item_id, intake_item.c.case_id))
    m = dict(zip(got["item_id"], got["case_id"], strict=True))
    return np.array([int(m[i]) for i in frame["item_id"].tolist()], dtype=np.int64)


def _drop_unused_cases(
    conn: Connection, unused: list[int], old_case: pd.Series, now_case: np.ndarray
) -> None:
    """Remove the old cases no new matter kept; the progress rows of each follow the case
    that most of its items went to."""
    for case_id in unused:
        _drop_empty_case(conn, case_id, _majority_case(case_id, old_case, now_case))


def _majority_case(old: int, old_case: pd.Series, now_case: np.ndarray) -> int | None:
    """The case now holding most of the items that were in case ``old``."""
    mask = (old_case == old).to_numpy()
    if not mask.any():
        return None
    values, counts = np.unique(now_case[mask], return_counts=True)
    return int(values[np.argmax(counts)])


def _refresh_kept(conn: Connection, frame: pd.DataFrame, kept: list[int]) -> None:
    """Identity fields (count, dates, case number, person, name) of reused cases."""
    if not kept:
        return
    sub = frame[frame["case_id"].isin(kept)]
    rows = _new_case_rows(sub, -(sub["case_id"].to_numpy() + 1))
    for r in rows.itertuples(index=False):
        cid = -int(r.label) - 1
        conn.execute(
            ledger_case.update()
            .where(ledger_case.c.case_id == cid)
            .values(
                item_count=int(r.item_count),
                first_received_at=python_value(r.first_received_at),
                last_received_at=python_value(r.last_received_at),
                case_number=python_value(r.case_number),
                person_key=python_value(r.person_key),
                petitioner_name=python_value(r.petitioner_name),
            )
        )
