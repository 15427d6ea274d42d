"""The project configuration: shipped defaults overridden by ``XINFANG_CONFIG``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, get_type_hints

import yaml

from xinfang import settings
from xinfang.timeutil import TZ_NAME

if TYPE_CHECKING:
    from xinfang.matching import MatchParams
    from xinfang.risk.threat import Lexicon

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
    workers: int = 0
    """Processes that parse a channel's files while the task writes them in order (0: one
    per core; 1: the task parses each file itself, one after another)."""


@dataclass(frozen=True)
class RiskSettings:
    """Risk screening (``risk:``); every value comes from ``defaults.yaml`` or the override."""

    group_min_people: int
    repeat_min_items: int
    repeat_window_days: int
    multi_channel_min: int
    key_person_min_open_cases: int
    key_person_min_threats: int
    priority_weights: Mapping[str, int]
    """Priority added to a case per risk kind it carries."""
    threat: Mapping[str, Any] = field(default_factory=dict)
    """The ``threat_*`` settings as written, checked here and compiled by
    ``xinfang.risk.threat.compile_lexicon``."""

    @cached_property
    def lexicon(self) -> Lexicon:
        """The threat lexicon compiled once per configuration (a second per compile)."""
        from xinfang.risk.threat import compile_lexicon

        return compile_lexicon(self.threat)


@dataclass(frozen=True)
class NotifySettings:
    """Who the e-mailed notifications go to (``notify:``; none by default)."""

    from_email: str | None = None
    default_to: str | None = None
    """Where a notification whose recipient has no address goes."""
    addresses: Mapping[str, str] = field(default_factory=dict)
    """Recipient (a person the ledger names, or a tier's role) -> e-mail address."""


@dataclass(frozen=True)
class RosterEntry:
    """The person who receives a court's notices at a tier (``roster:``)."""

    name: str
    email: str | None = None
    """Their address; without one, ``notify.addresses`` / ``default_to`` as for a role."""


RISK_KINDS = ("threat", "group", "repeat", "multi_channel", "referral")
"""The risk flags a case can carry (``risk_flag.kind``, docs/data_dictionary.md)."""

_THREAT_REQUIRED = (
    "threat_lexicon",
    "threat_event_after",
    "threat_negation",
    "threat_negation_cancel",
    "threat_negation_breakers",
    "threat_reported",
    "threat_negation_after",
)
_THREAT_OPTIONAL = (
    "threat_neutral",
    "threat_window",
    "threat_other_actor",
    "threat_own_actor",
    "threat_object_before",
    "threat_past",
    "threat_intent",
    "threat_retracted",
)


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a mapping, got {raw!r}")
    return raw


def _number(value: Any, kind: type, where: str) -> int | float:
    """``value`` as an int or a float, never negative, or a ConfigError naming ``where``."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: {value!r} is not a number")
    try:
        number = float(value)
        if kind is int:
            if number != int(number):
                raise ValueError
            number = int(number)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ConfigError(f"{where}: {value!r} is not {kind.__name__}") from exc
    if number < 0:
        raise ConfigError(f"{where} must not be negative")
    return number


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise ConfigError(f"{where}: {value!r} is not a non-empty text")
    return str(value).strip()


def _email(value: Any, where: str) -> str:
    text = _text(value, where)
    if "@" not in text:
        raise ConfigError(f"{where}: {text!r} is not an e-mail address")
    return text


def _value(value: Any, hint: Any, where: str) -> Any:
    """One setting converted to its field's type (the hints the sections use)."""
    if hint in (int, float):
        return _number(value, hint, where)
    if hint is dt.date:
        return _as_date(value, where)
    if hint == str | None:
        return None if value is None else _text(value, where)
    if hint == Mapping[str, int]:
        items = _mapping(value, where).items()
        return MappingProxyType({str(k): _number(v, int, f"{where}.{k}") for k, v in items})
    raise TypeError(f"{where}: no conversion for {hint!r}")  # a new field type: add it above


def section(cls: type, raw: Any, where: str, **given: Any) -> Any:
    """The dataclass ``cls`` from the config mapping ``raw`` (``where`` names it in errors):
    unknown keys and values of the wrong type are refused, missing ones take the defaults."""
    raw = _mapping(raw, where)
    unknown = set(raw) - set(cls.__dataclass_fields__).difference(given)
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(sorted(map(str, unknown)))}")
    hints = get_type_hints(cls)
    values = {name: _value(raw[name], hints[name], f"{where}.{name}") for name in raw}
    try:
        return cls(**values, **given)
    except TypeError as exc:
        missing = [n for n, f in cls.__dataclass_fields__.items() if n not in values | given]
        raise ConfigError(f"{where}: missing setting(s) {', '.join(missing)}") from exc


def _intake_limits(raw: dict[str, Any] | None) -> IntakeLimits:
    limits = section(IntakeLimits, raw, "intake")
    if limits.workers < 0:
        raise ConfigError(
            f"intake.workers: {limits.workers} is not a number of processes (0: one per core)"
        )
    return limits


def _pattern(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {value!r} is not a regular expression (text)")
    try:
        re.compile(value)
    except re.error as exc:
        raise ConfigError(f"{where}: not a valid regular expression ({exc})") from exc
    return value


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where}: must be a list of regular expressions")
    return tuple(_pattern(p, f"{where}[{n}]") for n, p in enumerate(value))


def _threat_rules(raw: dict[str, Any]) -> Mapping[str, Any]:
    """The ``risk.threat_*`` settings, each pattern compiled once to name a bad one."""
    missing = [k for k in _THREAT_REQUIRED if raw.get(k) is None]
    if missing:
        raise ConfigError(f"risk: missing setting(s) {', '.join(missing)}")
    rules: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"risk.{key}"
        if key == "threat_lexicon":
            lexicon = _mapping(value, where)
            rules[key] = {str(c): _patterns(p, f"{where}.{c}") for c, p in lexicon.items()}
        elif key == "threat_neutral":
            rules[key] = _patterns(value, where)
        elif key == "threat_window":
            rules[key] = _number(value, int, where)
        elif value is not None:
            rules[key] = _pattern(value, where)
    return MappingProxyType(rules)


def _risk(raw: Any) -> RiskSettings:
    raw = _mapping(raw, "risk")
    threat_keys = set(_THREAT_REQUIRED) | set(_THREAT_OPTIONAL)
    threat = {k: v for k, v in raw.items() if k in threat_keys}
    settings = section(
        RiskSettings,
        {k: v for k, v in raw.items() if k not in threat_keys},
        "risk",
        threat=_threat_rules(threat),
    )
    unknown_kinds = set(settings.priority_weights) - set(RISK_KINDS)
    if unknown_kinds:
        raise ConfigError(
            f"risk.priority_weights: unknown risk kind(s) {', '.join(sorted(unknown_kinds))} "
            f"(the kinds: {', '.join(RISK_KINDS)})"
        )
    return settings


def _roster(
    raw: Any, courts: Mapping[str, Court], tiers: Mapping[int, Tier]
) -> Mapping[str, Mapping[int, RosterEntry]]:
    """``roster:`` court code -> tier -> {name, email}, each key and value checked."""
    roster: dict[str, Mapping[int, RosterEntry]] = {}
    for code, by_tier in _mapping(raw, "roster").items():
        where = f"roster.{code}"
        if str(code) not in courts:
            raise ConfigError(f"{where}: {code!r} is not a court of the configuration")
        people: dict[int, RosterEntry] = {}
        for tier, person in _mapping(by_tier, where).items():
            at = f"{where}.{tier}"
            digits = not isinstance(tier, bool) and str(tier).strip().isdigit()
            number = int(str(tier)) if digits else None
            if number not in tiers:
                raise ConfigError(f"{at}: {tier!r} is not a tier of the ladder")
            person = _mapping(person, at)
            unknown = set(person) - {"name", "email"}
            if unknown or "name" not in person:
                raise ConfigError(f"{at}: give name (and email), not {sorted(map(str, person))}")
            name, email = _text(person["name"], f"{at}.name"), person.get("email")
            if len(name) > 128:  # notification.recipient holds it
                raise ConfigError(f"{at}.name: longer than 128 characters")
            people[number] = RosterEntry(
                name, None if email is None else _email(email, f"{at}.email")
            )
        roster[str(code)] = MappingProxyType(people)
    return MappingProxyType(roster)


def _notify(raw: Any) -> NotifySettings:
    raw = dict(_mapping(raw, "notify"))
    addresses = _mapping(raw.pop("addresses", None), "notify.addresses")
    settings = section(NotifySettings, raw, "notify")
    return NotifySettings(
        from_email=settings.from_email and _email(settings.from_email, "notify.from_email"),
        default_to=settings.default_to and _email(settings.default_to, "notify.default_to"),
        addresses=MappingProxyType(
            {str(k): _email(v, f"notify.addresses.{k}") for k, v in addresses.items()}
        ),
    )


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
    risk: RiskSettings
    notify: NotifySettings
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)
    calendar_years: frozenset[int] = field(default_factory=frozenset)
    calendar_warn_days: int = 45
    intake: IntakeLimits = field(default_factory=IntakeLimits)
    roster: Mapping[str, Mapping[int, RosterEntry]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Court code -> tier -> the person who receives its notices there (``roster:``)."""

    def roster_person(self, court_code: str | None, tier: int | None) -> RosterEntry | None:
        """The roster's person of ``court_code`` at ``tier``, if one is listed."""
        return self.roster.get(court_code or "", {}).get(tier) if tier is not None else None

    @property
    def max_tier(self) -> int:
        return max(self.tiers)

    @property
    def escalation_tiers(self) -> tuple[int, ...]:
        """The tiers a case can escalate to: every tier above the petition office."""
        return tuple(sorted(self.tiers))[1:]

    @property
    def assignee_columns(self) -> dict[int, str]:
        """Tier -> the ``ledger_case`` column naming who holds a case there.

        Derived from the ladder: the key tier is the leader's (包案领导, docs/cases.md), the
        tier above the petition office the handling judge's (承办法官) and any tier between
        them the tribunal's (承办部门). Other tiers name their role. With the shipped
        ladder: 2 judge, 3 department, 4 leader.
        """
        key = self.key_case_tier
        columns = {t: "department" for t in range(3, key)}
        if key > 2:
            columns[2] = "judge"
        columns[key] = "leader"
        return dict(sorted(columns.items()))

    @cached_property
    def dedup(self) -> MatchParams:
        """The deduplication thresholds: ``MatchParams``' defaults, ``dedup:`` overriding."""
        from xinfang.matching import MatchParams

        return section(MatchParams, self.raw.get("dedup"), "dedup")

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


_TIER_KEYS = frozenset({"role", "limit_days", "overdue_after_days"})
PETITION_OFFICE = "信访"
"""Every ladder starts at the petition office (信访部门, docs/tiers.md): its role names it."""


def _positive_days(value: Any, where: str) -> int:
    days = _number(value, int, where)
    if days == 0:
        raise ConfigError(f"{where} must be at least 1 working day")
    return int(days)


def _tier_entries(raw: Any) -> dict[int, dict[str, Any]]:
    """``tiers:`` as {number: entry}; a tier set to null is taken out (a shorter ladder)."""
    entries: dict[int, dict[str, Any]] = {}
    for key, value in _mapping(raw, "tiers").items():
        if value is None:
            continue
        try:
            number = int(key)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"tiers: {key!r} is not a tier number") from exc
        entry = _mapping(value, f"tiers.{number}")
        unknown = set(entry) - _TIER_KEYS
        if unknown:
            raise ConfigError(f"tiers.{number}: unknown setting(s) {', '.join(sorted(unknown))}")
        entries[number] = entry
    if len(entries) < 2:
        raise ConfigError("tiers: the ladder needs the petition office and at least one tier above")
    if sorted(entries) != list(range(1, len(entries) + 1)):
        raise ConfigError(f"tiers must be numbered 1..N, got {sorted(entries)}")
    return entries


def _ladder(raw: Any) -> tuple[dict[int, Tier], int]:
    """The tier ladder and the top tier's overdue days, checked against docs/tiers.md."""
    entries = _tier_entries(raw)
    top = max(entries)
    tiers: dict[int, Tier] = {}
    for number, entry in entries.items():
        where = f"tiers.{number}"
        role = _text(entry.get("role"), f"{where}.role")
        if number == top:
            if entry.get("limit_days") is not None:
                raise ConfigError(
                    f"{where}: the top tier has no limit_days (use overdue_after_days)"
                )
            tiers[number] = Tier(number, role, None)
            continue
        if entry.get("limit_days") is None:
            raise ConfigError(f"{where}: every tier below the top needs limit_days")
        if entry.get("overdue_after_days") is not None:
            raise ConfigError(f"{where}: only the top tier takes overdue_after_days")
        tiers[number] = Tier(
            number, role, _positive_days(entry["limit_days"], f"{where}.limit_days")
        )
    overdue = entries[top].get("overdue_after_days")
    overdue_days = _positive_days(overdue, f"tiers.{top}.overdue_after_days") if overdue else 5
    roles = [t.role for t in tiers.values()]
    if len(set(roles)) != len(roles):
        raise ConfigError(f"tiers: each tier needs its own role, got {roles}")
    if PETITION_OFFICE not in tiers[1].role:
        raise ConfigError(
            f"tiers.1: the first tier is the petition office ({PETITION_OFFICE}部门), "
            f"got {tiers[1].role!r}"
        )
    return tiers, overdue_days


def _key_case_tier(value: Any, tiers: dict[int, Tier]) -> int:
    """A key case goes to a leader above the petition office, within the ladder."""
    from xinfang.stats import KPI_ESCALATION_TIERS

    tier = int(_number(value, int, "key_case_tier"))
    if not 1 < tier <= max(tiers):
        raise ConfigError(f"key_case_tier: {tier} is not a tier of the ladder above tier 1")
    if max(tiers) > max(KPI_ESCALATION_TIERS):
        raise ConfigError(
            f"tiers: at most {max(KPI_ESCALATION_TIERS)} tiers (the monthly KPIs count "
            f"escalations to tiers {KPI_ESCALATION_TIERS[0]}-{KPI_ESCALATION_TIERS[-1]})"
        )
    return tier


def _courts(raw: dict[str, Any]) -> tuple[dict[str, Court], str]:
    courts = {
        str(code): Court(str(code), str(v["name"]), str(v.get("level", "basic")))
        for code, v in raw["courts"].items()
    }
    intermediate = str(raw["intermediate_court"])
    if intermediate not in courts:
        raise ConfigError(f"intermediate_court {intermediate} is not a court")
    return courts, intermediate


def _check_zone(raw: dict[str, Any]) -> None:
    zone = raw.get("timezone", TZ_NAME)
    if zone != TZ_NAME:
        raise ConfigError(
            f"timezone: {zone!r} is not supported; the ledger keeps {TZ_NAME} wall-clock "
            "times (the working calendar, SLA days and stored timestamps assume it)"
        )


def build(raw: dict[str, Any]) -> Config:
    """The typed configuration of ``raw``, every section checked (ConfigError names the key)."""
    _check_zone(raw)
    try:
        courts, intermediate = _courts(raw)
        tiers, overdue = _ladder(raw["tiers"])
        cal = raw.get("calendar") or {}
        config = Config(
            raw=raw,
            courts=courts,
            intermediate_court=intermediate,
            tiers=tiers,
            top_tier_overdue_days=overdue,
            key_case_tier=_key_case_tier(raw["key_case_tier"], tiers),
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
            risk=_risk(raw.get("risk")),
            notify=_notify(raw.get("notify")),
            roster=_roster(raw.get("roster"), courts, tiers),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"invalid xinfang configuration: {exc!r}") from exc
    if raw.get("dedup") is not None:
        config.dedup  # noqa: B018 -- checked now, though built only for deduplication
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
