"""progress row keys over the workflow columns

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08

A progress row's key (``case_progress.row_key``, how a row dropped again in a corrected
file is recognised) was taken over its 11 original values only, so a row corrected in
one of the workflow columns of 0004 (a 满意度 added, a 受理日期 fixed) and dropped
again counted as loaded and the correction was lost. The key now takes the six workflow
values too, when the row gives one (xinfang.intake.rowkey); rows giving none keep their
key. This revision re-keys the stored rows that give one, so that their own files dropped
again still load nothing; downgrade gives them their former keys back.

The key rule of both sides is frozen here (never the live module, which may change).
A row's occurrence number (the n-th equal row of its file) is recovered, not recounted:
upgrading, from its stored key (the n for which the old key matches), then counting the
rows at the file's positions 1..n-1 (found by their old keys, in whichever file they
are stored) that read the same in the new text; downgrading, by counting the rows of
its file before it that read the same in the old text. A row whose stored key matches
none of its values (its case merged into another since it was loaded: its 台账编号 no
longer resolves, so its file dropped again is refused anyway) and staff case actions
(``origin`` admin/console: no file, no key) are left as they are.
"""

import datetime as dt
import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

BATCH = 5_000
LOOKUP = 500
"""Rows re-keyed per batch; keys looked up per query (SQLite's bound-parameter limit)."""

BASE_FIELDS = (
    "case_id",
    "progress_date",
    "note",
    "status",
    "disposition",
    "court_code",
    "department",
    "judge",
    "leader",
    "is_key",
    "hearing_date",
)
WORKFLOW_FIELDS = (
    "accepted_on",
    "replied_on",
    "extended_to",
    "satisfaction",
    "supervision_unit",
    "supervision_due_on",
)
DATES = ("progress_date", "hearing_date", "accepted_on", "replied_on", "extended_to")
DATES += ("supervision_due_on",)
COLUMNS = ", ".join(f"p.{c}" for c in BASE_FIELDS + WORKFLOW_FIELDS)
GIVES_WORKFLOW = " OR ".join(f"p.{c} IS NOT NULL" for c in WORKFLOW_FIELDS)


# --- the key rule, frozen (xinfang.intake.rowkey as of this revision) -----------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return " ".join(str(value).split())


def _joined(values: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    return "\x1f".join(_text(values.get(f)) for f in fields)


def old_text(values: Mapping[str, Any]) -> str:
    """The key text before this revision: the 11 original values."""
    return _joined(values, BASE_FIELDS)


def new_text(values: Mapping[str, Any]) -> str:
    """The key text from this revision: the workflow values appended when one is given."""
    extra = _joined(values, WORKFLOW_FIELDS)
    return f"{old_text(values)}\x1f{extra}" if extra.strip("\x1f") else old_text(values)


def key(text: str, occurrence: int) -> str:
    payload = f"{text}\x1e{occurrence}".encode()
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def _occurrence(text: str, stored_key: str, most: int) -> int | None:
    """The n (at most ``most``, the rows of its file) whose key over ``text`` is the
    stored one; None when there is none (the row changed since it was keyed)."""
    for n in range(1, max(most, 1) + 1):
        if key(text, n) == stored_key:
            return n
    return None


# --- reading and writing ---------------------------------------------------------------


def _values(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as the loader keyed it (SQLite hands dates back as text, flags as 0/1)."""
    values = dict(row)
    for day in DATES:
        if isinstance(values[day], str):
            values[day] = dt.date.fromisoformat(values[day][:10])
    if values["is_key"] is not None:
        values["is_key"] = bool(values["is_key"])
    return values


def _candidates(conn: sa.Connection) -> Iterator[list[dict[str, Any]]]:
    """The keyed rows that give a workflow value, by batches in ``progress_id`` order,
    each with the number of rows its file had (an occurrence is at most that)."""
    query = sa.text(
        f"SELECT p.progress_id, p.file_id, p.row_key, {COLUMNS}, "
        "COALESCE(f.item_count, 0) + COALESCE(f.known_rows, 0) AS file_rows "
        "FROM case_progress p LEFT JOIN intake_file f ON f.file_id = p.file_id "
        f"WHERE p.row_key IS NOT NULL AND ({GIVES_WORKFLOW}) AND p.progress_id > :after "
        "ORDER BY p.progress_id LIMIT :batch"
    )
    after = 0
    while True:
        rows = [_values(r._mapping) for r in conn.execute(query, {"after": after, "batch": BATCH})]
        if not rows:
            return
        yield rows
        after = rows[-1]["progress_id"]


def _in_chunks(conn: sa.Connection, sql: str, name: str, values: list) -> Iterator[dict]:
    """``sql`` (with ``IN :name``) run over ``values`` a chunk at a time, rows as dicts."""
    query = sa.text(sql).bindparams(sa.bindparam(name, expanding=True))
    for start in range(0, len(values), LOOKUP):
        for row in conn.execute(query, {name: values[start : start + LOOKUP]}):
            yield _values(row._mapping)


def _stash(conn: sa.Connection, keys: dict[int, str]) -> None:
    if keys:
        conn.execute(
            sa.text("INSERT INTO mig_rekey (id, row_key) VALUES (:id, :k)"),
            [{"id": i, "k": k} for i, k in keys.items()],
        )


def _rekey(rekeyed: Iterator[dict[int, str]]) -> None:
    """Every batch's new keys into a temporary table, then one UPDATE: the lookups of
    later batches still see the keys as they were."""
    conn = op.get_bind()
    conn.exec_driver_sql("CREATE TEMP TABLE mig_rekey (id BIGINT PRIMARY KEY, row_key TEXT)")
    conn.exec_driver_sql("CREATE INDEX ix_mig_rekey_row_key ON mig_rekey (row_key)")
    for keys in rekeyed:
        _stash(conn, keys)
    conn.exec_driver_sql(
        "UPDATE case_progress SET row_key = mig_rekey.row_key FROM mig_rekey "
        "WHERE case_progress.progress_id = mig_rekey.id"
    )
    changed = conn.exec_driver_sql("SELECT count(*) FROM mig_rekey").scalar_one()
    conn.exec_driver_sql("DROP TABLE mig_rekey")
    log.info("case_progress: %d row keys rewritten", changed)


# --- upgrade ---------------------------------------------------------------------------


def upgrade() -> None:
    _rekey(_new_keys(op.get_bind()))


def _new_keys(conn: sa.Connection) -> Iterator[dict[int, str]]:
    """Per batch: progress_id -> the key the live loader gives the row in its file."""
    unmatched = 0
    for batch in _candidates(conn):
        keys: dict[int, str] = {}
        later: list[tuple[dict, int]] = []  # the n-th equal row of its file, n > 1
        for row in batch:
            text = new_text(row)
            n = _occurrence(old_text(row), row["row_key"], row["file_rows"])
            if n is None:
                unmatched += 1
            elif n == 1:
                keys[row["progress_id"]] = key(text, 1)
            else:
                later.append((row, n))
        keys.update(_later_keys(conn, later))
        yield keys
    if unmatched:
        log.warning("case_progress: %d rows keep their key (their values changed)", unmatched)


def _later_keys(conn: sa.Connection, later: list[tuple[dict, int]]) -> dict[int, str]:
    """The new key of the n-th equal row of a file (n > 1): its occurrence among the rows
    at the file's positions 1..n-1 (stored from that file, or recognised there as
    loaded from an earlier one) that read the same in the new text."""
    wanted = {key(old_text(row), j): None for row, n in later for j in range(1, n)}
    holders: dict[str, list[dict]] = defaultdict(list)
    sql = f"SELECT p.progress_id, p.file_id, p.row_key, {COLUMNS} FROM case_progress p "
    for held in _in_chunks(conn, sql + "WHERE p.row_key IN :keys", "keys", list(wanted)):
        holders[held["row_key"]].append(held)
    keys = {}
    for row, n in later:
        text, before = new_text(row), old_text(row)
        same = 0
        for j in range(1, n):
            found = holders.get(key(before, j), [])
            # the row of its own file if it was stored there, else the one it matched
            mine = [h for h in found if h["file_id"] == row["file_id"]] or found[:1]
            same += sum(1 for h in mine if new_text(h) == text)
        keys[row["progress_id"]] = key(text, same + 1)
    return keys


# --- downgrade -------------------------------------------------------------------------


def downgrade() -> None:
    _rekey(_old_keys(op.get_bind()))


def _old_keys(conn: sa.Connection) -> Iterator[dict[int, str]]:
    """Per batch: progress_id -> the key the row had before this revision."""
    unmatched = 0
    for batch in _candidates(conn):
        rows = []
        for row in batch:
            if _occurrence(new_text(row), row["row_key"], row["file_rows"]) is None:
                unmatched += 1
            else:
                rows.append(row)
        ranks, stored = _ranks(conn, rows)
        keys: dict[int, str] = {}
        files_of: dict[str, int] = {}  # this batch's restored keys -> their files
        for row in rows:
            rank = ranks.get(row["progress_id"], 1)
            if row["file_rows"] > stored.get(row["file_id"], 0):  # rows known at its load
                rank = _old_occurrence(conn, row, rank, files_of)
            keys[row["progress_id"]] = restored = key(old_text(row), rank)
            files_of[restored] = row["file_id"]
        yield keys
    if unmatched:
        log.warning("case_progress: %d rows keep their key (their values changed)", unmatched)


def _ranks(conn: sa.Connection, rows: list[dict]) -> tuple[dict[int, int], dict[int, int]]:
    """Each row's number among its file's stored rows of the same old text, in file
    order; and how many rows each file stored."""
    files = sorted({r["file_id"] for r in rows if r["file_id"] is not None})
    sql = (
        f"SELECT p.progress_id, p.file_id, p.source_row, {COLUMNS} FROM case_progress p "
        "WHERE p.row_key IS NOT NULL AND p.file_id IN :files"
    )
    in_order = sorted(
        _in_chunks(conn, sql, "files", files),
        key=lambda r: (r["file_id"], r["source_row"], r["progress_id"]),
    )
    seen: Counter[tuple[int, str]] = Counter(r["file_id"] for r in in_order)
    stored = {f: seen.pop(f) for f in files if f in seen}
    ranks = {}
    for r in in_order:
        place = (r["file_id"], old_text(r))
        seen[place] += 1
        ranks[r["progress_id"]] = seen[place]
    return ranks, stored


def _old_occurrence(conn: sa.Connection, row: dict, rank: int, files_of: dict[str, int]) -> int:
    """The occurrence of the ``rank``-th stored row of its text in a file that also had
    rows recognised as loaded before: the positions before it held, under their old
    keys, by rows of earlier files are skipped."""
    text, file_id = old_text(row), row["file_id"]
    position = held = 0
    while held < rank and position < row["file_rows"]:
        position += 1
        candidate = key(text, position)
        earlier = files_of.get(candidate, file_id) < file_id
        if not earlier and not _held_before(conn, candidate, file_id):
            held += 1
    return max(position, rank)


def _held_before(conn: sa.Connection, old_key: str, file_id: int) -> bool:
    """A row of an earlier file holds ``old_key`` as its key before this revision: a row
    giving no workflow value its key as it is, one giving one the key restored for it."""
    return (
        conn.execute(
            sa.text(
                "SELECT 1 FROM case_progress p WHERE p.row_key = :k AND p.file_id < :f "
                f"AND NOT ({GIVES_WORKFLOW}) "
                "UNION ALL SELECT 1 FROM mig_rekey m JOIN case_progress p "
                "ON p.progress_id = m.id WHERE m.row_key = :k AND p.file_id < :f"
            ),
            {"k": old_key, "f": file_id},
        ).first()
        is not None
    )
