"""COPY text produced by ``xinfang.db.copy.encode_rows`` reads back as the values given."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from xinfang.db.copy import encode_frame, encode_rows

_UNESCAPE = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}


def _read(text: str) -> list[list[str | None]]:
    """PostgreSQL's reading of COPY text format (the escapes encode_rows writes)."""
    out = []
    for line in text.split("\n")[:-1]:
        row = []
        for field in line.split("\t"):
            if field == "\\N":
                row.append(None)
                continue
            value, i = "", 0
            while i < len(field):
                if field[i] == "\\":
                    value += _UNESCAPE[field[i : i + 2]]
                    i += 2
                else:
                    value += field[i]
                    i += 1
            row.append(value)
        out.append(row)
    return out


def test_each_column_type_and_repeated_datetimes():
    t1, t2 = dt.datetime(2023, 7, 3, 9, 30), dt.datetime(2023, 7, 3, 9, 31, 5)
    rows = [
        {"a": "张伟\t1", "b": 1, "c": True, "d": t1, "e": dt.date(2023, 7, 3), "f": None},
        {"a": None, "b": None, "c": False, "d": t2, "e": None, "f": None},
        {"a": "c:\\x\n", "b": 3, "c": None, "d": t1, "e": dt.date(2023, 7, 4), "f": None},
    ]
    assert _read(encode_rows(rows, list("abcdef"))) == [
        ["张伟\t1", "1", "t", "2023-07-03 09:30:00", "2023-07-03", None],
        [None, None, "f", "2023-07-03 09:31:05", None, None],
        ["c:\\x\n", "3", None, "2023-07-03 09:30:00", "2023-07-04", None],
    ]


@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_characters="\x00")))))
def test_text_round_trips(values):
    rows = [{"v": v, "n": i} for i, v in enumerate(values)]
    assert _read(encode_rows(rows, ["v", "n"])) == [[v, str(i)] for i, v in enumerate(values)]


def test_frames_encode_as_rows_do():
    """One encoder: a DataFrame's numpy columns (bool, int, datetime64, nullable Int64,
    float with NaN) give the text the same values give as rows."""
    t1 = dt.datetime(2023, 7, 3, 9, 30)
    frame = pd.DataFrame(
        {
            "b": np.array([True, False]),
            "i": np.array([1, 2], dtype=np.int64),
            "at": pd.to_datetime([t1, None]),
            "n": pd.array([3, None], dtype="Int64"),
            "x": [0.5, np.nan],
            "s": ["a\tb", None],
        }
    )
    assert _read(encode_frame(frame)) == [
        ["t", "1", "2023-07-03T09:30:00.000000", "3", "0.5", "a\tb"],
        ["f", "2", None, None, None, None],
    ]
    rows = [
        {"b": True, "at": t1, "x": 0.5, "s": "a\tb"},
        {"b": False, "at": None, "x": float("nan"), "s": None},
    ]
    assert _read(encode_rows(rows, ["b", "at", "x", "s"])) == [
        ["t", "2023-07-03 09:30:00", "0.5", "a\tb"],
        ["f", None, None, None],
    ]
