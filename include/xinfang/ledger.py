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
import datetime as dt
import io
import logging
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from xinfang import locks
from xinfang.bulk import copy_text, escape_copy_text
from xinfang.config import get_config
from xinfang.matching import (
    MAX_NAME_BLOCK,
    MatchParams,
    Plan,
    plan_matters,
)
from xinfang.normalize.names import partial_name
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
    t0 = time.perf_counter()
    yield
    log.debug("%s: %.2f s", what, time.perf_counter() - t0)


__all__ = [
    "assign_cases",
    "confirm",
    "merge",
    "rebuild",
    "split",
]

_CHUNK = 5_000
# PostgreSQL client encodings as Python codecs (psycopg2's own table, when installed)
try:
    from psycopg2.extensions import encodings as _PY_ENCODINGS
except ImportError:  # SQLite-only installs never read through COPY
    _PY_ENCODINGS = {}
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


def _is_pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


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


def _none(v: Any) -> Any:
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


# --------------------------------------------------------------------------- I/O helpers


def _temp_table(conn: Connection, name: str, columns: Sequence[sa.Column]) -> sa.Table:
    """A fresh temporary table (dropped first if a previous batch left it)."""
    md = sa.MetaData()
    table = sa.Table(name, md, *columns, prefixes=["TEMPORARY"])
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    table.create(conn)
    return table


def _copy(conn: Connection, table: sa.Table, df: pd.DataFrame) -> None:
    """Bulk-load ``df`` (columns named as the table's) with COPY on PostgreSQL."""
    if df.empty:
        return
    cols = list(df.columns)
    if _is_pg(conn):
        copy_text(conn, table.name, cols, _copy_text(df))
        if table.name.startswith("tmp_"):
            conn.exec_driver_sql(f"ANALYZE {table.name}")
        return
    records = [
        {c: _none(v) for c, v in zip(cols, row, strict=True)}
        for row in df.itertuples(index=False, name=None)
    ]
    for i in range(0, len(records), 50_000):
        conn.execute(table.insert(), records[i : i + 50_000])


def _copy_column(col: pd.Series) -> list[str]:
    """One column in COPY's text format, converted a column at a time (the type is
    tested once, not per value)."""
    dtype = col.dtype
    kind = dtype.kind if isinstance(dtype, np.dtype) else ""  # numpy: no nulls but NaT
    if kind == "b":
        return ["t" if v else "f" for v in col.tolist()]
    if kind in ("i", "u"):
        return list(map(str, col.tolist()))
    if kind == "M":  # naive datetimes
        text = np.datetime_as_string(col.to_numpy(dtype="datetime64[us]"), unit="us")
        out = text.tolist()
        for i in np.flatnonzero(col.isna().to_numpy()).tolist():
            out[i] = "\\N"
        return out
    return [_copy_value(v) for v in col.astype(object).tolist()]


def _copy_value(v: Any) -> str:
    if v is None or v is pd.NaT or v is pd.NA:
        return "\\N"
    if isinstance(v, str):
        return escape_copy_text(v)
    if isinstance(v, bool | np.bool_):
        return "t" if v else "f"
    if isinstance(v, float) and np.isnan(v):
        return "\\N"
    if isinstance(v, dt.datetime):  # pd.Timestamp too
        return v.isoformat(sep=" ")
    return str(v)


def _copy_text(df: pd.DataFrame) -> str:
    """``df`` as the body of ``COPY ... FROM STDIN`` (text format), column by column."""
    texts = [_copy_column(df[c]) for c in df.columns]
    return "\n".join(["\t".join(row) for row in zip(*texts, strict=True)]) + "\n"


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
    if not _is_pg(conn) or n_rows < 50_000:
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
    conn.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
    for ix in dropped:
        ix.create(conn)
    for fk in fks:
        conn.execute(sa.schema.AddConstraint(fk))


def _read_copy(conn: Connection, stmt: sa.Select) -> pd.DataFrame:
    """A big SELECT read through ``COPY ... TO STDOUT`` (PostgreSQL): several times
    faster than fetching rows one by one. Typed from the statement's columns."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    # bytes, not text: pandas wraps a text buffer in a re-encoder whose carry-over
    # grows with every chunk of non-ASCII text (quadratic on a million Chinese rows)
    buf = io.BytesIO()
    dbapi = conn.connection.dbapi_connection
    cur = dbapi.cursor()
    try:
        cur.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
    finally:
        cur.close()
    buf.seek(0)
    encoding = _PY_ENCODINGS.get(getattr(dbapi, "encoding", "UTF8"), "utf-8")
    cols = stmt.selected_columns
    dtypes: dict[str, Any] = {}
    dates: list[str] = []
    for c in cols:
        if isinstance(c.type, sa.DateTime | sa.Date):
            dates.append(c.name)
        elif isinstance(c.type, sa.Integer):  # BigInteger too; nullable ones as Int64
            dtypes[c.name] = "Int64"
        else:
            dtypes[c.name] = object
    df = pd.read_csv(buf, dtype=dtypes, keep_default_na=False, na_values=[""], encoding=encoding)
    for name in dates:
        df[name] = pd.to_datetime(df[name], format="ISO8601")
    for name, kind in dtypes.items():
        if kind == "Int64" and not df[name].isna().any():
            df[name] = df[name].astype(np.int64)
        elif kind is object:
            df[name] = df[name].astype(object).where(df[name].notna(), None)
    for name in dates:
        col = next(c for c in cols if c.name == name)
        if isinstance(col.type, sa.Date) and not isinstance(col.type, sa.DateTime):
            df[name] = pd.Series(_dates(df[name]), index=df.index, dtype=object)
    return df


def _read(conn: Connection, stmt: sa.Executable) -> pd.DataFrame:
    res = conn.execute(stmt)
    keys = list(res.keys())
    rows = res.fetchall()
    if not rows:
        return pd.DataFrame(columns=keys)
    cols = list(zip(*rows, strict=True))
    return pd.DataFrame({k: pd.Series(v) for k, v in zip(keys, cols, strict=True)})


def _read_big(conn: Connection, stmt: sa.Select) -> pd.DataFrame:
    """Many rows: through COPY on PostgreSQL."""
    return _read_copy(conn, stmt) if _is_pg(conn) else _read(conn, stmt)


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
    return _read(
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
    """Items of the ledger cases that share a blocking key with the new items (two hops),
    and the uncommon names too frequent for rule 4 (see ``plan_matters``' skip_names)."""
    empty = pd.DataFrame(columns=[*ITEM_COLS, "case_case_number"])
    if conn.execute(sa.select(ledger_case.c.case_id).limit(1)).first() is None:
        return empty, set()  # the first load: nothing to match against
    ids = set(new["id_number"].dropna())
    phones = set(new["phone"].dropna())
    nc = new.dropna(subset=["name_key", "case_number"])
    namecn = set(zip(nc["name_key"], nc["case_number"], strict=True))
    named = new.dropna(subset=["name_key", "content_normalized"])
    named = named[[partial_name(n) is None for n in named["petitioner_name"].tolist()]]
    # rule 4 reads every name (a common one joins on facts alone); blocks bigger than
    # MAX_NAME_BLOCK are skipped below, so the commonest names cost one count
    rare_names = set(named["name_key"])
    cases: set[int] = set()
    big_names: set[str] = set()
    seen_ids: set[str] = set()
    seen_phones: set[str] = set()
    tk = _temp_table(conn, "tmp_dedup_key", [sa.Column("k", sa.String(128))])
    tnc = _temp_table(
        conn, "tmp_dedup_nc", [sa.Column("n", sa.String(128)), sa.Column("c", sa.String(64))]
    )
    tcase = _temp_table(conn, "tmp_dedup_case", [sa.Column("case_id", sa.BigInteger)])
    for _hop in range(2):
        found: set[int] = set()
        weak: set[int] = set()
        for col, keys in (("id_number", ids - seen_ids), ("phone", phones - seen_phones)):
            if not keys:
                continue
            conn.execute(tk.delete())
            _copy(conn, tk, pd.DataFrame({"k": sorted(keys)}))
            rows = conn.execute(
                sa.select(intake_item.c.case_id)
                .distinct()
                .join(tk, intake_item.c[col] == tk.c.k)
                .where(intake_item.c.case_id.is_not(None))
            )
            found.update(r[0] for r in rows)
        seen_ids |= ids
        seen_phones |= phones
        if rare_names:  # rule 4 of xinfang.matching: an uncommon name with the same text
            conn.execute(tk.delete())
            _copy(conn, tk, pd.DataFrame({"k": sorted(rare_names)}))
            # a name borne by more items than rule 4 compares (its block, once all its
            # cases were read, would be too big) is skipped by the rule: its cases
            # are not read for it, and the rule is told to skip it
            per_case = conn.execute(
                sa.select(intake_item.c.name_key, intake_item.c.case_id, sa.func.count())
                .join(tk, intake_item.c.name_key == tk.c.k)
                .where(intake_item.c.case_id.is_not(None))
                .group_by(intake_item.c.name_key, intake_item.c.case_id)
            ).all()
            on_ledger: dict[str, int] = {}
            for k, _c, n in per_case:
                on_ledger[k] = on_ledger.get(k, 0) + n
            in_batch = new["name_key"].value_counts()
            big_names = {
                k for k, n in on_ledger.items() if n + int(in_batch.get(k, 0)) > MAX_NAME_BLOCK
            }
            # weak evidence: these cases are read, but their keys are not followed
            weak = {c for k, c, _n in per_case if k not in big_names} - cases
            rare_names = set()
        if namecn:
            conn.execute(tnc.delete())
            _copy(conn, tnc, pd.DataFrame(sorted(namecn), columns=["n", "c"]))
            rows = conn.execute(
                sa.select(intake_item.c.case_id)
                .distinct()
                .join(
                    tnc,
                    sa.and_(
                        intake_item.c.case_number == tnc.c.c, intake_item.c.name_key == tnc.c.n
                    ),
                )
                .where(intake_item.c.case_id.is_not(None))
            )
            found.update(r[0] for r in rows)
            namecn = set()
        found -= cases
        weak -= found
        cases |= weak
        if not found:
            break
        cases |= found
        # the second hop: the keys of the cases found
        conn.execute(tcase.delete())
        _copy(conn, tcase, pd.DataFrame({"case_id": sorted(found)}))
        keys = _read_big(
            conn,
            sa.select(intake_item.c.id_number, intake_item.c.phone).join(
                tcase, intake_item.c.case_id == tcase.c.case_id
            ),
        )
        ids = set(keys["id_number"].dropna()) if not keys.empty else set()
        phones = set(keys["phone"].dropna()) if not keys.empty else set()
    if not cases:
        return empty, big_names
    conn.execute(tcase.delete())
    _copy(conn, tcase, pd.DataFrame({"case_id": sorted(cases)}))
    got = _read_big(conn, _item_select().join(tcase, intake_item.c.case_id == tcase.c.case_id))
    return got, big_names


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
            sa.text(
                "INSERT INTO ledger_counter (name, value) VALUES (:n, 0) ON CONFLICT (name) DO NOTHING"
            ),
            {"n": name},
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
    """One row per new matter (label < 0) with the identity fields of CONTRACT §3."""
    cfg = get_config()
    df = new.assign(label=labels, first_pos=np.arange(len(new)))
    df = df[df["label"] < 0]
    if df.empty:
        return pd.DataFrame()
    g = df.groupby("label", sort=False)
    first = g.head(1).set_index("label")  # rows are in processing order
    out = pd.DataFrame(index=first.index)
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
    idn = g["id_number"].first()
    ph = g["phone"].first()
    nk = g["name_key"].first()
    out["person_key"] = [
        _person_key(a, b, c)
        for a, b, c in zip(
            idn.reindex(out.index), ph.reindex(out.index), nk.reindex(out.index), strict=True
        )
    ]
    cname = g["court_name"].first()
    icourt = g["court_code"].first()
    court_cache: dict[tuple, str] = {}

    def court(a: Any, b: Any, c: Any) -> str:
        key = (a, b, c)
        got = court_cache.get(key)
        if got is None:
            got = court_cache[key] = _court_for(a, b, c)
        return got

    out["court_code"] = [
        court(a, b, c)
        for a, b, c in zip(
            [_case_number_court(x) for x in out["case_number"].tolist()],
            cname.reindex(out.index).tolist(),
            icourt.reindex(out.index).tolist(),
            strict=True,
        )
    ]
    referrals = df[df["channel"] == "referral"]
    if "due_on" in df:  # as datetimes: a per-group min over date objects runs in Python
        referrals = referrals.assign(due_on=pd.to_datetime(referrals["due_on"]))
    ref = referrals.groupby("label", sort=False)
    key_on = ref["received_at"].min().reindex(out.index)
    key_since = _dates(key_on)
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
    out["status"] = "open"
    out["overdue"] = False
    out["statutory_overdue"] = False
    out["reopened_count"] = 0
    out["priority"] = 0
    return out.reset_index()


def _write_plan(
    conn: Connection,
    new: pd.DataFrame,
    plan: Plan,
    now: dt.datetime,
    extra_rule: dict[int, str] | None = None,
) -> dict[str, int]:
    """Create cases, update the joined ones, set case_id, record decisions and links."""
    labels = plan.target
    first_load = bool((labels < 0).all()) and (
        conn.execute(sa.select(ledger_case.c.case_id).limit(1)).first() is None
    )
    merged = _merge_cases(conn, plan.merges, now) if plan.merges else []
    with _timed("case rows"):
        cases = _new_case_rows(new, labels)
    label_to_case: dict[int, int] = {}
    if not cases.empty:
        # ledger numbers in the order of each case's first item (processing order)
        cases = cases.sort_values(["first_pos"], kind="stable")
        years = pd.to_datetime(cases["first_received_at"]).dt.year
        cases["ledger_no"] = _allocate_ledger_nos(conn, years)
        cases["updated_at"] = now
        cols = [c.name for c in ledger_case.c if c.name in cases.columns and c.name != "case_id"]
        if _is_pg(conn):
            # case_ids drawn from the column's own sequence, in the order COPY would
            # have drawn them: nothing to read back
            cases["case_id"] = _next_case_ids(conn, len(cases))
            cols = ["case_id", *cols]
        with _timed("insert cases"), _bulk_write(conn, ledger_case, len(cases)):
            _copy(conn, ledger_case, cases[cols])
        if "case_id" not in cases:
            tno = _temp_table(conn, "tmp_dedup_no", [sa.Column("ledger_no", sa.String(32))])
            _copy(conn, tno, cases[["ledger_no"]])
            got = _read(
                conn,
                sa.select(ledger_case.c.case_id, ledger_case.c.ledger_no).join(
                    tno, tno.c.ledger_no == ledger_case.c.ledger_no
                ),
            )
            by_no = dict(zip(got["ledger_no"], got["case_id"], strict=True))
            cases["case_id"] = [int(by_no[no]) for no in cases["ledger_no"].tolist()]
        label_to_case = dict(
            zip(cases["label"].astype(np.int64).tolist(), cases["case_id"].tolist(), strict=True)
        )
    # new matter -(k + 1) -> its case_id, by position k
    n_labels = int(-labels.min()) if len(labels) and labels.min() < 0 else 0
    by_label = np.full(n_labels, -1, dtype=np.int64)
    if label_to_case:
        lab = -np.fromiter(label_to_case.keys(), dtype=np.int64, count=len(label_to_case)) - 1
        by_label[lab] = np.fromiter(label_to_case.values(), dtype=np.int64, count=len(lab))
    case_of = np.where(labels < 0, by_label[np.maximum(-labels - 1, 0)] if n_labels else -1, labels)
    case_of = case_of.astype(np.int64)
    # existing cases joined: counts, dates, key flag, adopted case numbers
    joined = new.assign(case_id=case_of)[labels >= 0]
    n_joined_cases = 0
    if not joined.empty or plan.adopt:
        cfg = get_config()
        g = joined.groupby("case_id", sort=True)
        upd = pd.DataFrame(
            {
                "n": g.size(),
                "first_at": g["received_at"].min(),
                "last_at": g["received_at"].max(),
            }
        )
        ref = joined[joined["channel"] == "referral"].groupby("case_id")
        upd["key_on"] = pd.Series(
            _dates(ref["received_at"].min().reindex(upd.index)), index=upd.index, dtype=object
        )
        upd["due"] = pd.Series(
            _dates(ref["due_on"].min().reindex(upd.index)), index=upd.index, dtype=object
        )
        adopt = pd.Series(plan.adopt, dtype=object)
        upd = upd.reindex(upd.index.union(pd.Index(list(plan.adopt), dtype=np.int64)))
        upd["n"] = upd["n"].fillna(0).astype(np.int64)
        upd["cn"] = adopt.reindex(upd.index)
        upd.index.name = "case_id"
        upd = upd.reset_index()
        tupd = _temp_table(
            conn,
            "tmp_dedup_upd",
            [
                sa.Column("case_id", sa.BigInteger),
                sa.Column("n", sa.Integer),
                sa.Column("first_at", sa.DateTime),
                sa.Column("last_at", sa.DateTime),
                sa.Column("key_on", sa.Date),
                sa.Column("due", sa.Date),
                sa.Column("cn", sa.String(64)),
            ],
        )
        _copy(conn, tupd, upd[["case_id", "n", "first_at", "last_at", "key_on", "due", "cn"]])
        lo, hi = ("LEAST", "GREATEST") if _is_pg(conn) else ("MIN", "MAX")
        kt = int(cfg.key_case_tier)
        conn.execute(
            sa.text(
                f"""
                UPDATE ledger_case SET
                  item_count = ledger_case.item_count + t.n,
                  first_received_at = COALESCE({lo}(ledger_case.first_received_at, t.first_at),
                                               ledger_case.first_received_at),
                  last_received_at = COALESCE({hi}(ledger_case.last_received_at, t.last_at),
                                              ledger_case.last_received_at),
                  tier = CASE WHEN t.key_on IS NOT NULL AND NOT ledger_case.is_key
                              AND ledger_case.tier < {kt} THEN {kt} ELSE ledger_case.tier END,
                  tier_entered_on = CASE WHEN t.key_on IS NOT NULL AND NOT ledger_case.is_key
                              AND ledger_case.tier < {kt} THEN t.key_on
                              ELSE ledger_case.tier_entered_on END,
                  is_key = (ledger_case.is_key OR t.key_on IS NOT NULL),
                  key_since = COALESCE(ledger_case.key_since, t.key_on),
                  referral_due_on = COALESCE({lo}(ledger_case.referral_due_on, t.due),
                                             ledger_case.referral_due_on, t.due),
                  case_number = COALESCE(ledger_case.case_number, t.cn),
                  updated_at = :now
                FROM tmp_dedup_upd t WHERE ledger_case.case_id = t.case_id
                """
            ),
            {"now": now},
        )
        n_joined_cases = len(upd)
    # items -> cases
    ia = pd.DataFrame({"item_id": new["item_id"].to_numpy(), "case_id": case_of})
    tia = _temp_table(
        conn,
        "tmp_dedup_assign",
        [
            sa.Column("item_id", sa.BigInteger, primary_key=True),
            sa.Column("case_id", sa.BigInteger),
        ],
    )
    _copy(conn, tia, ia)
    t0 = time.perf_counter()
    with _bulk_write(conn, intake_item, len(ia), columns={"case_id"}):
        conn.execute(
            sa.text(
                "UPDATE intake_item SET case_id = t.case_id FROM tmp_dedup_assign t "
                "WHERE intake_item.item_id = t.item_id"
            )
        )
    log.debug("update items: %.2f s", time.perf_counter() - t0)
    # decisions
    rules = list(plan.rule)
    if extra_rule:
        pos = {int(i): k for k, i in enumerate(new["item_id"].tolist())}
        for item_id, r in extra_rule.items():
            if item_id in pos:
                rules[pos[item_id]] = r
    dec = pd.DataFrame(
        {
            "item_id": new["item_id"].to_numpy(),
            "case_id": case_of,
            "matched_item_id": pd.Series(plan.matched, dtype=object),
            "rule": rules,
            "score": pd.Series(plan.score, dtype=object),
            "decided_at": now,
            "evidence": pd.Series(plan.evidence or [None] * len(rules), dtype=object),
            "threshold": pd.Series(plan.threshold or [None] * len(rules), dtype=object),
        }
    )
    with _timed("decisions"), _bulk_write(conn, match_decision, len(dec)):
        _copy(conn, match_decision, dec)
    if merged:
        _recount(conn, merged)
    with _timed("links"):
        links = _link_same_case_number(conn, new.assign(case_id=case_of), first_load)
    return {
        "items": len(new),
        "new_cases": len(label_to_case),
        "joined_items": int((labels >= 0).sum()),
        "joined_cases": n_joined_cases,
        "links": links,
    }


def _merge_cases(conn: Connection, merges: dict[int, int], now: dt.datetime) -> list[int]:
    """Fold ledger cases found to be one matter into the oldest (a new item bridged them).

    The items and progress rows move; the key flag, tier, referral limit and case
    number combine; the folded case is removed (its number is never given out again)
    and each moved item gets a 'case_merge' decision. Returns the surviving case_ids.
    """
    survivors = sorted(set(merges.values()))
    for old, into in sorted(merges.items()):
        row = conn.execute(
            sa.select(
                ledger_case.c.is_key,
                ledger_case.c.key_since,
                ledger_case.c.tier,
                ledger_case.c.referral_due_on,
                ledger_case.c.case_number,
            ).where(ledger_case.c.case_id == old)
        ).first()
        if row is None:
            continue
        cur = conn.execute(
            sa.select(
                ledger_case.c.is_key,
                ledger_case.c.key_since,
                ledger_case.c.tier,
                ledger_case.c.referral_due_on,
                ledger_case.c.case_number,
            ).where(ledger_case.c.case_id == into)
        ).one()
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
        moved = [
            r[0]
            for r in conn.execute(
                sa.select(intake_item.c.item_id).where(intake_item.c.case_id == old)
            )
        ]
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
        _drop_empty_case(conn, old, into)
        log.info("ledger case %s folded into %s (%d items)", old, into, len(moved))
    return survivors


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
        _copy(conn, case_link, m)
        return len(m)
    cns = sorted(set(assigned["case_number"].dropna()))
    if not cns:
        return 0
    tcn = _temp_table(conn, "tmp_dedup_cn", [sa.Column("cn", sa.String(64))])
    _copy(conn, tcn, pd.DataFrame({"cn": cns}))
    pairs = _read(
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
    have = _read(
        conn,
        sa.select(case_link.c.case_id, case_link.c.related_case_id).where(
            case_link.c.case_id.in_(sorted(set(m["case_id"].tolist())))
        ),
    )
    if not have.empty:
        m = m.merge(have, how="left", indicator=True)
        m = m[m["_merge"] == "left_only"].drop(columns="_merge")
    m = m.drop_duplicates().assign(reason="same_case_number")
    _copy(conn, case_link, m)
    return len(m)


def _lock(conn: Connection) -> None:
    if locks.take(conn, locks.LEDGER):
        # short statements over temp tables: compiling them costs more than it saves
        conn.execute(sa.text("SET LOCAL jit = off"))


# nested loops only: a temp table of keys scanned once, the ledger through its indexes
# (seq scans stay allowed: without them a key table's own scan is penalized and the
# planner walks a whole index instead)
_PLANNER_SWITCHES = ("enable_hashjoin", "enable_mergejoin")


@contextlib.contextmanager
def _index_lookups(conn: Connection, n_keys: int) -> Iterator[None]:
    """A small batch against a big ledger: look its keys up through the indexes.

    The planner takes a few thousand keys in a temp table for a big share of the
    ledger and scans every item for each lookup; nested loops over the indexes cost
    a few microseconds a key. Left to the planner when the batch is a big share."""
    if not _is_pg(conn):
        yield
        return
    rows = conn.execute(
        sa.text("SELECT reltuples FROM pg_class WHERE oid = 'intake_item'::regclass")
    ).scalar_one()
    if n_keys * 20 > (rows or 0):
        yield
        return
    saved = {
        k: conn.execute(sa.text("SELECT current_setting(:k)"), {"k": k}).scalar_one()
        for k in _PLANNER_SWITCHES
    }
    for k in _PLANNER_SWITCHES:
        conn.execute(sa.text("SELECT set_config(:k, 'off', true)"), {"k": k})
    try:
        yield
    finally:
        for k, v in saved.items():
            conn.execute(sa.text("SELECT set_config(:k, :v, true)"), {"k": k, "v": v})


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
    transaction. ``workers``: processes for the matching of a big batch (default: up
    to two, the cores of the target machine). Idempotent: a second run finds nothing.
    """
    params = params or _params()
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
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
                new = _read_copy(conn, stmt) if _is_pg(conn) else _read(conn, stmt)
            if new.empty:
                break
            with _index_lookups(conn, len(new)):
                with _timed("candidates"):
                    cand, big_names = _candidates(conn, new)
                ov = _overrides(conn)
                summary = _run(conn, new, cand, params, _cannot_link(ov), workers, big_names)
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
    workers: int = 1,
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
    """Remove a case left without items; its facts (progress rows) follow ``into``."""
    from xinfang import schema

    left = conn.execute(
        sa.select(sa.func.count()).where(intake_item.c.case_id == case_id)
    ).scalar_one()
    if left:
        return
    if into is not None:
        conn.execute(
            schema.case_progress.update()
            .where(schema.case_progress.c.case_id == case_id)
            .values(case_id=into)
        )
    for t in (schema.escalation_event, schema.notification, schema.risk_flag, schema.case_progress):
        conn.execute(t.delete().where(t.c.case_id == case_id))
    conn.execute(
        case_link.delete().where(
            sa.or_(case_link.c.case_id == case_id, case_link.c.related_case_id == case_id)
        )
    )
    conn.execute(ledger_case.delete().where(ledger_case.c.case_id == case_id))


def merge(engine: Engine, item_id: int, other_item_id: int, reason: str, by: str) -> int:
    """Manually join ``item_id`` to the case of ``other_item_id``; returns that case_id.

    Recorded in ``manual_override`` and ``match_decision`` (rule 'manual_merge'). The
    case the item leaves is recounted, or removed if it is left empty (its progress
    rows move with the item).
    """
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
            _drop_empty_case(conn, src, dst)
        return dst


def split(engine: Engine, item_id: int, reason: str, by: str) -> int:
    """Manually take ``item_id`` out of its case into a new case of its own; returns it.

    The item is never joined again, by any later run or rebuild, to a case holding
    the item it was split from (the earliest other item of its former case).
    """
    if not reason or not by:
        raise ValueError("a manual split needs a reason and who made it")
    now = now_local()
    with engine.begin() as conn:
        _lock(conn)
        src = _case_of_item(conn, item_id)
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
        item = _read(conn, _item_select().where(intake_item.c.item_id == item_id))
        plan = Plan(
            item_pos=np.array([0]),
            target=np.array([-1], dtype=np.int64),
            rule=["manual_split"],
            score=[None],
            matched=[mate],
            n_new=1,
        )
        summary_case = _write_plan(conn, item, plan, now)
        del summary_case
        new_case = _case_of_item(conn, item_id)
        if src is not None:
            _refresh_case_counts(conn, [src])
        return int(new_case)


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
            action, other = "apart", int(matched)
        else:
            action = "confirm"
            other = int(matched) if matched_case is not None and matched_case == case else None
            if other is None:
                other = _earliest_other_item(conn, case, item_id)
            if other is None:
                raise ValueError(
                    f"item {item_id} is alone in its case and its latest decision names no "
                    "candidate: nothing to confirm"
                )
            matched_case = case
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
            "other_case_id": int(matched_case),
        }


def rebuild(engine: Engine, params: MatchParams | None = None) -> dict[str, int]:
    """Reassign every item from scratch, deterministically, replaying manual overrides.

    Each new case keeps the case_id and ledger number of the old case holding most
    of its items (each old case reused once); the others get new numbers, and old
    cases left without items are removed (their progress rows follow their items).
    """
    params = params or _params()
    now = now_local()
    with engine.begin() as conn:
        _lock(conn)
        items = _sort_items(_read(conn, _item_select()))
        if items.empty:
            return {"items": 0, "new_cases": 0, "kept_cases": 0, "dropped_cases": 0}
        old_case = items["case_id"].copy()
        ov = _overrides(conn)
        frame = items.assign(case_id=-1, case_case_number=None)
        plan = plan_matters(frame, params, _cannot_link(ov))
        labels = plan.target.copy()  # all new: labels < 0, positions = all rows
        rules = list(plan.rule)
        matched = list(plan.matched)
        pos = {int(i): k for k, i in enumerate(frame["item_id"].tolist())}
        next_label = int(labels.min()) - 1 if len(labels) else -1
        for row in ov.itertuples(index=False):
            p = pos.get(int(row.item_id))
            if p is None:
                continue
            if row.action == "split":
                labels[p] = next_label
                next_label -= 1
                rules[p], matched[p] = "manual_split", _none(row.other_item_id)
            elif row.action == "merge":
                q = pos.get(int(row.other_item_id))
                if q is not None:
                    labels[p] = labels[q]
                    rules[p], matched[p] = "manual_merge", int(row.other_item_id)
            elif row.action == "confirm" and pd.notna(row.other_item_id):
                # a confirmed join stays together; the matcher's own explanation is
                # kept when it found the join again
                q = pos.get(int(row.other_item_id))
                if q is not None and labels[p] != labels[q]:
                    labels[p] = labels[q]
                    rules[p], matched[p] = "manual_confirm", int(row.other_item_id)
        # reuse old cases: the biggest overlaps first, each old case once
        ov_df = pd.DataFrame({"label": labels, "old": old_case.to_numpy()}).dropna()
        ov_df["old"] = ov_df["old"].astype(np.int64)
        cnt = ov_df.groupby(["label", "old"]).size().rename("n").reset_index()
        cnt = cnt.sort_values(["n", "old", "label"], ascending=[False, True, False])
        keep: dict[int, int] = {}
        used: set[int] = set()
        for lab, old, _n in cnt.itertuples(index=False):
            if lab in keep or old in used:
                continue
            keep[int(lab)] = int(old)
            used.add(int(old))
        final = np.array([keep.get(int(lab), int(lab)) for lab in labels.tolist()], dtype=np.int64)
        all_old = set(old_case.dropna().astype(np.int64).tolist())
        # start from a clean slate for the items and the decisions
        conn.execute(intake_item.update().values(case_id=None))
        conn.execute(match_decision.delete())
        conn.execute(case_link.delete().where(case_link.c.reason == "same_case_number"))
        kept = sorted(used)
        if kept:
            conn.execute(
                ledger_case.update()
                .where(ledger_case.c.case_id.in_(kept))
                .values(item_count=0, case_number=None)
            )
        # the matcher's bar and evidence stay with its own decisions (the review queue
        # reads them); a decision replaced by a manual one has neither
        manual = [r.startswith("manual_") for r in rules]
        relabeled = Plan(
            item_pos=np.arange(len(frame)),
            target=final,
            rule=rules,
            score=plan.score,
            matched=matched,
            n_new=0,
            threshold=[
                None if m else b
                for m, b in zip(manual, plan.threshold or [None] * len(rules), strict=True)
            ],
            evidence=[
                None if m else e
                for m, e in zip(manual, plan.evidence or [None] * len(rules), strict=True)
            ],
        )
        summary = _write_plan(conn, frame, relabeled, now)
        # identity fields of the kept cases from their items
        _refresh_kept(conn, frame.assign(case_id=_assigned(conn, frame)), kept)
        dropped = 0
        for cid in sorted(all_old - used):
            into = _majority_case(conn, cid, old_case, frame)
            _drop_empty_case(conn, cid, into)
            dropped += 1
        return {
            "items": len(frame),
            "new_cases": summary["new_cases"],
            "kept_cases": len(kept),
            "dropped_cases": dropped,
            "links": summary["links"],
        }


def _assigned(conn: Connection, frame: pd.DataFrame) -> np.ndarray:
    got = _read(conn, sa.select(intake_item.c.item_id, intake_item.c.case_id))
    m = dict(zip(got["item_id"], got["case_id"], strict=True))
    return np.array([int(m[i]) for i in frame["item_id"].tolist()], dtype=np.int64)


def _majority_case(
    conn: Connection, old: int, old_case: pd.Series, frame: pd.DataFrame
) -> int | None:
    mask = (old_case == old).to_numpy()
    if not mask.any():
        return None
    now_cases = _assigned(conn, frame)[mask]
    vals, counts = np.unique(now_cases, return_counts=True)
    return int(vals[np.argmax(counts)])


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
                first_received_at=_none(r.first_received_at),
                last_received_at=_none(r.last_received_at),
                case_number=_none(r.case_number),
                person_key=_none(r.person_key),
                petitioner_name=_none(r.petitioner_name),
            )
        )
