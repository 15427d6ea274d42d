"""Writing report tables: XLSX sheets (frozen header, set widths) and Excel-friendly CSV."""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

MAX_WIDTH = 60
WIDTH_SAMPLE = 2000  # rows looked at to size a column


def display_width(value: Any) -> int:
    """Columns a value takes in Excel: wide (CJK, full-width) characters count twice."""
    return _width(_text(value))


def _width(text: str) -> int:
    if text.isascii():  # most cells (numbers, dates, case numbers): one column a character
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _capped_width(value: Any) -> int:
    """``display_width`` up to ``MAX_WIDTH``: a column is never set wider, and a long note
    need not be measured to its end (each character takes at least one column)."""
    return _width(_text(value)[:MAX_WIDTH])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


class SheetWriter:
    """One worksheet: header in row 1 (bold, frozen), rows after, widths from the content."""

    def __init__(self, workbook, name: str, headers: Sequence[str], percent: Sequence[str] = ()):
        self.ws = workbook.add_worksheet(name)
        self.headers = list(headers)
        self.formats = {
            "header": workbook.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
            ),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "percent": workbook.add_format({"num_format": "0.0%"}),
        }
        self.percent = {self.headers.index(h) for h in percent if h in self.headers}
        self.widths = [display_width(h) for h in self.headers]
        self.row = 0
        self.ws.write_row(0, 0, self.headers, self.formats["header"])
        self.ws.freeze_panes(1, 0)

    def write(self, values: Sequence[Any]) -> None:
        self.row += 1
        row, ws, widths = self.row, self.ws, self.widths
        measure = row <= WIDTH_SAMPLE
        for col, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                ws.write_datetime(row, col, value, self.formats["datetime"])
            elif isinstance(value, dt.date):
                ws.write_datetime(
                    row, col, dt.datetime.combine(value, dt.time()), self.formats["date"]
                )
            elif col in self.percent and isinstance(value, float):
                ws.write_number(row, col, value, self.formats["percent"])
            elif isinstance(value, bool):
                ws.write_string(row, col, "是" if value else "否")
            elif isinstance(value, int | float):
                ws.write_number(row, col, value)
            else:
                ws.write_string(row, col, str(value))
            # a column measured at MAX_WIDTH - 2 or more is set MAX_WIDTH wide whatever follows
            if measure and widths[col] < MAX_WIDTH - 2:
                widths[col] = max(widths[col], _capped_width(value))

    def close(self) -> None:
        """Set the column widths (call after the rows; widths are kept by xlsxwriter)."""
        for col, width in enumerate(self.widths):
            self.ws.set_column(col, col, min(MAX_WIDTH, width + 2))
        if self.row:
            self.ws.autofilter(0, 0, self.row, len(self.headers) - 1)


def write_sheet(workbook, name: str, headers, rows: Iterable[Sequence[Any]], percent=()) -> None:
    sheet = SheetWriter(workbook, name, headers, percent)
    for row in rows:
        sheet.write(row)
    sheet.close()


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """UTF-8 with BOM and CRLF, which Excel opens as UTF-8 on a Chinese Windows."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if v is None else _csv_value(v) for v in row])
    return path


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value
