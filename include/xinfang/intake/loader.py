"""Load one channel file into the ledger database in a single transaction.

A file is all or nothing: its ``intake_file`` row, items, progress rows and
row rejects commit together, and only then does the file leave ``incoming/``.
A crash before the commit leaves nothing behind and the file where it was; a
crash after it leaves the file's hash in ``intake_file``, so the rerun only
moves the file to the archive. A byte-identical re-drop is found by hash.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from xinfang.bulk import insert_rows
from xinfang.intake import landing, readers
from xinfang.intake.base import ChannelSpec, FileError, RowError
from xinfang.intake.channels import spec as channel_spec
from xinfang.intake.items import config_in_force
from xinfang.schema import case_progress, intake_file, intake_item, intake_reject, ledger_case
from xinfang.timeutil import now_local

log = logging.getLogger(__name__)

CHUNK = 2000
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@dataclass
class FileResult:
    channel: str
    source_file: str
    outcome: str  # loaded / duplicate / quarantined
    items: int = 0
    rejects: int = 0
    moved_to: str | None = None
    reason: str | None = None
    reject_reasons: dict[str, int] = field(default_factory=dict)


def file_format(path: Path, spec: ChannelSpec) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None or fmt not in spec.formats:
        accepted = ", ".join(f.upper() for f in spec.formats)
        raise FileError(
            f"the {spec.name} channel takes {accepted} files; {path.name!r} is not one of them"
        )
    return fmt


def open_rows(path: Path, data: bytes, fmt: str) -> tuple[list[str], Iterator, str | None]:
    if fmt == "xlsx":
        header, rows = readers.read_xlsx(path)
        return header, rows, None
    from xinfang.intake.encoding import decode

    text, encoding = decode(data)
    if fmt == "jsonl":
        header, rows = readers.read_jsonl(text)
    else:
        header, rows = readers.read_csv(text)
    return header, rows, encoding


def map_header(header: list[str], spec: ChannelSpec) -> dict[str, str]:
    """Folded header text -> field name; FileError naming any missing required column."""
    wanted = {readers.fold_header(h): f for h, f in spec.columns.items()}
    mapping = {h: wanted[h] for h in header if h in wanted}
    missing = [
        h for h, f in spec.columns.items() if f in spec.required and f not in mapping.values()
    ]
    if missing:
        got = "、".join(h for h in header if h) or "nothing"
        raise FileError(
            f"missing required column(s) {'、'.join(missing)}; the header row has {got}. "
            "Fix the header row (first row) and drop the file again"
        )
    return mapping


def _chunks(iterable: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(iterable, size)):
        yield chunk


def _parse_rows(
    spec, mapping, rows
) -> Iterator[tuple[int, str, dict[str, Any] | None, str | None]]:
    """(row number, raw json, parsed values or None, reject reason or None) per data row.

    Blank rows at the end of a sheet are formatting, not data; a blank row with
    data after it is an empty record and is rejected.
    """
    pending_blank: list[tuple[int, str]] = []
    for row_no, raw in rows:
        raw_json = readers.to_json(raw)
        if readers.is_blank(raw):
            pending_blank.append((row_no, raw_json))
            continue
        for blank_no, blank_json in pending_blank:
            yield blank_no, blank_json, None, "empty row: no values"
        pending_blank.clear()
        if "__error__" in raw:
            yield row_no, raw_json, None, raw["__error__"]
            continue
        fields = {mapping[k]: v for k, v in raw.items() if k in mapping}
        try:
            yield row_no, raw_json, spec.parse_row(fields), None
        except RowError as exc:
            yield row_no, raw_json, None, str(exc)


def _resolve_ledger_nos(conn: Connection, values: list[dict]) -> dict[str, int]:
    nos = sorted({v["ledger_no"] for v in values})
    if not nos:
        return {}
    rows = conn.execute(
        sa.select(ledger_case.c.ledger_no, ledger_case.c.case_id).where(
            ledger_case.c.ledger_no.in_(nos)
        )
    )
    return dict(rows.all())


def _record_file(
    conn: Connection,
    spec: ChannelSpec,
    path: Path,
    data: bytes,
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
            "size_bytes": len(data),
            "encoding": encoding,
            "status": status,
            "item_count": 0,
            "reject_count": 0,
            "loaded_at": at,
        },
    ).scalar_one()


def _load(conn: Connection, spec: ChannelSpec, path: Path, data: bytes, sha: str) -> FileResult:
    fmt = file_format(path, spec)
    header, rows, encoding = open_rows(path, data, fmt)
    mapping = map_header(header, spec)
    loaded_at = now_local()
    file_id = _record_file(conn, spec, path, data, sha, "loaded", loaded_at, encoding or fmt)
    result = FileResult(spec.name, path.name, "loaded")
    base = {"file_id": file_id, "source_file": path.name}
    item_base = {**base, "loaded_at": loaded_at} if spec.target == "item" else base
    for chunk in _chunks(_parse_rows(spec, mapping, rows), CHUNK):
        good: list[dict[str, Any]] = []
        bad: list[dict[str, Any]] = []
        for row_no, raw_json, values, reason in chunk:
            if values is not None:
                values.update(item_base)
                values["source_row"] = row_no
                values["raw"] = raw_json
                good.append(values)
            else:
                bad.append({"source_row": row_no, "reason": reason, "raw": raw_json})
        if spec.target == "progress" and good:
            cases = _resolve_ledger_nos(conn, good)
            kept = []
            for v in good:
                case_id = cases.get(v["ledger_no"])
                if case_id is None:
                    bad.append(
                        {
                            "source_row": v["source_row"],
                            "reason": f"台账编号 {v['ledger_no']} is not in the ledger",
                            "raw": v["raw"],
                        }
                    )
                    continue
                row = {k: val for k, val in v.items() if k in case_progress.c and k != "raw"}
                kept.append({**row, "case_id": case_id, "loaded_at": loaded_at})
            insert_rows(conn, case_progress, kept)
            result.items += len(kept)
        elif good:
            insert_rows(conn, intake_item, good)
            result.items += len(good)
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
        .values(item_count=result.items, reject_count=result.rejects)
    )
    return result


def _quarantine(engine: Engine, spec: ChannelSpec, path: Path, data: bytes, sha: str, reason: str):
    now = now_local()
    with engine.begin() as conn:
        file_id = _record_file(conn, spec, path, data, sha, "quarantined", now)
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
def _collector_paused() -> Iterator[None]:
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


def load_file(
    engine: Engine, channel: str, path: Path, landing_root: Path, day: dt.date
) -> FileResult:
    """Load one dropped file and move it out of ``incoming/``."""
    spec = channel_spec(channel)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    with engine.connect() as conn:
        seen = conn.execute(
            sa.select(intake_file.c.status).where(
                intake_file.c.channel == channel, intake_file.c.sha256 == sha
            )
        ).scalar_one_or_none()
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
        with engine.begin() as conn, config_in_force(), _collector_paused():
            result = _load(conn, spec, path, data, sha)
    except FileError as exc:
        reason = f"{path.name}: {exc}"
        _quarantine(engine, spec, path, data, sha, reason)
        moved = landing.quarantine(path, landing_root, channel, reason)
        log.warning("%s/%s quarantined: %s", channel, path.name, exc)
        return FileResult(channel, path.name, "quarantined", moved_to=str(moved), reason=str(exc))
    moved = landing.archive(path, landing_root, channel, day)
    result.moved_to = str(moved)
    log.info(
        "%s/%s: %d loaded, %d rejected %s",
        channel,
        path.name,
        result.items,
        result.rejects,
        result.reject_reasons or "",
    )
    return result
