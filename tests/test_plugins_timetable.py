"""The working-day timetable: holidays skipped, 调休 weekends run, serialization round-trips."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pendulum
import pytest

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

from airflow.timetables.base import DataInterval, TimeRestriction  # noqa: E402
from xinfang_timetables import ChineseWorkdayTimetable  # noqa: E402

SH = pendulum.timezone("Asia/Shanghai")


def local(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=SH)


def runs_after(tt: ChineseWorkdayTimetable, start: pendulum.DateTime, n: int) -> list[dt.date]:
    """The next n run days (local) after a run at ``start``, as the scheduler would ask."""
    out = []
    interval = DataInterval.exact(start)
    for _ in range(n):
        info = tt.next_dagrun_info(
            last_automated_data_interval=interval,
            restriction=TimeRestriction(earliest=None, latest=None, catchup=True),
        )
        assert info is not None
        assert info.run_after == info.data_interval.start == info.data_interval.end
        local_time = info.run_after.in_timezone(SH)
        assert local_time.time() == dt.time(9, 30)
        out.append(local_time.date())
        interval = info.data_interval
    return out


def test_dragon_boat_2023_skips_holiday_and_runs_on_sunday_25_june() -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(9, 30))
    # Wednesday 21 June; 22-24 June off, Sunday 25 June worked (调休).
    assert runs_after(tt, local(2023, 6, 21, 9, 30), 3) == [
        dt.date(2023, 6, 25),
        dt.date(2023, 6, 26),
        dt.date(2023, 6, 27),
    ]


def test_national_day_2023_skips_golden_week_and_runs_on_7_and_8_october() -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(9, 30))
    # Thursday 28 Sep; 29 Sep - 6 Oct off; Saturday 7 and Sunday 8 Oct worked.
    assert runs_after(tt, local(2023, 9, 28, 9, 30), 3) == [
        dt.date(2023, 10, 7),
        dt.date(2023, 10, 8),
        dt.date(2023, 10, 9),
    ]


def test_ordinary_weekend_is_skipped() -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(9, 30))
    # Friday 7 July 2023 -> Monday 10 July.
    assert runs_after(tt, local(2023, 7, 7, 9, 30), 1) == [dt.date(2023, 7, 10)]


def test_first_run_from_start_date_inside_a_holiday() -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(8, 0))
    info = tt.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=local(2023, 6, 22), latest=None, catchup=True),
    )
    assert info is not None
    assert info.run_after == local(2023, 6, 25, 8, 0)
    # 08:00 in Shanghai is midnight UTC: the logical date is the working day itself.
    assert info.logical_date == pendulum.datetime(2023, 6, 25, 0, 0, tz="UTC")


def test_start_date_later_the_same_workday_waits_for_the_next_one() -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(9, 0))
    info = tt.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=local(2023, 7, 3, 10, 0), latest=None, catchup=True),
    )
    assert info is not None and info.run_after == local(2023, 7, 4, 9, 0)


def test_end_date_stops_the_schedule() -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(9, 0))
    info = tt.next_dagrun_info(
        last_automated_data_interval=DataInterval.exact(local(2023, 9, 28, 9, 0)),
        restriction=TimeRestriction(earliest=None, latest=local(2023, 10, 6, 23, 0), catchup=True),
    )
    assert info is None


def test_without_catchup_only_the_latest_missed_run_is_made(monkeypatch) -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(9, 0))
    # "Now" is Tuesday 3 Oct 2023 (holiday): the last run was Thursday 28 Sep.
    monkeypatch.setattr(pendulum, "now", lambda tz=None: local(2023, 10, 3, 12, 0))
    info = tt.next_dagrun_info(
        last_automated_data_interval=DataInterval.exact(local(2023, 9, 1, 9, 0)),
        restriction=TimeRestriction(earliest=local(2023, 1, 1), latest=None, catchup=False),
    )
    assert info is not None and info.run_after == local(2023, 9, 28, 9, 0)


def test_configured_extra_holiday_and_workday_are_honoured(tmp_path, monkeypatch) -> None:
    cfg = tmp_path / "xinfang.yaml"
    cfg.write_text("calendar:\n  holidays: [2023-07-10]\n  workdays: [2023-07-15]\n")
    monkeypatch.setenv("XINFANG_CONFIG", str(cfg))
    tt = ChineseWorkdayTimetable(at=dt.time(9, 30))
    # Friday 7 July -> (Monday 10 July declared off) -> Tuesday 11 July ... Saturday 15 July worked.
    assert runs_after(tt, local(2023, 7, 7, 9, 30), 2) == [
        dt.date(2023, 7, 11),
        dt.date(2023, 7, 12),
    ]
    assert runs_after(tt, local(2023, 7, 14, 9, 30), 1) == [dt.date(2023, 7, 15)]


def test_manual_run_interval_is_the_trigger_moment() -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(9, 0))
    moment = local(2023, 6, 24, 15, 0)
    assert tt.infer_manual_data_interval(run_after=moment) == DataInterval.exact(moment)


def test_year_without_calendar_data_schedules_nothing() -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(9, 0))
    # past the provisional calendar's reach (the holidays package's lunar tables)
    info = tt.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=local(2101, 1, 4), latest=None, catchup=True),
    )
    assert info is None
    # before the calendar's first year
    info = tt.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=local(2003, 6, 2), latest=None, catchup=True),
    )
    assert info is None


def test_runs_go_on_past_the_package_on_the_provisional_calendar(caplog) -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(9, 30))
    with caplog.at_level("WARNING", logger="xinfang_timetables"):
        # Thursday 31 Dec 2026 -> Friday 1 Jan 2027 (元旦) and the weekend off -> Monday 4 Jan
        assert runs_after(tt, local(2026, 12, 31, 9, 30), 2) == [
            dt.date(2027, 1, 4),
            dt.date(2027, 1, 5),
        ]
    assert any("provisional calendar for 2027" in r.getMessage() for r in caplog.records)
    # Spring Festival 2027: 除夕 Friday 5 Feb and 初三 Monday 8 Feb off, no 调休 weekend
    assert runs_after(tt, local(2027, 2, 4, 9, 30), 2) == [
        dt.date(2027, 2, 9),
        dt.date(2027, 2, 10),
    ]


def test_an_official_table_in_the_config_replaces_the_provisional_days(tmp_path, monkeypatch):
    cfg = tmp_path / "xinfang.yaml"
    cfg.write_text(
        "calendar:\n  years: [2027]\n"
        "  holidays: [2027-02-05, 2027-02-08, 2027-02-09]\n  workdays: [2027-02-20]\n"
    )
    monkeypatch.setenv("XINFANG_CONFIG", str(cfg))
    tt = ChineseWorkdayTimetable(at=dt.time(9, 30))
    assert runs_after(tt, local(2027, 2, 4, 9, 30), 1) == [dt.date(2027, 2, 10)]
    assert runs_after(tt, local(2027, 2, 19, 9, 30), 1) == [dt.date(2027, 2, 20)]


def test_serialize_round_trip() -> None:
    tt = ChineseWorkdayTimetable(at=dt.time(17, 45), timezone="Asia/Shanghai")
    data = tt.serialize()
    assert data == {"at": "17:45:00", "timezone": "Asia/Shanghai"}
    back = ChineseWorkdayTimetable.deserialize(data)
    assert back == tt
    assert back.summary == "workdays 17:45 Asia/Shanghai"
    assert ChineseWorkdayTimetable(at="09:00") != tt


def test_airflow_serializes_a_dag_with_the_timetable(monkeypatch) -> None:
    """Through Airflow's own DAG serializer, which looks the class up among the plugins."""
    from airflow import plugins_manager, settings
    from airflow.sdk import DAG
    from airflow.serialization.serialized_objects import DagSerialization

    monkeypatch.setattr(settings, "PLUGINS_FOLDER", str(PLUGINS))
    plugins_manager._get_plugins.cache_clear()
    plugins_manager.get_timetables_plugins.cache_clear()
    try:
        tt = ChineseWorkdayTimetable(at=dt.time(9, 0))
        with DAG("tt_probe", schedule=tt, start_date=local(2023, 6, 1)) as dag:
            pass
        serialized = DagSerialization.to_dict(dag)
        assert (
            serialized["dag"]["timetable"]["__type"] == "xinfang_timetables.ChineseWorkdayTimetable"
        )
        back = DagSerialization.from_dict(serialized)
        assert back.timetable == tt
        assert back.timetable.description.startswith("每个工作日 09:00")
    finally:
        plugins_manager._get_plugins.cache_clear()
        plugins_manager.get_timetables_plugins.cache_clear()


def test_plugin_registers_the_timetable() -> None:
    from xinfang_timetables import XinfangTimetablesPlugin

    names = [t.__qualname__ for t in XinfangTimetablesPlugin.timetables]
    assert names == ["ChineseWorkdayTimetable"]


@pytest.mark.parametrize("at", ["09:00", dt.time(9, 0)])
def test_time_given_as_text_or_time(at) -> None:
    assert ChineseWorkdayTimetable(at=at).at == dt.time(9, 0)
