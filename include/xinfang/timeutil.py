"""Time in the court's zone. Asia/Shanghai has no DST, so naive wall-clock values are unambiguous."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ_NAME = "Asia/Shanghai"
"""The court's zone: the one source for the DAGs' schedules, intake's dates and stamps."""
TZ = ZoneInfo(TZ_NAME)


def now_local() -> dt.datetime:
    return dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)


def today_local() -> dt.date:
    return dt.datetime.now(TZ).date()


def to_local_date(value: dt.datetime | dt.date) -> dt.date:
    """The Asia/Shanghai calendar date of an aware datetime (e.g. an Airflow logical date)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(TZ)
        return value.date()
    return value
