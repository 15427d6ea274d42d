"""Load one channel file into the ledger database in a single transaction.

A file is all or nothing: its ``intake_file`` row, items, progress rows and
row rejects commit together, and only then does the file leave ``incoming/``.
A crash before the commit leaves nothing behind and the file where it was; a
crash after it leaves the file's hash in ``intake_file``, so the rerun only
moves the file to the archive. A byte-identical re-drop is found by hash; a
row already loaded from another file (a corrected file dropped again) by its
row key (:mod:`xinfang.intake.rowkey`).

No file stops the others (docs/channels.md): whatever goes wrong while reading or
storing one file's data — the reader, a value the database refuses, memory —
quarantines that file with its reason. Only what is not the file's fault (the
database unreachable, the worker stopped) fails the task, leaving the file in
``incoming/`` for the rerun.

Reading and parsing a file needs no database (:mod:`xinfang.intake.parse`); the sweep's
worker processes do it side by side (:mod:`xinfang.intake.pool`). Only the writes of one
channel take turns (a lock held from the file's ``intake_file`` row to its commit), so a
row key is looked up after the channel's previous file committed and a second sweep of
the same channel skips what the first took.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import logging
import os
import stat
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
    """Write one parsed file in the caller's transaction, after the channel's previous file."""
    loaded_at = now_local()
    _take_turn(conn, spec.name)
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


def _quarantine(engine: Engine, spec: ChannelSpec, path: Path, size: int, sha: str, reason: str):
    now = now_local()
    with engine.begin() as conn:
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
    """Load one dropped file and move it out of ``incoming/``, parsing it as it is written.

    Never raises for the file's content: a file that cannot be loaded is quarantined
    with its reason. A file another sweep took meanwhile is skipped.
    """
    spec = channel_spec(channel)
    try:
        limits = get_config().intake
        try:
            data = read_file(path, limits)
        except FileError as exc:
            return quarantine_file(engine, spec, path, 0, "", str(exc), landing_root)
        sha = hashlib.sha256(data).hexdigest()

        def parsed() -> ParsedFile:
            return parse_file(spec, path, data, sha, day, limits, CHUNK)

        return store_file(engine, spec, path, landing_root, day, len(data), sha, parsed)
    except FileNotFoundError:
        return skipped(channel, path, "another sweep took it")


def store_file(
    engine: Engine,
    spec: ChannelSpec,
    path: Path,
    landing_root: Path,
    day: dt.date,
    size: int,
    sha: str,
    parsed: Callable[[], ParsedFile],
) -> FileResult:
    """Write a read file (``parsed()`` gives its rows, or raises what reading them raised)
    in one transaction and archive it; quarantine it for anything that is its fault.

    FileNotFoundError: another sweep took the file.
    """
    channel = spec.name
    with engine.connect() as conn:  # one connection for the look-up and the load
        seen = conn.execute(
            sa.select(intake_file.c.status).where(
                intake_file.c.channel == channel, intake_file.c.sha256 == sha
            )
        ).scalar_one_or_none()
        conn.rollback()
        if seen == "loaded":
            moved = landing.archive(path, landing_root, channel, day)
            log.info(
                "%s/%s: identical to a file already loaded; archived, nothing loaded",
                channel,
                path.name,
            )
            return FileResult(channel, path.name, "duplicate", moved_to=str(moved))
        if seen == "quarantined":
            reason = "identical to a file quarantined before"
            moved = landing.quarantine(path, landing_root, channel, reason)
            return FileResult(channel, path.name, "quarantined", moved_to=str(moved), reason=reason)
        try:
            rows = parsed()
            with conn.begin(), config_in_force(), collector_paused():
                result = _load(conn, spec, path, rows)
        except FileError as exc:
            conn.close()
            return quarantine_file(engine, spec, path, size, sha, str(exc), landing_root)
        except sa_exc.IntegrityError as exc:
            conn.close()
            if _taken_by_another(exc):
                return skipped(channel, path, "another sweep loaded it first")
            return quarantine_file(engine, spec, path, size, sha, _failure(exc), landing_root)
        except Exception as exc:  # one file must never stop the others
            if _not_the_files_fault(exc):
                raise
            conn.close()
            trace = "".join(traceback.format_exception(exc, limit=-8))
            log.warning("%s/%s could not be loaded:\n%s", channel, path.name, mask_text(trace))
            return quarantine_file(engine, spec, path, size, sha, _failure(exc), landing_root)
    try:
        moved: Path | None = landing.archive(path, landing_root, channel, day)
    except FileNotFoundError:  # loaded here; another sweep archived it as identical
        moved = None
    result.moved_to = str(moved) if moved is not None else None
    log.info(
        "%s/%s: %d loaded, %d already loaded before, %d rejected %s",
        channel,
        path.name,
        result.items,
        result.known,
        result.rejects,
        result.reject_reasons or "",
    )
    return result


def _failure(exc: BaseException) -> str:
    """A reason for an unexpected error: its kind and first line, masked and short."""
    first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
    return f"the file could not be loaded ({type(exc).__name__}: {first[:300]})"


def skipped(channel: str, path: Path, why: str) -> FileResult:
    log.info("%s/%s skipped: %s", channel, path.name, why)
    return FileResult(channel, path.name, "skipped", reason=why)


def quarantine_file(
    engine: Engine,
    spec: ChannelSpec,
    path: Path,
    size: int,
    sha: str,
    reason: str,
    landing_root: Path,
) -> FileResult:
    """Record the file as quarantined (its hash, so an identical re-drop follows it) and
    move it, with the reason, masked: a reason never carries a full ID or phone."""
    reason = mask_text(reason)
    # (IntegrityError: the same bytes were quarantined or loaded by a concurrent sweep)
    with contextlib.suppress(sa_exc.IntegrityError):
        _quarantine(engine, spec, path, size, sha or _no_hash(path), f"{path.name}: {reason}")
    moved = landing.quarantine(path, landing_root, spec.name, f"{path.name}: {reason}")
    log.warning("%s/%s quarantined: %s", spec.name, path.name, reason)
    return FileResult(spec.name, path.name, "quarantined", moved_to=str(moved), reason=reason)


def _no_hash(path: Path) -> str:
    """A unique stand-in hash for a file that was not read (a link, an oversized file)."""
    return hashlib.sha256(f"unread:{path}:{now_local().isoformat()}".encode()).hexdigest()
