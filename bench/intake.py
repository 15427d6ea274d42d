"""Intake throughput: parse + normalize + load N generated items into PostgreSQL.

    python bench/intake.py --items 1000000 --workers 2
    python bench/intake.py --items 1000000 --workers 2 --via sweep

Generates channel files with the project's generator (not timed), then times the
loader over them with ``--workers`` processes. ``--via files`` (the default): each
process loads whole files (``loader.load_file``), as the ``intake_sweep`` DAG's mapped
tasks share files between workers. ``--via sweep``: the channels one after another through
``sweep_channel`` with ``intake.workers`` = ``--workers`` (the pool parses, the sweep
writes in order), as ``airflow dags test`` runs the ``load_channel`` tasks. Prints
items/s, CPU per item, peak RSS and the machine. Target (issue 2): >= 20,000 items/s at
1M items on 2 cores, peak RSS < 2 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine, peak_rss_mib
from _pg import throwaway_database

from xinfang import db

FILE_ROWS = 50_000
FORMAT = {"letter": "csv", "visit": "csv", "hotline": "csv", "online": "jsonl", "referral": "xlsx"}


def generate(landing: Path, n: int, seed: int) -> int:
    from xinfang_dev.synth.campaign import iter_items
    from xinfang_dev.synth.files import write_channel_file

    buffers: dict[str, list[dict]] = {c: [] for c in FORMAT}
    parts = dict.fromkeys(FORMAT, 0)

    def flush(channel: str) -> None:
        items = buffers[channel]
        if not items:
            return
        parts[channel] += 1
        fmt = FORMAT[channel]
        path = landing / channel / "incoming" / f"{channel}_{parts[channel]:04d}.{fmt}"
        write_channel_file(items, channel, path, fmt, "utf-8", messy_headers=False)
        buffers[channel] = []

    count = 0
    for item in iter_items(seed, n):
        buffers[item["channel"]].append(item)
        count += 1
        if len(buffers[item["channel"]]) >= FILE_ROWS:
            flush(item["channel"])
    for channel in FORMAT:
        flush(channel)
    return count


def _fresh_pool() -> None:
    """Forked workers must not share the parent's database connections.

    A worker then uses one connection at a time, so its pool holds a single
    connection: the backend whose CPU is read before and after a file loaded it.
    """
    db.get_engine().dispose(close=False)


def _backend_cpu(conn: sa.Connection) -> float:
    """CPU seconds (user + system) of this connection's PostgreSQL backend, from /proc.

    COPY's parsing, index and WAL work runs there, on the same two cores; 0 when the
    server is not local.
    """
    return _pid_cpu(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def _load(args: tuple[str, str, str]) -> tuple[int, int, float, float, float]:
    """(items, rejects, peak RSS MiB, worker CPU s, backend CPU s) of one file."""
    channel, path, landing = args
    from xinfang.intake.loader import load_file

    engine = db.get_engine()
    with engine.connect() as conn:  # the pool's one connection: the loader reuses it
        backend_before = _backend_cpu(conn)
    cpu_before = time.process_time()
    result = load_file(engine, channel, Path(path), Path(landing), dt.date(2023, 7, 31))
    cpu = time.process_time() - cpu_before
    with engine.connect() as conn:
        backend = _backend_cpu(conn) - backend_before
    return result.items, result.rejects, peak_rss_mib(), cpu, backend


def _sweep_all(landing: Path, workers: int) -> list[tuple[int, int, float, float, float]]:
    """Every channel through ``sweep_channel`` in this process (the pool's workers parse)."""
    from xinfang.config import IntakeLimits
    from xinfang.intake.sweep import summarize, sweep_channel

    config = landing / "bench.yaml"
    pooled = "workers" in IntakeLimits.__dataclass_fields__  # (the code before had no pool)
    setting = f"  workers: {workers}\n" if pooled else ""
    config.write_text(f"intake:\n  settle_seconds: 0\n{setting}", encoding="utf-8")
    os.environ["XINFANG_CONFIG"] = str(config)
    engine = db.get_engine()
    engine.dispose()  # the timed sweeps' own connections: their backends' CPU is theirs
    cpu_before = time.process_time()
    results = []
    for channel in FORMAT:
        summary = summarize(sweep_channel(channel, engine, landing, dt.date(2023, 7, 31)))
        results.append((summary["items"], summary["rejects"]))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu_before + children.ru_utime + children.ru_stime
    with engine.connect() as conn:
        pids = conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        backend = sum(_pid_cpu(pid) for pid in pids)
    rss = max(peak_rss_mib(), peak_rss_mib(children=True))
    return [(items, rejects, rss, 0.0, 0.0) for items, rejects in results] + [
        (0, 0, rss, cpu, backend)
    ]


def _pid_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(args: argparse.Namespace) -> tuple[list, float, float, float]:
    """Generate the files (not timed), then load them with the worker pool (timed)."""
    with tempfile.TemporaryDirectory(prefix="xinfang-bench-") as tmp:
        landing = Path(tmp)
        t0 = time.perf_counter()
        n = generate(landing, args.items, args.seed)
        gen_s = time.perf_counter() - t0
        files = sorted(landing.glob("*/incoming/*"), key=lambda p: -p.stat().st_size)
        print(f"generated {n:,} items in {len(files)} files in {gen_s:.1f} s (not timed)")

        work = [(p.parent.parent.name, str(p), str(landing)) for p in files]
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        if args.via == "sweep":
            results = _sweep_all(landing, args.workers)
        else:
            with ProcessPoolExecutor(max_workers=args.workers, initializer=_fresh_pool) as pool:
                results = list(pool.map(_load, work))
        elapsed = time.perf_counter() - t0
        return results, elapsed, load_before, os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--via", choices=["files", "sweep"], default="files")
    args = parser.parse_args()

    with throwaway_database("xinfang_bench_intake") as url:
        # the workers find the ledger as the DAG tasks do
        os.environ["AIRFLOW_CONN_XINFANG_LEDGER"] = url.replace("postgresql+psycopg2", "postgresql")
        db.upgrade(db.get_engine())
        results, elapsed, load_before, load_after = _run(args)
        with db.get_engine().connect() as conn:
            in_db = conn.execute(sa.text("SELECT count(*) FROM intake_item")).scalar_one()
        db.get_engine().dispose()
    items = sum(r[0] for r in results)
    rejects = sum(r[1] for r in results)
    worker_rss = max(r[2] for r in results)
    print(f"machine: {machine()}")
    print(
        f"intake: {items:,} items loaded ({rejects:,} rejected, {in_db:,} in intake_item) "
        f"in {elapsed:.1f} s with {args.workers} workers via {args.via} = "
        f"{items / elapsed:,.0f} items/s"
    )
    print(f"peak RSS: worker {worker_rss:,.0f} MiB, parent {peak_rss_mib():,.0f} MiB")
    worker_cpu = sum(r[3] for r in results)
    backend_cpu = sum(r[4] for r in results)
    per_item = 1e6 / max(items + rejects, 1)
    print(
        f"CPU per item: workers {worker_cpu * per_item:.1f} µs (parse, normalize, COPY text), "
        f"PostgreSQL backends {backend_cpu * per_item:.1f} µs (COPY, indexes, WAL); "
        f"{(worker_cpu + backend_cpu) * per_item:.1f} µs in all = "
        f"{(os.cpu_count() or 1) * 1e6 / max((worker_cpu + backend_cpu) * per_item, 1e-9):,.0f} "
        f"items/s on {os.cpu_count()} idle cores"
    )
    print(
        f"load average (1 min): {load_before:.1f} at the start, {load_after:.1f} at the end "
        f"(the machine is shared; wall-clock items/s fall with the other load)"
    )


if __name__ == "__main__":
    main()
