"""Compare two replays' ledgers and reports: the same tables, the same files.

``python -m xinfang_dev.ledger_compare <data-dir-a> <data-dir-b>`` dumps every ledger
table of each ``<data-dir>/ledger.sqlite`` ordered by all its columns, and each report
under ``<data-dir>/reports`` (CSV as bytes, XLSX as cell values), and prints what
differs; exit status 1 when anything does. Used to show that a faster replay leaves
exactly what the slower one did (issue 18).

Two replays of the same seed differ where the run's wall clock or the order of
independent tasks shows, so those are normalised first:
- columns holding the wall-clock time the row was written (a file loaded, a KPI
  computed, a decision taken) and report columns headed 更新时间 are left out;
- intake items and files are numbered as they load, and ``dag.test`` runs the five
  ``load_channel`` tasks in no fixed order: an item id is compared as its
  (channel, file, row), a file id as its (channel, sha256);
- what is numbered in item order is left out: the sweep's change signatures
  (``case_sweep.sweep_sig``, ``sweep_watermark.facts`` sum item ids), ``risk_flag.flag_id``
  and the screened item range (``risk_screened``);
- PNG charts are left out (their bytes carry the renderer's metadata).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import sqlalchemy as sa

WALL_CLOCK_COLUMNS = frozenset(
    {
        "loaded_at",
        "rejected_at",
        "updated_at",
        "computed_at",
        "decided_at",
        "created_at",
        "recorded_at",
        "screened_at",
        "sent_at",
    }
)


IN_ITEM_ORDER = frozenset({"sweep_sig", "facts", "flag_id"})
IN_ITEM_ORDER_TABLES = frozenset({"risk_screened"})
WALL_CLOCK_HEADERS = frozenset({"更新时间"})


def _natural_keys(conn: sa.Connection) -> dict[str, dict]:
    """Item and file ids -> what names them whatever order they were loaded in."""
    items = conn.execute(
        sa.text("SELECT item_id, channel, source_file, source_row FROM intake_item")
    )
    files = conn.execute(sa.text("SELECT file_id, channel, sha256 FROM intake_file"))
    return {
        "item": {item_id: tuple(key) for item_id, *key in items},
        "file": {file_id: tuple(key) for file_id, *key in files},
    }


def _kind(column: str) -> str | None:
    if column.endswith("item_id"):
        return "item"
    return "file" if column == "file_id" else None


def dump_tables(ledger: Path) -> dict[str, list[tuple]]:
    """Every table of the ledger file, ids named naturally, rows in sorted order."""
    engine = sa.create_engine(f"sqlite:///{ledger}")
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        out: dict[str, list[tuple]] = {}
        with engine.connect() as conn:
            keys = _natural_keys(conn)
            for name, table in sorted(meta.tables.items()):
                if name in IN_ITEM_ORDER_TABLES:
                    continue
                skipped = WALL_CLOCK_COLUMNS | IN_ITEM_ORDER
                columns = [c.name for c in table.columns if c.name not in skipped]
                kinds = [_kind(c) for c in columns]
                rows = conn.execute(sa.select(*(table.c[c] for c in columns)))
                named = [
                    tuple(
                        keys[kind].get(value, value) if kind else value
                        for kind, value in zip(kinds, row, strict=True)
                    )
                    for row in rows
                ]
                out[name] = sorted(named, key=repr)
        return out
    finally:
        engine.dispose()


def _xlsx_cells(path: Path) -> list[list]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python()
        kept = [i for i, h in enumerate(rows[0] if rows else []) if h not in WALL_CLOCK_HEADERS]
        sheets.append([name, [[row[i] for i in kept] for row in rows]])
    return sheets


def dump_reports(reports: Path) -> dict[str, str]:
    """Each report file by its path under ``reports``: CSV bytes' digest, XLSX cell values."""
    out: dict[str, str] = {}
    for path in sorted(p for p in reports.rglob("*") if p.is_file()):
        name = str(path.relative_to(reports))
        if path.suffix == ".xlsx":
            out[name] = repr(_xlsx_cells(path))
        elif path.suffix != ".png":
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def differences(a: Path, b: Path) -> list[str]:
    """What differs between the replays in data folders ``a`` and ``b`` (empty: the same)."""
    found: list[str] = []
    tables_a, tables_b = dump_tables(a / "ledger.sqlite"), dump_tables(b / "ledger.sqlite")
    for name in sorted(set(tables_a) | set(tables_b)):
        rows_a, rows_b = tables_a.get(name), tables_b.get(name)
        if rows_a != rows_b:
            only_a = len(set(rows_a or []) - set(rows_b or []))
            only_b = len(set(rows_b or []) - set(rows_a or []))
            found.append(
                f"table {name}: {len(rows_a or [])} vs {len(rows_b or [])} rows,"
                f" {only_a} only in the first, {only_b} only in the second"
            )
    reports_a, reports_b = dump_reports(a / "reports"), dump_reports(b / "reports")
    for name in sorted(set(reports_a) | set(reports_b)):
        if reports_a.get(name) != reports_b.get(name):
            found.append(f"report {name}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xinfang_dev.ledger_compare")
    parser.add_argument("a", type=Path, help="a replay's data folder (ledger.sqlite, reports/)")
    parser.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    found = differences(args.a, args.b)
    tables = dump_tables(args.a / "ledger.sqlite")
    reports = dump_reports(args.a / "reports")
    print(
        f"compared {len(tables)} tables ({sum(map(len, tables.values())):,} rows)"
        f" and {len(reports)} report files"
    )
    print("\n".join(found) if found else "identical")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
