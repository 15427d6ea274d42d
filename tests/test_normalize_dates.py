"""Dates: every spelling of docs/channels.md, ISO 8601 with offsets, Excel cells and serials."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinfang.normalize.dates import DateParseError, parse_date, parse_datetime

D = datetime(2023, 7, 3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-07-03", D),
        ("2023-7-3", D),
        ("2023/7/3", D),
        ("2023/07/03", D),
        ("2023.7.3", D),
        ("2023年7月3日", D),
        ("2023年07月03日", D),
        ("2023 年 7 月 3 日", D),
        ("20230703", D),
        ("２０２３－０７－０３", D),
        ("２０２３年７月３日", D),
        ("  2023-07-03\t", D),
        ("2023-07-03 14:05", D.replace(hour=14, minute=5)),
        ("2023-07-03 14:05:09", D.replace(hour=14, minute=5, second=9)),
        ("2023/7/3 14:05", D.replace(hour=14, minute=5)),
        ("2023.7.3 9:05", D.replace(hour=9, minute=5)),
        ("2023年7月3日 14:05", D.replace(hour=14, minute=5)),
        ("2023年7月3日14时5分", D.replace(hour=14, minute=5)),
        ("2023年7月3日 14时05分09秒", D.replace(hour=14, minute=5, second=9)),
        ("2023年7月3日14时", D.replace(hour=14)),
        ("2023年7月3日下午3点半", D.replace(hour=15, minute=30)),
        ("２０２３－０７－０３　１４：０５", D.replace(hour=14, minute=5)),
        ("2023-07-03T14:05:09", D.replace(hour=14, minute=5, second=9)),
        ("2023-07-03T14:05:09.250", D.replace(hour=14, minute=5, second=9, microsecond=250000)),
        ("2023-07-03T14:05:09+08:00", D.replace(hour=14, minute=5, second=9)),
        ("2023-07-03T06:05:09Z", D.replace(hour=14, minute=5, second=9)),
        ("2023-07-03T06:05:09z", D.replace(hour=14, minute=5, second=9)),
        ("2023-07-02T23:05:09-07:00", D.replace(hour=14, minute=5, second=9)),
        ("2023-07-03T09:35:09+0330", D.replace(hour=14, minute=5, second=9)),
        ("2023-07-02T22:00:00Z", D.replace(hour=6)),  # crosses midnight into 3 July
        (D.replace(hour=8), D.replace(hour=8)),  # openpyxl datetime cell
        (date(2023, 7, 3), D),  # date cell
        (datetime(2023, 7, 3, 6, tzinfo=UTC), D.replace(hour=14)),
        (datetime(2023, 7, 3, 14, tzinfo=ZoneInfo("Asia/Shanghai")), D.replace(hour=14)),
        (45110, D),  # Excel serial
        (45110.0, D),
        (45110.5, D.replace(hour=12)),
        (45110.58686342593, D.replace(hour=14, minute=5, second=5)),
        ("45110", D),  # a serial that lost its cell format on the way to CSV
        (20230703, D),
    ],
)
def test_accepted_spellings(value: object, expected: datetime) -> None:
    result = parse_datetime(value)
    assert result == expected
    assert result.tzinfo is None


def test_excel_serials_around_the_1900_leap_bug() -> None:
    assert parse_datetime(25569) == datetime(1970, 1, 1)
    assert parse_datetime(36526) == datetime(2000, 1, 1)
    assert parse_datetime(73050) == datetime(2099, 12, 31)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2023-02-30", "2月没有30日"),
        ("2023-02-29", "2月没有29日"),
        ("2023-13-01", "13月"),
        ("2023年0月3日", "0月"),
        ("2023-07-03 24:00", "24:00"),
        ("2023-07-03 14:61", "14:61"),
        ("2023-07-03T14:05+15:00", "+15:00"),
        ("7/3/2023", "7/3/2023"),
        ("03-07-2023", "03-07-2023"),
        ("2023-07", "2023-07"),
        ("2023年7月", "2023年7月"),
        ("14:05", "14:05"),
        ("昨天", "昨天"),
        ("2023-07-03 下午", "2023-07-03 下午"),
        ("2023-07/03", "2023-07/03"),
        ("", "为空"),
        ("   ", "为空"),
        (None, "为空"),
        (3, "范围"),
        (1e9, "范围"),
        (float("nan"), "为空"),  # an empty spreadsheet cell
        (True, "True"),
        ([2023, 7, 3], "list"),
    ],
)
def test_rejected_values_name_the_value(value: object, words: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_datetime(value)
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_parse_date() -> None:
    assert parse_date("2023年7月3日 23:59") == date(2023, 7, 3)
    assert parse_date("2023-07-02T16:30:00Z") == date(2023, 7, 3)  # the Shanghai calendar day
    assert parse_date(date(2023, 7, 3)) == date(2023, 7, 3)
    assert parse_date(45110) == date(2023, 7, 3)
    with pytest.raises(DateParseError):
        parse_date("2023-02-30")


# -- property tests -------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("0123456789-/.:", "０１２３４５６７８９－／．：")


@st.composite
def spelled_datetimes(draw: st.DrawFn) -> tuple[datetime, str]:
    dt = draw(st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2099, 12, 31)))
    with_time = draw(st.booleans())
    with_seconds = with_time and draw(st.booleans())
    dt = dt.replace(microsecond=0, second=dt.second if with_seconds else 0)
    if not with_time:
        dt = dt.replace(hour=0, minute=0)
    y, m, d = dt.year, dt.month, dt.day
    pad = draw(st.booleans())
    mm, dd = (f"{m:02d}", f"{d:02d}") if pad else (str(m), str(d))
    style = draw(st.sampled_from(["-", "/", ".", "年"]))
    text = f"{y}年{mm}月{dd}日" if style == "年" else f"{y}{style}{mm}{style}{dd}"
    if with_time:
        if style == "年" and draw(st.booleans()):
            text += f"{dt.hour}时{dt.minute}分" + (f"{dt.second}秒" if with_seconds else "")
        else:
            text += f" {dt.hour:02d}:{dt.minute:02d}" + (
                f":{dt.second:02d}" if with_seconds else ""
            )
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return dt, draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", " "]))


@settings(max_examples=300, deadline=None)
@given(spelled_datetimes())
def test_spellings_round_trip(case: tuple[datetime, str]) -> None:
    dt, text = case
    assert parse_datetime(text) == dt
    assert parse_datetime(dt.isoformat(" ")) == dt  # the canonical form parses to itself


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(1950, 1, 2), max_value=datetime(2099, 12, 30)),
    st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15),
)
def test_iso_offsets_convert_to_shanghai(local: datetime, offset_minutes: int) -> None:
    local = local.replace(microsecond=0)
    aware = local.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    expected = aware.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert parse_datetime(aware.isoformat()) == expected
    assert parse_datetime(aware) == expected


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2099, 12, 31)))
def test_excel_serials_round_trip(dt: datetime) -> None:
    dt = dt.replace(microsecond=0)
    serial = (dt - datetime(1899, 12, 30)) / timedelta(days=1)
    assert parse_datetime(serial) == dt


def test_pandas_and_numpy_cells() -> None:
    """Values as pandas hands them over when a loader reads a sheet with it."""
    import numpy as np
    import pandas as pd

    assert parse_datetime(pd.Timestamp("2023-07-03 14:05")) == datetime(2023, 7, 3, 14, 5)
    assert type(parse_datetime(pd.Timestamp("2023-07-03"))) is datetime
    assert parse_datetime(pd.Timestamp("2023-07-03T06:05Z")) == datetime(2023, 7, 3, 14, 5)
    assert parse_datetime(np.int64(45110)) == D
    assert parse_datetime(np.float64(45110.5)) == D.replace(hour=12)
    for empty in (pd.NaT, float("nan"), np.nan):
        with pytest.raises(DateParseError, match="为空"):
            parse_datetime(empty)
