"""The project configuration: shipped defaults overridden by ``XINFANG_CONFIG``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from xinfang import settings
from xinfang.timeutil import TZ_NAME

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")


class ConfigError(ValueError):
    """The configuration file is unreadable or inconsistent."""


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc


@dataclass(frozen=True)
class Court:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Tier:
    number: int
    role: str
    limit_days: int | None


@dataclass(frozen=True)
class IntakeLimits:
    """What the intake sweep accepts (``intake:`` in the config): a file or row past
    a limit is quarantined or refused with the limit named, never loaded half."""

    settle_seconds: float = 5.0
    """A file is taken once its size and mtime have not changed for this long."""
    max_file_bytes: int = 256 * 1024 * 1024
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    """An XLSX (a zip) whose parts unpack to more than this is quarantined (zip bomb)."""
    max_sheet_cells: int = 20_000_000
    """Rows x columns a spreadsheet may declare or use (the reader allocates the grid)."""
    max_line_chars: int = 1_000_000
    """A text line (CSV record, JSON Lines line) longer than this is refused."""
    max_bad_line_share: float = 0.1
    """Text with more lines in no encoding than this share is quarantined as not text."""
    earliest_date: dt.date = dt.date(2004, 1, 1)
    """Event dates before this are refused: the working calendar's first year."""
    days_ahead: int = 1
    """Event dates more than this many days after the run's date are refused."""
    deadline_days_ahead: int = 3 * 366
    """Deadlines (办结时限, 延期至, 督办期限, 听证日期) may lie ahead, up to this far."""


def _intake_limits(raw: dict[str, Any] | None) -> IntakeLimits:
    raw = raw or {}
    unknown = set(raw) - set(IntakeLimits.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"intake: unknown setting(s) {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, f in IntakeLimits.__dataclass_fields__.items():
        if name not in raw:
            continue
        default = f.default
        if isinstance(default, dt.date):
            values[name] = _as_date(raw[name], f"intake.{name}")
        else:
            values[name] = type(default)(raw[name])
            if values[name] < 0:
                raise ConfigError(f"intake.{name} must not be negative")
    return IntakeLimits(**values)


@dataclass(frozen=True, eq=False)
class Config:
    raw: dict[str, Any]
    courts: dict[str, Court]
    intermediate_court: str
    tiers: dict[int, Tier]
    top_tier_overdue_days: int
    key_case_tier: int
    warning_ratio: float
    statutory_days: int
    default_area_code: str
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)
    calendar_years: frozenset[int] = field(default_factory=frozenset)
    calendar_warn_days: int = 45
    intake: IntakeLimits = field(default_factory=IntakeLimits)

    @property
    def max_tier(self) -> int:
        return max(self.tiers)

    def court_by_name(self, name: str) -> Court | None:
        """Find a court from a name as people write it (全称, 简称, with or without 人民法院,
        with or without the province and city in front: 廊坊市广阳区人民法院)."""
        name = "".join((name or "").split())
        if not name:
            return None
        for candidate in _name_forms(name):
            court = self._match_court(candidate)
            if court is not None:
                return court
        if "中院" in name or "中级" in name:
            return self.courts.get(self.intermediate_court)
        return None

    def _match_court(self, name: str) -> Court | None:
        for court in self.courts.values():
            short = court.name.removesuffix("人民法院")
            place = short.rstrip("市县区") if court.level == "basic" else short
            if name in (court.name, short, court.code) or (
                len(name) >= 2
                and (
                    court.name.startswith(name)
                    or name.startswith(short)
                    or (len(place) >= 2 and name.startswith(place + "法院"))
                )
            ):
                return court
        return None


def _name_forms(name: str) -> list[str]:
    """The name, then without the province, then without the city (longest first)."""
    forms = [name]
    rest = name.removeprefix("河北省")
    if rest != name:
        forms.append(rest)
    city = rest.find("市")
    if 0 < city < len(rest) - 1 and not rest[city + 1 :].startswith(("中级", "中院")):
        forms.append(rest[city + 1 :])
    return forms


def build(raw: dict[str, Any]) -> Config:
    zone = raw.get("timezone", TZ_NAME)
    if zone != TZ_NAME:
        raise ConfigError(
            f"timezone: {zone!r} is not supported; the ledger keeps {TZ_NAME} wall-clock "
            "times (the working calendar, SLA days and stored timestamps assume it)"
        )
    try:
        courts = {
            str(code): Court(str(code), str(v["name"]), str(v.get("level", "basic")))
            for code, v in raw["courts"].items()
        }
        tiers = {
            int(n): Tier(int(n), str(v["role"]), v.get("limit_days"))
            for n, v in raw["tiers"].items()
        }
        top = tiers[max(tiers)]
        overdue = int(raw["tiers"][max(tiers)].get("overdue_after_days") or 5)
        cal = raw.get("calendar") or {}
        config = Config(
            raw=raw,
            courts=courts,
            intermediate_court=str(raw["intermediate_court"]),
            tiers=tiers,
            top_tier_overdue_days=overdue,
            key_case_tier=int(raw["key_case_tier"]),
            warning_ratio=float(raw["warning_ratio"]),
            statutory_days=int(raw["statutory_days"]),
            default_area_code=str(raw.get("default_area_code") or "0316"),
            extra_holidays=frozenset(
                _as_date(d, "calendar.holidays") for d in cal.get("holidays") or []
            ),
            extra_workdays=frozenset(
                _as_date(d, "calendar.workdays") for d in cal.get("workdays") or []
            ),
            calendar_years=frozenset(int(y) for y in cal.get("years") or []),
            calendar_warn_days=int(cal.get("warn_days", Config.calendar_warn_days)),
            intake=_intake_limits(raw.get("intake")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"invalid xinfang configuration: {exc!r}") from exc
    if config.intermediate_court not in courts:
        raise ConfigError(f"intermediate_court {config.intermediate_court} is not a court")
    if sorted(tiers) != list(range(1, len(tiers) + 1)):
        raise ConfigError("tiers must be numbered 1..N")
    if any(t.limit_days is None for n, t in tiers.items() if n != max(tiers)):
        raise ConfigError("every tier below the top needs limit_days")
    if top.limit_days is not None:
        raise ConfigError("the top tier has no limit_days (use overdue_after_days)")
    return config


def load_raw(path: Path | None = None) -> dict[str, Any]:
    raw = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    path = path if path is not None else settings.config_path()
    if path is not None:
        try:
            override = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read XINFANG_CONFIG {path}: {exc}") from exc
        if not isinstance(override, dict):
            raise ConfigError(f"XINFANG_CONFIG {path} must hold a mapping")
        raw = _merge(raw, override)
    return raw


@lru_cache(maxsize=8)
def _cached(path: str | None, mtime: float | None) -> Config:
    return build(load_raw(Path(path) if path else None))


def intake_limits(limits: IntakeLimits | None = None) -> IntakeLimits:
    """``limits``, or the intake limits of the configuration in force."""
    return limits if limits is not None else get_config().intake


def get_config() -> Config:
    """The configuration in force (re-read when XINFANG_CONFIG or the file changes)."""
    path = settings.config_path()
    mtime = path.stat().st_mtime if path and path.exists() else None
    return _cached(str(path) if path else None, mtime)
