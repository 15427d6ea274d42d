"""Configuration: defaults, overrides from XINFANG_CONFIG, and finding courts by name."""

from __future__ import annotations

import datetime as dt
import re

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


def _load(tmp_path, monkeypatch, text: str):
    path = tmp_path / "court.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("XINFANG_CONFIG", str(path))
    return get_config()


def test_the_risk_notify_and_dedup_sections_are_typed(tmp_path, monkeypatch):
    config = _load(
        tmp_path,
        monkeypatch,
        "risk: {group_min_people: '7', priority_weights: {threat: 9}}\n"
        "notify: {default_to: office@court.example, addresses: {王法官: wang@court.example}}\n"
        "dedup: {text_threshold: 0.4}\n",
    )
    assert config.risk.group_min_people == 7 and config.risk.repeat_window_days == 30
    assert dict(config.risk.priority_weights) == {
        "threat": 9,
        "group": 4,
        "referral": 3,
        "multi_channel": 2,
        "repeat": 2,
    }
    assert config.risk.threat["threat_window"] == 10
    assert "自杀" in config.risk.threat["threat_lexicon"]["self_harm"]
    assert config.notify.default_to == "office@court.example"
    assert config.notify.addresses == {"王法官": "wang@court.example"}
    assert config.dedup.text_threshold == 0.4 and config.dedup.lead_margin == 0.15


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("risk: {group_min_peeple: 5}\n", "risk: unknown setting(s) group_min_peeple"),
        ("risk: {repeat_window_days: thirty}\n", "risk.repeat_window_days"),
        ("risk: {repeat_min_items: 2.5}\n", "risk.repeat_min_items"),
        ("risk: {multi_channel_min: -1}\n", "risk.multi_channel_min must not be negative"),
        ("risk: {priority_weights: {fire: 1}}\n", "unknown risk kind(s) fire"),
        ("risk: {threat_negation: '(unclosed'}\n", "risk.threat_negation"),
        ("risk: {threat_lexicon: {violence: ['[']}}\n", "risk.threat_lexicon.violence[0]"),
        ("risk: {threat_reported: null}\n", "missing setting(s) threat_reported"),
        ("notify: {default_to: office}\n", "notify.default_to"),
        ("notify: {addresses: {王法官: wang}}\n", "notify.addresses.王法官"),
        ("notify: {to: a@b.c}\n", "notify: unknown setting(s) to"),
        ("dedup: {text_treshold: 0.3}\n", "dedup: unknown setting(s) text_treshold"),
        ("dedup: {lead_margin: wide}\n", "dedup.lead_margin"),
        ("intake: {max_line_chars: many}\n", "intake.max_line_chars"),
    ],
)
def test_a_bad_setting_is_refused_naming_its_key(tmp_path, monkeypatch, text, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        _load(tmp_path, monkeypatch, text)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("tiers: {1: {role: 立案庭, limit_days: 5}}\n", "tiers.1: the first tier is the petition"),
        ("tiers: {3: {role: 案件承办法官, limit_days: 5}}\n", "each tier needs its own role"),
        ("tiers: {3: {role: '', limit_days: 5}}\n", "tiers.3.role"),
        ("tiers: {3: {limit_days: 0}}\n", "tiers.3.limit_days must be at least 1"),
        ("tiers: {3: {limit_days: null}}\n", "tiers.3: every tier below the top needs limit_days"),
        ("tiers: {5: {limit_days: 5}}\n", "tiers.5: the top tier has no limit_days"),
        ("tiers: {2: {overdue_after_days: 3}}\n", "tiers.2: only the top tier"),
        ("tiers: {3: {rolle: x}}\n", "tiers.3: unknown setting(s) rolle"),
        ("tiers: {7: {role: 省高院}}\n", "tiers must be numbered 1..N"),
        ("tiers: {2: null, 3: null, 4: null, 5: null}\n", "the ladder needs the petition office"),
        ("key_case_tier: 1\n", "key_case_tier: 1 is not a tier of the ladder"),
        ("key_case_tier: 6\n", "key_case_tier: 6 is not a tier of the ladder"),
        (
            "tiers: {5: {limit_days: 5, overdue_after_days: null}, 6: {role: 上级法院}}\n",
            "at most 5 tiers",
        ),
    ],
)
def test_a_bad_ladder_is_refused_naming_the_tier(tmp_path, monkeypatch, text, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        _load(tmp_path, monkeypatch, text)
