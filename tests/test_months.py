"""The one month parser: the statistics, the reports, the dashboard and the DAG param."""

from __future__ import annotations

import datetime as dt

import pytest

from xinfang import months
from xinfang.pipeline import report_month

JULY = dt.date(2023, 7, 1)


@pytest.mark.parametrize(
    "value", ["2023-07", " 2023-07 ", "2023-7", "2023-07-19", dt.datetime(2023, 7, 19, 8), JULY]
)
def test_a_month_is_read_one_way(value):
    assert months.month_start(value) == JULY


@pytest.mark.parametrize("text", ["July", "2023-13", "2023/07", "", "2023-07-32"])
def test_a_bad_month_is_refused_naming_the_form(text):
    with pytest.raises(ValueError, match="YYYY-MM"):
        months.month_start(text)


def test_the_dag_param_and_the_month_before_use_the_same_parser():
    assert report_month(dt.date(2023, 8, 1), "2023-07") == JULY
    assert report_month(dt.date(2023, 8, 1)) == JULY
    assert report_month(dt.date(2024, 1, 15)) == dt.date(2023, 12, 1)
    with pytest.raises(ValueError, match="YYYY-MM"):
        report_month(dt.date(2023, 8, 1), "2023-13")


def test_month_bounds_cross_the_year():
    assert months.month_bounds(dt.date(2023, 12, 5)) == (
        dt.date(2023, 12, 1),
        dt.date(2023, 12, 31),
        dt.date(2024, 1, 1),
    )
