"""Channel files exactly as docs/channels.md describes them, and the truth rows that join them.

A truth row records where an item landed: ``source_file`` (the file name as dropped) and
``source_row`` (1-based data row, header excluded; the line number for JSON Lines).
Empty rows written on purpose (bad files) count as rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

COLUMNS: dict[str, tuple[str, ...]] = {
    "letter": ("登记日期", "信访人", "身份证号", "联系电话", "住址", "涉及案号", "反映法院", "信访内容"),
    "visit": ("接待时间", "来访人", "身份证号", "联系电话", "涉及案号", "来访人数", "来访诉求", "接待人"),
    "online": ("ticket_id", "submitted_at", "name", "id_number", "mobile", "case_number", "court", "title", "content"),
    "hotline": ("工单号", "来电时间", "来电人", "来电号码", "涉及案号", "通话摘要"),
    "referral": ("交办文号", "交办单位", "交办日期", "信访人", "身份证号码", "联系方式", "涉及案号", "反映问题", "办结时限"),
    "progress": ("台账编号", "日期", "办理进展", "状态", "处置类别", "责任法院", "承办部门", "承办法官", "包案领导", "重点案件", "听证日期"),
}  # fmt: skip
FORMATS: dict[str, tuple[str, ...]] = {
    "letter": ("csv", "xlsx"),
    "visit": ("csv", "xlsx"),
    "online": ("jsonl",),
    "hotline": ("csv",),
    "referral": ("xlsx",),
    "progress": ("csv", "xlsx"),
}
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16")
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "jsonl": "jsonl"}
# Columns a clerk's spreadsheet adds that the contract does not list (ignored by intake).
EXTRA_COLUMNS = ("序号", "备注")


class TruthRow(NamedTuple):
    channel: str
    source_file: str
    source_row: int
    truth_case: str
    item_key: str


def _stable_rng(path: Path) -> random.Random:
    return random.Random(zlib.crc32(path.name.encode("utf-8")))


def _messy_header(header: str, rng: random.Random) -> str:
    """A header as a spreadsheet carries it: padded with ASCII, ideographic or no-break spaces."""
    pad = rng.choice((" ", "  ", "\u3000", "\u00a0", "\t"))
    return rng.choice((f"{pad}{header}", f"{header}{pad}", f"{pad}{header}{pad}"))


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    return str(value)


def _layout(
    channel: str, rng: random.Random, messy: bool, extra: bool
) -> tuple[list[str], list[str | None]]:
    """(header texts, the item key each column takes; None for an extra column)."""
    keys: list[str | None] = list(COLUMNS[channel])
    if extra and channel != "online":
        keys.insert(0, None)  # 序号
        if rng.random() < 0.5:
            keys.append(None)  # 备注
    headers: list[str] = []
    extras = iter(EXTRA_COLUMNS)
    for k in keys:
        h = next(extras) if k is None else k
        if messy and channel != "online" and rng.random() < 0.3:
            h = _messy_header(h, rng)
        headers.append(h)
    return headers, keys


def write_channel_file(items: Sequence[dict[str, Any]], channel: str, path: Path, fmt: str,
                       encoding: str = "utf-8", *, rng: random.Random | None = None,
                       messy_headers: bool = True, extra_columns: bool = False,
                       excel_dates: float = 0.6) -> list[TruthRow]:  # fmt: skip
    """Write ``items`` of one channel to ``path`` in ``fmt`` ('csv', 'xlsx', 'jsonl').

    CSV: ``encoding`` one of ENCODINGS; 'utf-16' is Excel's "Unicode text" (UTF-16 LE with
    BOM, TAB-separated, CRLF). XLSX: first sheet, header in row 1, date columns as real Excel
    date cells in about ``excel_dates`` of the rows and as typed text in the others.
    Returns the truth rows in file order.
    """
    if fmt not in FORMATS[channel]:
        raise ValueError(f"channel {channel} does not take {fmt} files (docs/channels.md)")
    rng = rng or _stable_rng(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    truth = [
        TruthRow(channel, path.name, n, item.get("truth_case", ""), item.get("item_key", ""))
        for n, item in enumerate(items, 1)
    ]
    if fmt == "jsonl":
        _write_jsonl(items, path, rng)
    elif fmt == "csv":
        _write_csv(items, channel, path, encoding, rng, messy_headers, extra_columns)
    elif fmt == "xlsx":
        _write_xlsx(items, channel, path, rng, messy_headers, extra_columns, excel_dates)
    else:
        raise ValueError(f"unknown format {fmt}")
    return truth


def _rows(items: Iterable[dict[str, Any]], keys: list[str | None]) -> Iterable[list[Any]]:
    if None not in keys:
        for item in items:
            yield [item.get(k) for k in keys]  # type: ignore[arg-type]
        return
    for n, item in enumerate(items, 1):
        yield [
            n if k is None and i == 0 else "" if k is None else item.get(k)
            for i, k in enumerate(keys)
        ]


def csv_bytes(
    rows: Iterable[Sequence[Any]], encoding: str, rng: random.Random | None = None
) -> bytes:
    """Rows (header first) as a CSV file's bytes in ``encoding`` (see write_channel_file)."""
    buf = io.StringIO()
    if encoding == "utf-16":
        writer = csv.writer(buf, delimiter="\t", lineterminator="\r\n")
    else:
        eol = "\r\n" if rng is None or rng.random() < 0.6 else "\n"
        writer = csv.writer(buf, lineterminator=eol)
    for row in rows:
        writer.writerow([_text(v) for v in row])
    text = buf.getvalue()
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(encoding)


def _write_csv(items: Sequence[dict[str, Any]], channel: str, path: Path, encoding: str,
               rng: random.Random, messy: bool, extra: bool) -> None:  # fmt: skip
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported encoding {encoding}")
    headers, keys = _layout(channel, rng, messy, extra)
    if encoding == "gbk":  # no NBSP in GBK: a GBK spreadsheet pads with the ideographic space
        headers = [h.replace("\u00a0", "\u3000") for h in headers]
    data = csv_bytes([headers, *_rows(items, keys)], encoding, rng)
    path.write_bytes(data)


def _write_jsonl(items: Sequence[dict[str, Any]], path: Path, rng: random.Random) -> None:
    ascii_escapes = rng.random() < 0.2  # some exports escape every non-ASCII character
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for item in items:
            record = {k: item.get(k) for k in COLUMNS["online"]}
            fh.write(json.dumps(record, ensure_ascii=ascii_escapes) + "\n")


def _write_xlsx(items: Sequence[dict[str, Any]], channel: str, path: Path, rng: random.Random,
                messy: bool, extra: bool, excel_dates: float) -> None:  # fmt: skip
    headers, keys = _layout(channel, rng, messy, extra)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(rng.choice(("Sheet1", "登记表", "台账", channel)))
    ws.append(headers)
    for n, item in enumerate(items, 1):
        cell_dates: dict[str, Any] = item.get("cell_dates") or {}
        as_cells = rng.random() < excel_dates
        row: list[Any] = []
        for i, k in enumerate(keys):
            if k is None:
                row.append(n if i == 0 else "")
                continue
            value = item.get(k)
            if as_cells and k in cell_dates:
                cell = WriteOnlyCell(ws, value=cell_dates[k])
                cell.number_format = (
                    "yyyy-mm-dd hh:mm" if isinstance(cell_dates[k], dt.datetime) else "yyyy-mm-dd"
                )
                row.append(cell)
            elif isinstance(value, int) and not isinstance(value, bool):
                row.append(value)
            else:
                row.append(_text(value) or None)  # an empty cell, as Excel leaves it
        ws.append(row)
    if rng.random() < 0.2:  # a second sheet the intake must ignore
        notes = wb.create_sheet("说明")
        notes.append(["本表由信访办登记，仅供内部使用"])
    wb.save(path)
    stamps = [i["received_at"] for i in items if isinstance(i.get("received_at"), dt.datetime)]
    _pin_timestamps(path, max(stamps) if stamps else dt.datetime(2023, 7, 1, 18))


_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _pin_timestamps(path: Path, when: dt.datetime) -> None:
    """Same seed, same bytes: fix the workbook's saved-at times (zip entries, core.xml)."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            pinned = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            zout.writestr(pinned, data)


# --------------------------------------------------------------------------- campaign days

_CSV_ENCODING_WEIGHTS = (30, 25, 15, 15, 15)


def choose_format(channel: str, rng: random.Random) -> tuple[str, str]:
    """(format, encoding) a day's file of ``channel`` comes in, varying across days."""
    fmts = FORMATS[channel]
    fmt = fmts[0] if len(fmts) == 1 else rng.choices(fmts, weights=(55, 45))[0]
    encoding = rng.choices(ENCODINGS, weights=_CSV_ENCODING_WEIGHTS)[0] if fmt == "csv" else "utf-8"
    return fmt, encoding


def file_name(channel: str, day: dt.date, fmt: str, part: str = "") -> str:
    """``letter_20230703.csv``; ``part`` tells apart several files of one day."""
    return f"{channel}_{day:%Y%m%d}{part}.{EXTENSIONS[fmt]}"


def _encodable(items: Sequence[dict[str, Any]], channel: str, encoding: str) -> bool:
    try:
        for item in items:
            for k in COLUMNS[channel]:
                _text(item.get(k)).encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def write_items_file(items: Sequence[dict[str, Any]], channel: str, folder: Path, day: dt.date,
                     rng: random.Random, part: str = "",
                     formats: Sequence[str] | None = None) -> list[TruthRow]:  # fmt: skip
    """One file of a channel's items in a format and encoding drawn from ``rng``."""
    fmt, encoding = choose_format(channel, rng)
    if formats and fmt not in formats:
        fmt = next((f for f in FORMATS[channel] if f in formats), fmt)
        encoding = encoding if fmt == "csv" else "utf-8"
    if encoding == "gbk" and not _encodable(items, channel, encoding):
        encoding = "gb18030"  # a GBK export would not hold these characters
    path = folder / file_name(channel, day, fmt, part)
    return write_channel_file(
        items, channel, path, fmt, encoding, rng=rng, extra_columns=rng.random() < 0.25
    )


def write_campaign_day(campaign: Any, day: dt.date, landing: Path, rng: random.Random,
                       progress: Sequence[dict[str, Any]] | None = None) -> list[TruthRow]:  # fmt: skip
    """Drop the files of one day into ``<landing>/<channel>/incoming/``.

    One file per channel with items received that day (by Asia/Shanghai wall time), plus
    ``progress_<day>`` when ``progress`` rows are given (see campaign.progress_rows).
    """
    by_channel: dict[str, list[dict[str, Any]]] = {}
    for item in campaign.items_on(day):
        by_channel.setdefault(item["channel"], []).append(item)
    if progress:
        by_channel["progress"] = list(progress)
    truth: list[TruthRow] = []
    for channel in COLUMNS:
        items = by_channel.get(channel)
        if not items:
            continue
        folder = Path(landing) / channel / "incoming"
        truth += write_items_file(items, channel, folder, day, rng)
    return truth


def write_progress_file(rows: Sequence[dict[str, Any]], day: dt.date, landing: Path,
                        rng: random.Random) -> list[TruthRow]:  # fmt: skip
    """Drop ``progress_<day>`` (CSV or XLSX) with the courts' rows of that day.

    For a replay: write the day's intake files, load them, look up the 台账编号 of the
    truth cases, then drop the progress rows (campaign.progress_rows(..., since=day)).
    """
    if not rows:
        return []
    return write_items_file(rows, "progress", Path(landing) / "progress" / "incoming", day, rng)


def write_campaign(
    campaign: Any, landing: Path, rng: random.Random | None = None
) -> list[TruthRow]:
    """Every day's files at once (no progress rows: they need the ledger's 台账编号)."""
    rng = rng or random.Random(f"files:{campaign.seed}")
    truth: list[TruthRow] = []
    for day in campaign.days():
        truth += write_campaign_day(campaign, day, landing, rng)
    return truth


TRUTH_COLUMNS = ("channel", "source_file", "source_row", "truth_case")


def write_truth(rows: Iterable[TruthRow], path: Path, append: bool = False) -> None:
    """``truth.csv``: channel, source_file, source_row, truth_case (UTF-8)."""
    new = not append or not path.exists()
    with path.open("a" if append else "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(TRUTH_COLUMNS)
        w.writerows((r.channel, r.source_file, r.source_row, r.truth_case) for r in rows)


def read_truth(path: Path) -> dict[tuple[str, str, int], str]:
    """``truth.csv`` back: (channel, source_file, source_row) -> truth case, the join key
    an evaluation uses against ``intake_item``."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return {
            (r["channel"], r["source_file"], int(r["source_row"])): r["truth_case"]
            for r in csv.DictReader(fh)
        }


def write_truth_cases(campaign: Any, path: Path, append: bool = False) -> None:
    """``truth_cases.csv``: one row per truth case with its facts and related cases."""
    new = not append or not path.exists()
    with path.open("a" if append else "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(("truth_case", "person", "person_name", "id_number", "case_number",
                        "court_code", "category", "scenario", "referral", "group",
                        "related", "closed_on"))  # fmt: skip
        for c in campaign.cases.values():
            p = campaign.persons[c.person]
            closed = campaign.closed_on(c.key)
            w.writerow((c.key, p.key, p.name, p.id18, c.case_number or "", c.court_code,
                        c.grievance.category, c.scenario, int(c.referral), int(c.group),
                        ";".join(c.related), closed.isoformat() if closed else ""))  # fmt: skip


# --------------------------------------------------------------------------- bad input


class BadFile(NamedTuple):
    """A deliberately bad file and what intake must make of it (docs/channels.md)."""

    channel: str
    path: Path
    expect: str  # 'quarantine' (the whole file) or 'rows' (some rows rejected, the rest load)
    problem: str
    good_rows: tuple[int, ...] = ()  # source rows that must load
    bad_rows: tuple[tuple[int, str], ...] = ()  # (source row, problem) that must be rejected


def write_bad_files(
    landing: Path, seed: int = 0, day: dt.date = dt.date(2023, 7, 5)
) -> list[BadFile]:
    """Unreadable files, a missing required column, an impossible date and an empty row.

    Row numbers are 1-based data rows: an empty row counts (XLSX: the Excel row number
    minus the header row; CSV: an all-commas line).
    """
    from xinfang_dev.synth.campaign import generate_campaign

    rng = random.Random(f"bad:{seed}")
    landing = Path(landing)
    campaign = generate_campaign(seed, 60)
    pool: dict[str, list[dict[str, Any]]] = {}
    for item in campaign.items:
        pool.setdefault(item["channel"], []).append(item)
    stamp = f"{day:%Y%m%d}"
    out: list[BadFile] = []

    def folder(channel: str) -> Path:
        f = landing / channel / "incoming"
        f.mkdir(parents=True, exist_ok=True)
        return f

    # 1. binary garbage named .csv
    p = folder("letter") / f"letter_{stamp}_garbage.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(2048) + b"\x00" * 64)
    out.append(BadFile("letter", p, "quarantine", "binary garbage, not a CSV file"))

    # 2. a corrupt workbook: a valid one cut in half
    p = folder("visit") / f"visit_{stamp}_corrupt.xlsx"
    write_channel_file(pool["visit"][:3], "visit", p, "xlsx", rng=rng)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    out.append(BadFile("visit", p, "quarantine", "truncated XLSX (broken zip)"))

    # 3. a required column missing (来电时间)
    p = folder("hotline") / f"hotline_{stamp}_nodate.csv"
    cols = [c for c in COLUMNS["hotline"] if c != "来电时间"]
    rows = [cols, *([_text(i.get(c)) for c in cols] for i in pool["hotline"][:3])]
    p.write_bytes(csv_bytes(rows, "utf-8-sig"))
    out.append(BadFile("hotline", p, "quarantine", "required column 来电时间 missing"))

    # 4. CSV rows: an impossible date and an empty row among good rows
    letters = pool["letter"][:4]
    cols = list(COLUMNS["letter"])
    good = [[_text(i.get(c)) for c in cols] for i in letters]
    bad_date = list(good[1])
    bad_date[0] = "2023-02-30"
    empty = [""] * len(cols)
    p = folder("letter") / f"letter_{stamp}_badrows.csv"
    p.write_bytes(csv_bytes([cols, good[0], bad_date, empty, good[2], good[3]], "gb18030"))
    out.append(BadFile("letter", p, "rows", "impossible date and an empty row",
                       good_rows=(1, 4, 5), bad_rows=((2, "impossible date 2023-02-30"), (3, "empty row"))))  # fmt: skip

    # 5. the same in a workbook: 2023年2月30日 as text, a blank row
    visits = pool["visit"][:3]
    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMNS["visit"]))
    ws.append([_text(visits[0].get(c)) or None for c in COLUMNS["visit"]])
    row = [_text(visits[1].get(c)) or None for c in COLUMNS["visit"]]
    row[0] = "2023年2月30日 10:00"
    ws.append(row)
    ws.append([None] * len(COLUMNS["visit"]))
    ws.append([_text(visits[2].get(c)) or None for c in COLUMNS["visit"]])
    p = folder("visit") / f"visit_{stamp}_badrows.xlsx"
    wb.save(p)
    _pin_timestamps(p, dt.datetime.combine(day, dt.time(18)))
    out.append(BadFile("visit", p, "rows", "impossible date and a blank row",
                       good_rows=(1, 4), bad_rows=((2, "impossible date 2023年2月30日"), (3, "empty row"))))  # fmt: skip
    return out
