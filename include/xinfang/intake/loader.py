"""Load a channel's files into the ledger database, each all or nothing.

A file is all or nothing: its ``intake_file`` row, items, progress rows and row
rejects are written inside a SAVEPOINT of its group's transaction, and the file
leaves ``incoming/`` only after that transaction commits. Small files are written
several to a transaction (``ChannelWriter``: up to ``GROUP_FILES`` files,
``GROUP_ROWS`` rows or ``GROUP_SECONDS``), a larger one in a transaction of its own:
one commit (a WAL flush) and one connection per group instead of per file. A crash
before the commit leaves nothing of the group behind and its files where they were;
a crash after it leaves their hashes in ``intake_file``, so the rerun only moves them.
A byte-identical re-drop is found by hash (within the group too); a row already
loaded from another file (a corrected file dropped again) by its row key
(:mod:`xinfang.intake.rowkey`).

No file stops the others (docs/channels.md): whatever goes wrong while reading or
storing one file's data — the reader, a value the database refuses, memory — rolls
back that file's SAVEPOINT and quarantines the file with its reason; the others of its
group commit. Only what is not the file's fault (the database unreachable, the worker
stopped) fails the task, leaving every file of the open group in ``incoming/`` for the
rerun.

Reading and parsing a file needs no database (:mod:`xinfang.intake.parse`); the sweep's
worker processes do it side by side (:mod:`xinfang.intake.pool`). Only the writes of one
channel take turns (a lock held by a group's transaction from its start to its commit),
so a row key is looked up after the channel's previous file is visible (committed, or
earlier in the same transaction) and a second sweep of the same channel skips what the
first took.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import logging
import os
import stat
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

from xinfang import locks
from xinfang.config import IntakeLimits, get_config
from xinfang.db import dialect_of, insert_rows
from xinfang.intake import landing, readers
from xinfang.intake.base import ChannelSpec, FileError
from xinfang.intake.channels import spec as channel_spec
from xinfang.intake.items import config_in_force
from xinfang.intake.parse import ParsedFile, parse_file
from xinfang.intake.rowkey import ITEM_FIELDS, PROGRESS_FIELDS, WORKFLOW_FIELDS, FileKeys
from xinfang.masking import mask_text
from xinfang.progress import extension_refusals
from xinfang.schema import case_progress, intake_file, intake_item, intake_reject, ledger_case
from xinfang.timeutil import now_local

log = logging.getLogger(__name__)

CHUNK = 2000
"""Rows looked up and written together (one key look-up, one COPY)."""
GROUP_FILE_BYTES = 1024 * 1024
"""A file up to this size joins the open group (a day's or a week's export: every file of
the 274k-item bench set is under 0.5 MiB); a larger one is written in a transaction of its
own, as it always was."""
GROUP_FILES = 30
GROUP_ROWS = 50_000
GROUP_SECONDS = 5.0
"""A group commits after this many files, rows written (items, rows known before, rejects)
or seconds since it began, whichever comes first: a crash redoes at most that much, and a
concurrent sweep of the channel waits about that long at most for its turn. 30 files keep
a transaction's savepoints that write (up to two a file: its load, its quarantine) under
PostgreSQL's 64 cached subtransactions, past which every snapshot of the server takes
its slow path (pg_subtrans look-ups)."""


@dataclass
class FileResult:
    channel: str
    source_file: str
    outcome: str  # loaded / duplicate / quarantined / skipped (another sweep took it)
    items: int = 0
    rejects: int = 0
    known: int = 0
    """Rows already loaded from an earlier file (not loaded again)."""
    moved_to: str | None = None
    reason: str | None = None
    reject_reasons: dict[str, int] = field(default_factory=dict)


def _one_of(conn: Connection, column: sa.Column, keys: list) -> sa.ColumnElement[bool]:
    """``column IN keys``; on PostgreSQL as ``= ANY(array)``, which it looks up through
    a composite index (channel, key) key by key, where a list of thousands of literals
    made it read every row of the channel and filter them."""
    if dialect_of(conn).is_postgres:
        return column == sa.any_(sa.literal(keys, postgresql.ARRAY(column.type)))
    return column.in_(keys)


def _resolve_ledger_nos(conn: Connection, values: list[dict]) -> dict[str, int]:
    nos = sorted({v["ledger_no"] for v in values})
    if not nos:
        return {}
    rows = conn.execute(
        sa.select(ledger_case.c.ledger_no, ledger_case.c.case_id).where(
            _one_of(conn, ledger_case.c.ledger_no, nos)
        )
    )
    return dict(rows.all())


def _record_file(
    conn: Connection,
    spec: ChannelSpec,
    path: Path,
    size: int,
    sha: str,
    status: str,
    at: dt.datetime,
    encoding: str | None = None,
) -> int:
    """The file's ``intake_file`` row (what makes an identical re-drop recognisable)."""
    return conn.execute(
        intake_file.insert().returning(intake_file.c.file_id),
        {
            "channel": spec.name,
            "source_file": path.name,
            "sha256": sha,
            "size_bytes": size,
            "encoding": encoding,
            "status": status,
            "item_count": 0,
            "reject_count": 0,
            "loaded_at": at,
        },
    ).scalar_one()


def _take_turn(conn: Connection, channel: str) -> None:
    """Loads of one channel take turns, so a row key is looked up after the previous
    file of the channel committed (SQLite: the database's one writer does the same).

    Every lookup of a load is by key (row keys, ticket numbers, 台账编号): on PostgreSQL
    they go through the indexes even while the table's statistics still describe it as
    small (it grows by whole files between ANALYZE runs), instead of scanning every item
    once per chunk of rows."""
    if locks.take(conn, locks.intake_channel(channel)):
        dialect_of(conn).set_local(conn, enable_seqscan="off")


class _Rows:
    """One file's checked rows on their way in: row keys, and the rows already there."""

    def __init__(self, conn: Connection, spec: ChannelSpec):
        self.conn, self.spec = conn, spec
        self.table = intake_item if spec.target == "item" else case_progress
        if spec.target == "item":
            self.keys = FileKeys(ITEM_FIELDS)
        else:  # the workflow columns count only in the rows that give one (rowkey)
            self.keys = FileKeys(PROGRESS_FIELDS, WORKFLOW_FIELDS)
        self.redropped = False

    def new_only(
        self, good: list[dict[str, Any]], key_texts: list[str] | None
    ) -> list[dict[str, Any]]:
        """Key the rows (in file order) and keep those not loaded before; link corrections."""
        if key_texts is None:
            for values in good:
                values["row_key"] = self.keys.key(values)
        else:
            key_of_text = self.keys.key_of_text
            for values, text in zip(good, key_texts, strict=True):
                values["row_key"] = key_of_text(text)
        # (a key is unique to its channel: the channel is among the values it hashes)
        column = self.table.c.row_key
        query = sa.select(column).where(_one_of(self.conn, column, [v["row_key"] for v in good]))
        known = set(self.conn.execute(query).scalars())
        fresh = [v for v in good if v["row_key"] not in known]
        if known:
            self.redropped = True
        if self.spec.target == "item" and fresh:
            self._link_corrections(fresh)
        return fresh

    def _link_corrections(self, fresh: list[dict[str, Any]]) -> None:
        """A new row with the 工单号/ticket_id/交办文号 of an item loaded before corrects
        it; in a file dropped again, so does one with the same received time and name."""
        c = intake_item.c
        channel = c.channel == self.spec.name
        ids = sorted({v["external_id"] for v in fresh if v.get("external_id")})
        by_id = {}
        if ids:
            by_id = dict(
                self.conn.execute(
                    sa.select(c.external_id, sa.func.max(c.item_id))
                    .where(channel, _one_of(self.conn, c.external_id, ids))
                    .group_by(c.external_id)
                ).all()
            )
        by_time: dict[tuple, int] = {}
        if self.redropped:
            times = sorted({v["received_at"] for v in fresh if not v.get("external_id")})
            if times:
                for item_id, at, name in self.conn.execute(
                    sa.select(c.item_id, c.received_at, c.name_key)
                    .where(channel, c.received_at.in_(times))
                    .order_by(c.item_id)
                ):
                    by_time[(at, name)] = item_id
        for values in fresh:
            if values.get("external_id"):
                values["corrects_item_id"] = by_id.get(values["external_id"])
            else:
                values["corrects_item_id"] = by_time.get(
                    (values["received_at"], values.get("name_key"))
                )


def _load(conn: Connection, spec: ChannelSpec, path: Path, parsed: ParsedFile) -> FileResult:
    """Write one parsed file in the caller's transaction, which holds the channel's turn."""
    loaded_at = now_local()
    file_id = _record_file(
        conn, spec, path, parsed.size, parsed.sha256, "loaded", loaded_at, parsed.encoding
    )
    result = FileResult(spec.name, path.name, "loaded")
    base = {"file_id": file_id, "source_file": path.name}
    item_base = {**base, "loaded_at": loaded_at} if spec.target == "item" else base
    batch = _Rows(conn, spec)
    for chunk in parsed.chunks:
        good, bad = chunk.good, chunk.bad
        for values in good:
            values.update(item_base)
        if spec.target == "progress" and good:
            good = _progress_rows(conn, good, bad, loaded_at)
        if good:
            fresh = batch.new_only(good, chunk.key_texts)
            result.known += len(good) - len(fresh)
            insert_rows(conn, batch.table, fresh)
            result.items += len(fresh)
        if bad:
            insert_rows(
                conn,
                intake_reject,
                [{**b, **base, "channel": spec.name, "rejected_at": loaded_at} for b in bad],
            )
            result.rejects += len(bad)
            for b in bad:
                key = b["reason"].split(":")[0]
                result.reject_reasons[key] = result.reject_reasons.get(key, 0) + 1
    conn.execute(
        intake_file.update()
        .where(intake_file.c.file_id == file_id)
        .values(item_count=result.items, reject_count=result.rejects, known_rows=result.known)
    )
    return result


def _progress_rows(
    conn: Connection, good: list[dict], bad: list[dict], loaded_at: dt.datetime
) -> list[dict]:
    """Progress rows of ledger cases (an unknown 台账编号 is refused), as ``case_progress`` rows."""
    cases = _resolve_ledger_nos(conn, good)
    extensions = extension_refusals(conn, [(cases.get(v["ledger_no"]), v) for v in good])
    kept = []
    for index, v in enumerate(good):
        case_id = cases.get(v["ledger_no"])
        if case_id is None or index in extensions:
            reason = extensions.get(index) or f"台账编号 {v['ledger_no'][:64]} is not in the ledger"
            bad.append(
                {"source_row": v["source_row"], "reason": mask_text(reason), "raw": v["raw"]}
            )
            continue
        row = {k: val for k, val in v.items() if k in case_progress.c and k != "raw"}
        row["note_masked"] = mask_text(row.get("note"))
        kept.append({**row, "case_id": case_id, "loaded_at": loaded_at})
    return kept


def _record_quarantine(
    conn: Connection, spec: ChannelSpec, path: Path, size: int, sha: str, reason: str
) -> None:
    now = now_local()
    file_id = _record_file(conn, spec, path, size, sha, "quarantined", now)
    conn.execute(
        intake_reject.insert(),
        {
            "channel": spec.name,
            "file_id": file_id,
            "source_file": path.name,
            "source_row": None,
            "reason": reason,
            "raw": None,
            "rejected_at": now,
        },
    )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file loads.

    Parsing allocates millions of short-lived dicts and tuples, none in reference
    cycles; the collector's passes over them (and over the normalizers' caches) cost
    ~5% of the parse. Reference counting still frees them as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


NOT_THE_FILES_FAULT: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,  # the database went away, a lock timed out
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    OSError,  # the disk or the landing folder
)
"""Errors that fail the task (the rerun loads the file) instead of quarantining it."""


def _not_the_files_fault(exc: BaseException) -> bool:
    """The worker being stopped (Airflow's termination and timeout exceptions) or the
    infrastructure failing is no reason to quarantine a file."""
    if isinstance(exc, NOT_THE_FILES_FAULT):
        return True
    return any(cls.__module__.startswith("airflow") for cls in type(exc).__mro__)


def _taken_by_another(exc: sa_exc.IntegrityError) -> bool:
    """The file's hash went in first from a concurrent sweep of the channel."""
    text = str(exc.orig).lower()
    return "sha256" in text or "uq_intake_file" in text


def read_file(path: Path, limits: IntakeLimits) -> bytes:
    """The file's bytes, never through a link, within the size limit (FileError past it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:  # a link (ELOOP), no permission
        raise FileError(f"the file cannot be opened ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise FileError("not a regular file: only files are read from incoming/")
        readers.check_size(st.st_size, limits)
        return f.read(limits.max_file_bytes + 1)


def load_file(
    engine: Engine, channel: str, path: Path, landing_root: Path, day: dt.date
) -> FileResult:
    """Load one dropped file on its own and move it out of ``incoming/``."""
    results: list[FileResult] = []
    with ChannelWriter(engine, channel_spec(channel), landing_root, day, results.append) as writer:
        writer.load(path)
    return results[0]


@dataclass
class _Written:
    """A file written in the open group, and where it goes once the group commits."""

    result: FileResult
    path: Path
    move: str  # archive / quarantine / none
    note: str = ""
    """The quarantine's reason file."""


class ChannelWriter:
    """One channel's files written in the order given, small ones several to a transaction.

    Each file goes in a SAVEPOINT of the group's transaction (rolled back alone when the
    file is at fault, then the file is quarantined in the same transaction); the group
    commits when full (``GROUP_FILES``, ``GROUP_ROWS``, ``GROUP_SECONDS``), before a file
    larger than ``GROUP_FILE_BYTES`` (written alone) and at the end of the ``with``
    block. Only then are its files moved and ``done`` called with each one's result, in
    order. An exception out of the block rolls the open group back: its files stay in
    ``incoming/``.
    """

    def __init__(
        self,
        engine: Engine,
        spec: ChannelSpec,
        landing_root: Path,
        day: dt.date,
        done: Callable[[FileResult], None] = lambda result: None,
    ) -> None:
        self.engine, self.spec, self.landing_root, self.day = engine, spec, landing_root, day
        self.done = done
        self._conn: Connection | None = None
        self._written: list[_Written] = []
        self._rows = 0
        self._began = 0.0

    def __enter__(self) -> ChannelWriter:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if exc is None:
            self.flush()
        elif self._conn is not None:  # rolled back: the group's files stay in incoming/
            conn, self._conn, self._written = self._conn, None, []
            _discard(conn)

    # ------------------------------------------------------------- files in

    def load(self, path: Path) -> None:
        """Read ``path`` here and write it, parsing it as it is written."""
        spec = self.spec
        try:
            limits = get_config().intake
            data = read_file(path, limits)
        except FileNotFoundError:
            return self.skip(path, "another sweep took it")
        except FileError as exc:
            return self.quarantine(path, 0, "", str(exc))
        sha = hashlib.sha256(data).hexdigest()

        def parsed() -> ParsedFile:
            return parse_file(spec, path, data, sha, self.day, limits, CHUNK)

        self.store(path, len(data), sha, parsed)

    def store(self, path: Path, size: int, sha: str, parsed: Callable[[], ParsedFile]) -> None:
        """Write a read file (``parsed()`` gives its rows, or raises what reading them
        raised), or quarantine it for anything that is its fault."""
        alone = size > GROUP_FILE_BYTES
        if alone:
            self.flush()
        conn = self._connection()
        seen = conn.execute(
            sa.select(intake_file.c.status).where(
                intake_file.c.channel == self.spec.name, intake_file.c.sha256 == sha
            )
        ).scalar_one_or_none()
        if seen == "loaded":
            result = FileResult(self.spec.name, path.name, "duplicate")
            self._written.append(_Written(result, path, "archive"))
        elif seen == "quarantined":
            reason = "identical to a file quarantined before"
            result = FileResult(self.spec.name, path.name, "quarantined", reason=reason)
            self._written.append(_Written(result, path, "quarantine", reason))
        else:
            self._write(conn, path, size, sha, parsed)
        if alone or self._full():
            self.flush()

    def quarantine(self, path: Path, size: int, sha: str, reason: str) -> None:
        """Record the file as quarantined (its hash, so an identical re-drop follows it),
        to be moved with the reason, masked: a reason never carries a full ID or phone."""
        reason = mask_text(reason)
        note = f"{path.name}: {reason}"
        conn = self._connection()
        # (IntegrityError: the same bytes were recorded already)
        with contextlib.suppress(sa_exc.IntegrityError), conn.begin_nested():
            _record_quarantine(conn, self.spec, path, size, sha or _no_hash(path), note)
        result = FileResult(self.spec.name, path.name, "quarantined", reason=reason)
        self._written.append(_Written(result, path, "quarantine", note))
        if self._full():
            self.flush()

    def skip(self, path: Path, why: str) -> None:
        """A file another sweep took: reported in its place, nothing written."""
        result = FileResult(self.spec.name, path.name, "skipped", reason=why)
        self._written.append(_Written(result, path, "none"))

    def _write(
        self, conn: Connection, path: Path, size: int, sha: str, parsed: Callable[[], ParsedFile]
    ) -> None:
        channel = self.spec.name
        try:
            rows = parsed()
            with conn.begin_nested(), config_in_force(), collector_paused():
                result = _load(conn, self.spec, path, rows)
        except FileError as exc:
            return self.quarantine(path, size, sha, str(exc))
        except sa_exc.IntegrityError as exc:
            if _taken_by_another(exc):
                return self.skip(path, "another sweep loaded it first")
            return self.quarantine(path, size, sha, _failure(exc))
        except Exception as exc:  # one file must never stop the others
            if _not_the_files_fault(exc):
                raise
            trace = "".join(traceback.format_exception(exc, limit=-8))
            log.warning("%s/%s could not be loaded:\n%s", channel, path.name, mask_text(trace))
            return self.quarantine(path, size, sha, _failure(exc))
        self._rows += result.items + result.known + result.rejects
        self._written.append(_Written(result, path, "archive"))

    # ------------------------------------------------------------- the group

    def _connection(self) -> Connection:
        """The open group's connection, in its transaction holding the channel's turn."""
        if self._conn is None:
            conn = self.engine.connect()
            try:
                conn.begin()
                dialect_of(conn).begin_writing(conn)  # (SQLite: savepoints inside it)
                _take_turn(conn, self.spec.name)
            except BaseException:
                conn.close()
                raise
            self._conn, self._began = conn, time.monotonic()
        return self._conn

    def _full(self) -> bool:
        return (
            len(self._written) >= GROUP_FILES
            or self._rows >= GROUP_ROWS
            or time.monotonic() - self._began >= GROUP_SECONDS
        )

    def flush(self) -> None:
        """Commit the open group, then move its files and report them, in order."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.commit()
            except BaseException:
                self._written = []
                _discard(conn)
                raise
            conn.close()
        written, self._written, self._rows = self._written, [], 0
        for file in written:
            self.done(self._move(file))

    def _move(self, file: _Written) -> FileResult:
        result, path, channel = file.result, file.path, self.spec.name
        try:
            if file.move == "archive":
                result.moved_to = str(landing.archive(path, self.landing_root, channel, self.day))
            elif file.move == "quarantine":
                moved = landing.quarantine(path, self.landing_root, channel, file.note)
                result.moved_to = str(moved)
        except FileNotFoundError:
            if result.outcome != "loaded":
                return skipped(channel, path, "another sweep took it")
            # loaded here; another sweep archived it as identical
        if result.outcome == "loaded":
            log.info(
                "%s/%s: %d loaded, %d already loaded before, %d rejected %s",
                channel,
                path.name,
                result.items,
                result.known,
                result.rejects,
                result.reject_reasons or "",
            )
        elif result.outcome == "duplicate":
            log.info(
                "%s/%s: identical to a file already loaded; archived, nothing loaded",
                channel,
                path.name,
            )
        elif result.outcome == "quarantined":
            log.warning("%s/%s quarantined: %s", channel, path.name, result.reason)
        else:
            log.info("%s/%s skipped: %s", channel, path.name, result.reason)
        return result


def _discard(conn: Connection) -> None:
    """Close a group's connection after a failure, its transaction rolled back for sure:
    the database connection itself is dropped (a commit cut short, by a signal say, can
    leave SQLAlchemy believing the transaction ended while the database still holds it
    open, with its rows and the channel's turn, in a connection back in the pool)."""
    with contextlib.suppress(Exception):
        conn.invalidate()
    conn.close()


def _failure(exc: BaseException) -> str:
    """A reason for an unexpected error: its kind and first line, masked and short."""
    first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
    return f"the file could not be loaded ({type(exc).__name__}: {first[:300]})"


def skipped(channel: str, path: Path, why: str) -> FileResult:
    log.info("%s/%s skipped: %s", channel, path.name, why)
    return FileResult(channel, path.name, "skipped", reason=why)


def _no_hash(path: Path) -> str:
    """A unique stand-in hash for a file that was not read (a link, an oversized file)."""
    return hashlib.sha256(f"unread:{path}:{now_local().isoformat()}".encode()).hexdigest()
