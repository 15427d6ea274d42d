"""A channel's files parsed in worker processes while this process writes them, in order.

Parsing (decoding, normalizing, the row checks) is most of intake's CPU and needs no
database; writing must follow the channel's previous file (a corrected file after the
one it corrects, row keys looked up after the previous commit). So the sweep hands the
files (a large one in parts) to ``intake.workers`` processes and writes each result in
the order the files were found, through the same ``loader.ChannelWriter`` as the serial
path (small files several to a transaction, each in a savepoint): the same rows, keys,
rejects and quarantines.

Workers never touch the database: they are forked, use none of the parent's
connections, and return rows; only this process writes. A worker that dies (a file
that crashes the reader, the out-of-memory killer) breaks the pool: the files then in
flight are parsed again one at a time in a fresh worker, a file that kills its worker on
its own is quarantined, and the others load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import pickle
import signal
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from xinfang.config import IntakeLimits, get_config
from xinfang.intake import loader
from xinfang.intake.base import FileError
from xinfang.intake.channels import spec as channel_spec
from xinfang.intake.items import config_in_force
from xinfang.intake.loader import FileResult
from xinfang.intake.parse import ParsedFile, parse_file
from xinfang.normalize import warm_up

log = logging.getLogger(__name__)

PART_BYTES = 8 * 1024 * 1024
"""A file larger than this is split into parts (up to one per worker) parsed side by side."""
POOL_MIN_BYTES = 2 * 1024 * 1024
"""Less waiting than this (~3,000 rows, a few tenths of a second to parse) is loaded by the
sweep itself: forking the workers and pickling their rows back would cost about what they
save (a day of the July replay has a few hundred items a channel)."""
CRASHES_IN_A_ROW = 3
"""Files in a row that each kill their worker on their own: then it is not the files."""


def worker_count(limits: IntakeLimits) -> int:
    """``intake.workers``, or one per core the process may run on when it is 0."""
    if limits.workers > 0:
        return limits.workers
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def worth_it(paths: list[Path], workers: int) -> bool:
    """Whether a pool can do better than one process: enough bytes waiting, in two files
    or more, or one file large enough to be split into parts."""
    if workers < 2:
        return False
    sizes = [_size(p) for p in paths]
    if any(size > PART_BYTES for size in sizes):
        return True
    return len(paths) > 1 and sum(sizes) >= POOL_MIN_BYTES


@dataclass(frozen=True)
class _Task:
    channel: str
    path: Path
    day: dt.date
    chunk_rows: int
    part: int
    parts: int


@dataclass
class _Unread:
    """The file could not be read: ``reason`` (quarantine), or None when it is gone."""

    reason: str | None


@dataclass
class _Failed:
    """Parsing raised ``error`` (re-raised where the file is written, which judges it)."""

    size: int
    sha256: str
    error: BaseException


_Outcome = ParsedFile | _Unread | _Failed


def _parse_part(task: _Task) -> _Outcome:
    """In a worker: one part of one file, read and parsed, every chunk materialized."""
    spec = channel_spec(task.channel)
    limits = get_config().intake
    try:
        data = loader.read_file(task.path, limits)
    except FileNotFoundError:
        return _Unread(None)
    except FileError as exc:
        return _Unread(str(exc))
    sha = hashlib.sha256(data).hexdigest()
    try:
        with config_in_force(), loader.collector_paused():
            parsed = parse_file(
                spec, task.path, data, sha, task.day, limits, task.chunk_rows, task.part, task.parts
            )
            parsed.chunks = list(parsed.chunks)
        return parsed
    except Exception as exc:  # judged by the writer, as if it had parsed the file itself
        return _Failed(len(data), sha, _portable(exc))


def _portable(exc: Exception) -> BaseException:
    """``exc`` with the worker's traceback as a note, or a RuntimeError naming it when it
    cannot cross the process boundary."""
    exc.add_note("in the worker process:\n" + "".join(traceback.format_exception(exc, limit=-8)))
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _worker_started() -> None:
    """A worker answers only to its pool: Ctrl-C and the task's termination handling are
    the parent's, and it logs nothing (the parent's log handlers write to the task log's
    stream, which two processes must not share; everything a worker finds is returned)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    logging.disable(logging.CRITICAL)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_started,
    )


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except OSError:
        return 0


def _tasks(channel: str, path: Path, day: dt.date, workers: int) -> list[_Task]:
    parts = max(1, min(workers, _size(path) // PART_BYTES))
    return [_Task(channel, path, day, loader.CHUNK, part, parts) for part in range(parts)]


class _Sweep:
    """One channel's files through one pool, written in order."""

    def __init__(self, writer: loader.ChannelWriter):
        self.writer = writer
        self.channel, self.day = writer.spec.name, writer.day

    def store(self, path: Path, outcomes: list[_Outcome]) -> None:
        """Write one file from its parts' outcomes, as ``ChannelWriter.load`` would."""
        for outcome in outcomes:
            if isinstance(outcome, _Unread):
                if outcome.reason is None:
                    return self.writer.skip(path, "another sweep took it")
                return self.writer.quarantine(path, 0, "", outcome.reason)
        first = outcomes[0]
        self.writer.store(path, first.size, first.sha256, lambda: _joined(outcomes))

    def alone(self, path: Path) -> list[int] | None:
        """A file parsed in a worker of its own, and written; the worker's exit codes
        when the file killed that worker too."""
        outcomes: list[_Outcome] | None = None
        with _pool_of(1) as pool:
            futures = [pool.submit(_parse_part, t) for t in _tasks(self.channel, path, self.day, 1)]
            processes = list(getattr(pool, "_processes", {}).values())
            with suppress(BrokenProcessPool):  # the file killed this worker too
                outcomes = [f.result() for f in futures]
        if outcomes is None:
            # read once the pool is shut down: its manager thread has joined the worker
            # (a second waiter racing it for the exit status may get none)
            return [p.exitcode for p in processes if p.exitcode is not None]
        self.store(path, outcomes)
        return None

    def crashed(self, path: Path, exit_codes: list[int]) -> None:
        reason = (
            f"the process reading the file stopped ({_exit_text(exit_codes)}), also when it "
            "read the file on its own: the file may be damaged or hostile"
        )
        self.writer.quarantine(path, _size(path), "", reason)


def _exit_text(codes: list[int]) -> str:
    if not codes:
        return "it died"
    code = codes[0]
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _joined(outcomes: list[_Outcome]) -> ParsedFile:
    """The file's parts put back together (chunk numbers in order), or the first part's
    error raised."""
    for outcome in outcomes:
        if isinstance(outcome, _Failed):
            raise outcome.error
    parsed = [o for o in outcomes if isinstance(o, ParsedFile)]
    if len(parsed) == 1:
        return parsed[0]
    chunks = sorted((c for p in parsed for c in p.chunks), key=lambda c: c.number)
    return ParsedFile(parsed[0].size, parsed[0].sha256, parsed[0].encoding, chunks)


def sweep_files(
    engine: Engine,
    channel: str,
    paths: list[Path],
    landing_root: Path,
    day: dt.date,
    workers: int,
    done: Callable[[FileResult], None] = lambda result: None,
) -> list[FileResult]:
    """Load ``paths`` (oldest first) with ``workers`` parsing processes; ``done`` is called
    with each file's result once it is committed and moved, in order."""
    warm_up()  # once here, not once in every worker
    results: list[FileResult] = []

    def finished(result: FileResult) -> None:
        results.append(result)
        done(result)

    waiting = deque(paths)
    crashes = 0
    spec = channel_spec(channel)
    with loader.ChannelWriter(engine, spec, landing_root, day, finished) as writer:
        sweep = _Sweep(writer)
        while waiting:
            if not _can_fork(workers):  # a daemonic process, no fork: the serial path
                for path in waiting:
                    writer.load(path)
                break
            with _pool_of(workers) as pool:
                for path, outcomes in _parsed_in_order(pool, sweep, waiting, workers):
                    if outcomes is not None:
                        crashes = 0
                        sweep.store(path, outcomes)
                        continue
                    # a worker died while this file was in flight
                    exit_codes = sweep.alone(path)
                    if exit_codes is None:
                        crashes = 0
                        continue
                    crashes += 1  # it killed its own worker too
                    if crashes >= CRASHES_IN_A_ROW:
                        writer.flush()  # what was written before stays
                        raise RuntimeError(
                            f"{channel}: worker processes died on {crashes} files in a "
                            "row, each read on its own; that is not the files (memory? "
                            "the machine?): the files not loaded stay in incoming/"
                        )
                    sweep.crashed(path, exit_codes)
    return results


def _can_fork(workers: int) -> bool:
    """Whether this process may start workers (a daemonic process may not have children);
    logged when it may not."""
    if multiprocessing.current_process().daemon:
        log.warning("a daemonic process cannot start %d workers: loading in this one", workers)
        return False
    return True


@contextmanager
def _pool_of(workers: int) -> Iterator[ProcessPoolExecutor]:
    pool = _new_pool(workers)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _parsed_in_order(
    pool: ProcessPoolExecutor, sweep: _Sweep, waiting: deque[Path], workers: int
) -> Iterator[tuple[Path, list[_Outcome] | None]]:
    """(file, its parts' outcomes) in order, keeping the workers two tasks ahead each.

    When the pool breaks, every file then in flight comes out with None (to be read
    again on its own) and the iteration ends; ``waiting`` keeps the files not started.
    """
    in_flight: deque[tuple[Path, list[Future]]] = deque()
    ahead = 2 * workers
    while waiting or in_flight:
        while waiting and sum(len(f) for _, f in in_flight) < ahead:
            path = waiting.popleft()
            tasks = _tasks(sweep.channel, path, sweep.day, workers)
            try:
                in_flight.append((path, [pool.submit(_parse_part, t) for t in tasks]))
            except BrokenProcessPool:
                waiting.appendleft(path)
                break
        if not in_flight:
            return
        path, futures = in_flight.popleft()
        try:
            outcomes = [f.result() for f in futures]
        except BrokenProcessPool:
            log.warning(
                "%s: a worker process died while %d file(s) were being read; reading "
                "each of them again on its own",
                sweep.channel,
                1 + len(in_flight),
            )
            yield path, None
            for other, _ in list(in_flight):
                yield other, None
            return
        yield path, outcomes
