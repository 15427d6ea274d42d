"""Drop files as clerks and exports produce them (CONTRACT.md §2).

Each file gets its own style, fixed by the file's random stream: the encoding
(UTF-8, UTF-8 with BOM, GBK, GB18030, UTF-16 "Unicode text" with tabs), how
dates are written or whether they are Excel date cells, headers with stray
spaces, an extra 序号 or 备注 column, a phone stored as a number.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell

COLUMNS: dict[str, tuple[str, ...]] = {
    "letter": (
        "登记日期",
        "信访人",
        "身份证号",
        "联系电话",
        "住址",
        "涉及案号",
        "反映法院",
        "信访内容",
    ),
    "visit": (
        "接待时间",
        "来访人",
        "身份证号",
        "联系电话",
        "涉及案号",
        "来访人数",
        "来访诉求",
        "接待人",
    ),
    "online": (
        "ticket_id",
        "submitted_at",
        "name",
        "id_number",
        "mobile",
        "case_number",
        "court",
        "title",
        "content",
    ),
    "hotline": ("工单号", "来电时间", "来电人", "来电号码", "涉及案号", "通话摘要"),
    "referral": (
        "交办文号",
        "交办单位",
        "交办日期",
        "信访人",
        "身份证号码",
        "联系方式",
        "涉及案号",
        "反映问题",
        "办结时限",
    ),
}
PHONE_COLUMNS = {"联系电话", "来电号码", "联系方式"}


def _fmt_date(v: date | datetime, style: int, seconds: bool) -> str:
    """A date (and time) in one of the ways the contract lists."""
    d = v
    if style == 0:
        s = f"{d.year}-{d.month:02d}-{d.day:02d}"
    elif style == 1:
        s = f"{d.year}/{d.month}/{d.day}"
    elif style == 2:
        s = f"{d.year}.{d.month}.{d.day}"
    elif style == 3:
        s = f"{d.year}年{d.month}月{d.day}日"
    else:
        s = f"{d.year}/{d.month:02d}/{d.day:02d}"
    if isinstance(v, datetime):
        s += f" {v.hour:02d}:{v.minute:02d}" + (f":{v.second:02d}" if seconds else "")
    return s


@dataclass(slots=True)
class FileStyle:
    """How one file is written."""

    fmt: str  # csv / xlsx / jsonl
    encoding: str = "utf-8"
    delimiter: str = ","
    newline: str = "\n"
    date_style: int = 0
    seconds: bool = True
    date_cells: bool = False
    numeric_phone: bool = False
    serial_column: bool = False
    remark_column: bool = False
    header_pad: str = ""  # "", "space", "fullwidth"
    ensure_ascii: bool = False
    empty_as_null: bool = True
    bom: bool = False


def choose_style(channel: str, rng: random.Random) -> FileStyle:
    """A file's style, drawn once per file."""
    if channel == "online":
        return FileStyle(
            fmt="jsonl",
            ensure_ascii=rng.random() < 0.2,
            empty_as_null=rng.random() < 0.6,
            bom=rng.random() < 0.12,
            newline=rng.choice(("\n", "\n", "\r\n")),
        )
    if channel == "referral" or (channel in ("letter", "visit") and rng.random() < 0.5):
        fmt = "xlsx"
    else:
        fmt = "csv"
    enc_table = {"utf-8": 0.27, "utf-8-sig": 0.25, "gbk": 0.18, "gb18030": 0.14, "utf-16": 0.16}
    encoding = rng.choices(list(enc_table), list(enc_table.values()))[0]
    style = FileStyle(
        fmt=fmt,
        encoding=encoding,
        delimiter="\t" if encoding == "utf-16" else ",",
        newline="\r\n" if encoding in ("gbk", "gb18030", "utf-16") or rng.random() < 0.3 else "\n",
        date_style=rng.choices(range(5), (35, 25, 12, 18, 10))[0],
        seconds=rng.random() < 0.5,
        date_cells=fmt == "xlsx" and rng.random() < 0.65,
        numeric_phone=fmt == "xlsx" and rng.random() < 0.3,
        serial_column=rng.random() < 0.2,
        remark_column=rng.random() < 0.12,
        header_pad=rng.choices(("", "space", "fullwidth"), (75, 15, 10))[0],
    )
    return style


def _header(col: str, style: FileStyle, rng: random.Random) -> str:
    if style.header_pad == "space" and rng.random() < 0.5:
        return rng.choice((f" {col}", f"{col} ", f" {col} ", f"{col}  "))
    if style.header_pad == "fullwidth" and rng.random() < 0.5:
        return rng.choice((f"{col}\u3000", f"\u3000{col}", f"\u3000{col}\u3000"))
    return col


def _columns(channel: str, style: FileStyle) -> list[str]:
    cols = list(COLUMNS[channel])
    if style.serial_column:
        cols.insert(0, "序号")
    if style.remark_column:
        cols.append("备注")
    return cols


def _text(value: object, style: FileStyle, rng: random.Random) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return _fmt_date(
            value, style.date_style if rng.random() < 0.93 else rng.randrange(5), style.seconds
        )
    return str(value)


def write_rows(
    path: Path,
    channel: str,
    rows: Sequence[dict[str, object]],
    style: FileStyle,
    rng: random.Random,
    stamp: date,
) -> None:
    """Write one drop file; row i of ``rows`` becomes data row i + 1."""
    if style.fmt == "jsonl":
        _write_jsonl(path, rows, style)
    elif style.fmt == "csv":
        _write_csv(path, channel, rows, style, rng)
    else:
        _write_xlsx(path, channel, rows, style, rng, stamp)


def _cells(channel: str, row: dict[str, object], i: int, style: FileStyle) -> dict[str, object]:
    out = dict(row)
    if style.serial_column:
        out["序号"] = i
    if style.remark_column:
        out["备注"] = ""
    return out


def _write_csv(
    path: Path,
    channel: str,
    rows: Sequence[dict[str, object]],
    style: FileStyle,
    rng: random.Random,
) -> None:
    cols = _columns(channel, style)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=style.delimiter, lineterminator=style.newline)
    w.writerow([_header(c, style, rng) for c in cols])
    for i, row in enumerate(rows, 1):
        cells = _cells(channel, row, i, style)
        w.writerow([_text(cells.get(c), style, rng) for c in cols])
    data = buf.getvalue()
    if style.encoding == "gbk":
        try:
            raw = data.encode("gbk")
        except UnicodeEncodeError:  # a character outside GBK: the clerk's Excel saves GB18030
            raw = data.encode("gb18030")
    elif style.encoding == "utf-16":
        raw = data.encode("utf-16")  # with BOM, little-endian here, as Excel writes "Unicode text"
    else:
        raw = data.encode(style.encoding)
    path.write_bytes(raw)


def _write_jsonl(path: Path, rows: Sequence[dict[str, object]], style: FileStyle) -> None:
    lines = []
    for row in rows:
        rec = {k: (v if v is not None or style.empty_as_null else "") for k, v in row.items()}
        lines.append(json.dumps(rec, ensure_ascii=style.ensure_ascii))
    text = style.newline.join(lines) + style.newline
    path.write_bytes(("\ufeff" if style.bom else "").encode() + text.encode("utf-8"))


_DATE_FORMATS = ("yyyy-mm-dd", "yyyy/m/d", 'yyyy"年"m"月"d"日"', "yyyy-mm-dd;@")
_DATETIME_FORMATS = ("yyyy-mm-dd hh:mm:ss", "yyyy/m/d h:mm", "yyyy-mm-dd hh:mm")


def _write_xlsx(
    path: Path,
    channel: str,
    rows: Sequence[dict[str, object]],
    style: FileStyle,
    rng: random.Random,
    stamp: date,
) -> None:
    cols = _columns(channel, style)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(rng.choice(("Sheet1", "Sheet1", "登记表", stamp.strftime("%Y%m"))))
    ws.append([_header(c, style, rng) for c in cols])
    dfmt, dtfmt = rng.choice(_DATE_FORMATS), rng.choice(_DATETIME_FORMATS)
    for i, row in enumerate(rows, 1):
        cells = _cells(channel, row, i, style)
        out: list[object] = []
        for c in cols:
            v = cells.get(c)
            if isinstance(v, date):
                if style.date_cells and rng.random() < 0.95:
                    cell = WriteOnlyCell(ws, value=v)
                    cell.number_format = dtfmt if isinstance(v, datetime) else dfmt
                    out.append(cell)
                else:
                    out.append(_text(v, style, rng))
            elif (
                c in PHONE_COLUMNS
                and style.numeric_phone
                and isinstance(v, str)
                and v.isdigit()
                and v.startswith("1")
            ):
                out.append(int(v))
            elif v is None:
                out.append(None)
            else:
                out.append(v)
        ws.append(out)
    wb.save(path)
    _stabilise_zip(path, stamp)


_CORE_TIMES = re.compile(
    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)"
)


def _stabilise_zip(path: Path, stamp: date) -> None:
    """Fix the workbook's save time and the zip entries' times so a seed gives the same bytes."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    when = stamp.strftime("%Y-%m-%dT17:30:00Z").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_TIMES.sub(lambda m: m.group(1) + when + m.group(2), data)
            info = zipfile.ZipInfo(name, date_time=(stamp.year, stamp.month, stamp.day, 17, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)
    path.write_bytes(buf.getvalue())
