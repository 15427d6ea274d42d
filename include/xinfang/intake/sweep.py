"""Sweep the drop folders: every waiting file of the given channels, oldest first.

A channel's files are parsed by ``intake.workers`` processes side by side and written
by the sweep itself in order (``xinfang.intake.pool``); with one worker, or little to
load (``pool.worth_it``), the sweep reads and writes them itself, one after another.
Either way small files are committed several to a transaction
(``loader.ChannelWriter``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import Engine

from xinfang import db, settings
from xinfang.config import get_config
from xinfang.intake import landing, pool
from xinfang.intake.channels import ALL_CHANNELS, PETITION_CHANNELS
from xinfang.intake.channels import spec as channel_spec
from xinfang.intake.loader import ChannelWriter, FileResult
from xinfang.timeutil import today_local

log = logging.getLogger(__name__)


def sweep_channel(
    channel: str,
    engine: Engine | None = None,
    landing_root: Path | None = None,
    day: dt.date | None = None,
) -> list[FileResult]:
    """Load every file waiting in ``<landing>/<channel>/incoming``; returns one result per file."""
    engine = engine or db.get_engine()
    landing_root = landing_root or settings.landing_dir()
    day = day or today_local()
    landing.ensure_folders(landing_root, (channel,))
    waiting = landing.scan_incoming(landing_root, channel)
    results = [
        _quarantine_stray(engine, channel, p, kind, landing_root) for p, kind in waiting.strays
    ]
    files, changing = landing.settled(waiting.files, get_config().intake.settle_seconds)
    for path in changing:
        log.info(
            "%s/%s is still changing (being copied?): left for the next sweep", channel, path.name
        )
    workers = pool.worker_count(get_config().intake)
    use_pool = pool.worth_it(files, workers)
    log.info(
        "%s: %d file(s) to load in %s%s",
        channel,
        len(files),
        landing_root / channel,
        f" ({workers} processes parsing)" if use_pool else "",
    )
    progress = _Progress(channel, len(files))
    if use_pool:
        results += pool.sweep_files(engine, channel, files, landing_root, day, workers, progress)
    else:

        def done(result: FileResult) -> None:
            progress(result)
            results.append(result)

        with ChannelWriter(engine, channel_spec(channel), landing_root, day, done) as writer:
            for path in files:
                writer.load(path)
    return results


class _Progress:
    """One task-log line per file written: files done of all, rows, and the pace so far."""

    def __init__(self, channel: str, total: int) -> None:
        self.channel, self.total = channel, total
        self.done = self.items = self.rows = 0
        self.started = time.perf_counter()

    def __call__(self, result: FileResult) -> None:
        self.done += 1
        self.items += result.items
        self.rows += result.items + result.known + result.rejects
        seconds = max(time.perf_counter() - self.started, 1e-9)
        log.info(
            "%s: file %d/%d %s %s; %s items loaded in %.1f s = %s rows/s",
            self.channel,
            self.done,
            self.total,
            result.source_file,
            result.outcome,
            f"{self.items:,}",
            seconds,
            f"{self.rows / seconds:,.0f}",
        )


def _quarantine_stray(
    engine: Engine, channel: str, path: Path, kind: str, landing_root: Path
) -> FileResult:
    """Move what is not a regular file (a link, a folder) to quarantine, unread."""
    reason = (
        f"{kind}, not a file: only regular files are read from incoming/ (links are never followed)"
    )
    try:
        moved = landing.quarantine(path, landing_root, channel, f"{path.name}: {reason}")
    except FileNotFoundError:
        return FileResult(channel, path.name, "skipped", reason="another sweep took it")
    log.warning("%s/%s quarantined: %s", channel, path.name, reason)
    return FileResult(channel, path.name, "quarantined", moved_to=str(moved), reason=reason)


def summarize(results: list[FileResult]) -> dict:
    outcomes = Counter(r.outcome for r in results)
    return {
        "files": len(results),
        "loaded": outcomes["loaded"],
        "duplicates": outcomes["duplicate"],
        "quarantined": outcomes["quarantined"],
        "skipped": outcomes["skipped"],
        "items": sum(r.items for r in results),
        "already_loaded": sum(r.known for r in results),
        "rejects": sum(r.rejects for r in results),
    }


def run_sweep(
    engine: Engine | None = None,
    landing_root: Path | None = None,
    day: dt.date | None = None,
    channels: tuple[str, ...] = PETITION_CHANNELS,
) -> dict:
    """Load the petition channels (no dedup, no progress): what one intake task does."""
    results: list[FileResult] = []
    for channel in channels:
        if channel not in ALL_CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        results.extend(sweep_channel(channel, engine, landing_root, day))
    return summarize(results)
