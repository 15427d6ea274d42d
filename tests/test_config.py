"""Configuration: defaults, overrides from XINFANG_CONFIG, and finding courts by name."""

from __future__ import annotations

import datetime as dt

import pytest

from xinfang.config import ConfigError, get_config


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("廊坊市广阳区人民法院", "冀1003"),
        ("广阳区人民法院", "冀1003"),
        ("广阳区法院", "冀1003"),
        ("广阳法院", "冀1003"),
        ("河北省廊坊市中级人民法院", "冀10"),
        ("廊坊市中级人民法院", "冀10"),
        ("廊坊中院", "冀10"),
        ("三河市人民法院", "冀1082"),
        ("河北省三河市人民法院", "冀1082"),
        ("三河法院", "冀1082"),
        ("霸州市法院", "冀1081"),
        ("大厂回族自治县人民法院", "冀1028"),
        (" 固安县 人民法院 ", "冀1022"),
        ("冀1024", "冀1024"),
        ("北京市朝阳区人民法院", None),
        ("", None),
    ],
)
def test_court_by_name(name, code):
    court = get_config().court_by_name(name)
    assert (court.code if court else None) == code


def test_defaults_follow_the_contract():
    config = get_config()
    assert len(config.courts) == 11 and config.intermediate_court == "冀10"
    assert [config.tiers[n].limit_days for n in range(1, 6)] == [5, 5, 5, 5, None]
    assert config.warning_ratio == 0.8 and config.statutory_days == 60


def test_override_file_merges_and_is_reread(tmp_path, monkeypatch):
    path = tmp_path / "xinfang.yaml"
    path.write_text(
        "tiers:\n  2: {role: 承办法官, limit_days: 3}\ncalendar:\n  holidays: [2027-01-01]\n"
        "  years: [2027]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("XINFANG_CONFIG", str(path))
    config = get_config()
    assert config.tiers[2].limit_days == 3 and config.tiers[1].limit_days == 5
    assert dt.date(2027, 1, 1) in config.extra_holidays and 2027 in config.calendar_years


def test_bad_override_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "bad.yaml"
    path.write_text("intermediate_court: 冀99\n", encoding="utf-8")
    monkeypatch.setenv("XINFANG_CONFIG", str(path))
    with pytest.raises(ConfigError, match="冀99"):
        get_config()


def test_another_time_zone_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "zone.yaml"
    path.write_text("timezone: Europe/Berlin\n", encoding="utf-8")
    monkeypatch.setenv("XINFANG_CONFIG", str(path))
    with pytest.raises(ConfigError, match="Asia/Shanghai"):
        get_config()


def test_one_source_for_the_zone_and_the_channels():
    from xinfang.intake.channels import PETITION_CHANNELS
    from xinfang.normalize.dates import SHANGHAI
    from xinfang.timeutil import TZ, TZ_NAME

    assert SHANGHAI is TZ and str(TZ) == TZ_NAME == get_config().raw["timezone"]
    assert PETITION_CHANNELS == ("letter", "visit", "online", "hotline", "referral")
