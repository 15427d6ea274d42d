"""A synthetic petition campaign with known truth: persons, petition matters, intake items.

``generate_campaign`` builds one campaign in memory (the July 2023 sample, evaluation sets);
``iter_items`` streams any number of items shard by shard (benchmarks), each shard an
independent campaign whose persons never reappear in another shard.

Truth: every item carries ``truth_case`` (the key of its petition matter). Matters of
different persons about one case number (the two parties of a lawsuit) are separate
truth cases listed in ``TruthCase.related``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml

from xinfang.calendar import get_calendar
from xinfang.vocab import DISPOSITION_NAMES
from xinfang_dev.synth import variants as V
from xinfang_dev.synth.grievance import (
    ADMIN_DISPUTES,
    AUTHORITIES,
    CATEGORIES,
    CATEGORY_WEIGHTS,
    HOTLINE_LEADS,
    HOTLINE_TAILS,
    LETTER_HEADS,
    LETTER_TAILS,
    NEGATED_THREATS,
    THREATS,
    Grievance,
    new_grievance,
)
from xinfang_dev.synth.people import (
    TOP_COMMON,
    IdentityFactory,
    Person,
    _Bijection,
    random_name,
)

CHANNELS = ("letter", "visit", "online", "hotline", "referral")
_CHANNEL_WEIGHTS = (25, 22, 21, 28)  # referral items come from referral cases only
_OFFICE_CHANNELS = frozenset({"letter", "visit", "referral"})

_DISPOSITION_BY_CATEGORY = {
    "enforce": (("resolved", 5), ("aid", 2), ("procedure", 1), ("terminated", 1)),
    "delay": (("resolved", 4), ("procedure", 3), ("review", 1)),
    "unjust": (("review", 4), ("procedure", 3), ("terminated", 2), ("resolved", 1)),
    "enf_objection": (("procedure", 4), ("resolved", 2)),
    "filing": (("procedure", 4), ("resolved", 2)),
    "conduct": (("review", 3), ("resolved", 2), ("terminated", 1)),
    "aid": (("aid", 6), ("resolved", 1), ("terminated", 1)),
}
_DEPARTMENT_BY_CATEGORY = {
    "enforce": ("执行局", "执行局", "执行一庭"),
    "delay": ("民一庭", "民二庭", "行政庭"),
    "unjust": ("审判监督庭", "民一庭", "民二庭"),
    "enf_objection": ("执行局", "执行裁判庭"),
    "filing": ("立案庭",),
    "conduct": ("监察室", "督查室"),
    "aid": ("刑一庭", "立案庭", "审判监督庭"),
}
_REFERRERS = (
    ("河北省高级人民法院", "冀高法信转"),
    ("廊坊市信访局", "廊信交"),
    ("中共廊坊市委政法委员会", "廊政法交"),
    ("最高人民法院", "法信转"),
    ("廊坊市人民政府", "廊政信办"),
)
_NOTES_ACT = (
    "已联系信访人，了解具体诉求",
    "调阅原审卷宗，梳理案件事实",
    "承办法官约谈信访人，释法明理",
    "已制定化解方案（一案一策）",
    "执行法官已约谈被执行人",
    "组织双方当事人调解",
)
_NOTES_PAUSE = ("信访人住院治疗，暂缓办理", "等待司法鉴定结论", "信访人外出务工，暂时无法联系")
_NOTES_RESUME = ("恢复办理，已与信访人取得联系", "鉴定结论已出，继续办理")
_NOTES_REOPEN = ("信访人再次反映，重新启动化解工作", "销号后信访人重复信访，恢复办理")
_NOTES_CLOSE = {
    "review": "经案件质量评查，原审裁判并无不当，已向信访人释法答疑",
    "procedure": "已引导信访人依法申请再审，导入法定程序",
    "resolved": "经协调化解，信访人签署息诉罢访承诺书",
    "aid": "已为信访人办理司法救助金",
    "terminated": "经复查复核，依法终结信访程序",
}
_NOTES_KEY = "列为重点信访案件，领导包案"
_NOTES_HEARING = "组织召开信访听证会"


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class CourtInfo:
    code: str
    name: str
    short: str  # 广阳区 / 廊坊市中级

    def typed(self, rng: random.Random) -> str:
        """The court's name as people write it."""
        if self.name.startswith("廊坊市中级"):
            return rng.choice(
                ("廊坊市中级人民法院", "廊坊市中级人民法院", "廊坊中院", "廊坊市中院")
            )
        r = rng.random()
        if r < 0.5:
            return self.name
        if r < 0.85:
            return f"{self.short}法院"
        return self.short if r < 0.95 else f"廊坊市{self.name}"


@lru_cache(maxsize=1)
def default_courts() -> tuple[dict[str, CourtInfo], str]:
    """The shipped default courts (independent of XINFANG_CONFIG: fixtures must not drift)."""
    text = files("xinfang").joinpath("defaults.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    courts = {
        str(code): CourtInfo(str(code), v["name"], v["name"].removesuffix("人民法院"))
        for code, v in raw["courts"].items()
    }
    return courts, str(raw["intermediate_court"])


# --------------------------------------------------------------------------- calendar


def is_workday(day: dt.date) -> bool:
    """The project's working calendar (``xinfang.calendar``): the one the sweeps count on."""
    return get_calendar().is_workday(day)


def add_workdays(day: dt.date, n: int) -> dt.date:
    """The n-th working day after ``day``."""
    return get_calendar().add_workdays(day, n)


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class TruthCase:
    """One petition matter (信访事项): a petitioner (or group) and a grievance."""

    key: str
    person: str  # the (lead) petitioner's person key
    case_number: str | None  # canonical 案号, e.g. (2023)冀1003民初1234号
    court_code: str  # the court the matter concerns
    grievance: Grievance
    scenario: str
    related: tuple[str, ...] = ()
    referral: bool = False
    group: bool = False


@dataclass(frozen=True)
class ProgressEvent:
    """A court's progress on a case, as a progress row will report it."""

    on: dt.date
    status: str  # 办理中 / 中止 / 已销号
    note: str
    department: str
    judge: str
    disposition: str | None = None  # code, on 已销号 rows
    hearing: dt.date | None = None
    key: bool = False
    leader: str | None = None


@dataclass
class Campaign:
    seed: int | str
    start: dt.date
    end: dt.date
    courts: dict[str, CourtInfo]
    persons: dict[str, Person] = field(default_factory=dict)
    cases: dict[str, TruthCase] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    plans: dict[str, list[ProgressEvent]] = field(default_factory=dict)
    templates: list[dict[str, Any]] = field(default_factory=list, repr=False)
    """Items with their identity left as tokens (internal: derived shards re-identify them)."""

    def truth(self) -> dict[str, str]:
        """item key -> truth case key."""
        return {item["item_key"]: item["truth_case"] for item in self.items}

    def related_pairs(self) -> set[tuple[str, str]]:
        """Truth-case pairs (a < b) that must be linked as related (same 案号, other person)."""
        return {(min(c.key, r), max(c.key, r)) for c in self.cases.values() for r in c.related}

    def days(self) -> list[dt.date]:
        n = (self.end - self.start).days + 1
        return [self.start + dt.timedelta(days=i) for i in range(n)]

    def items_on(self, day: dt.date) -> list[dict[str, Any]]:
        return [i for i in self.items if i["received_at"].date() == day]

    def closed_on(self, case_key: str) -> dt.date | None:
        """The date the plan closes the case for the last time (None: open at the end)."""
        events = self.plans.get(case_key, [])
        return events[-1].on if events and events[-1].status == "已销号" else None


# --------------------------------------------------------------------------- generation


@dataclass
class _Slot:
    case: str
    person: str
    channel: str
    day: dt.date
    group: tuple[str, ...] = ()  # named members after the lead
    group_size: int = 0
    after_close: bool = False


class _CaseNumbers:
    """Unique canonical case numbers: a keyed bijection over (year, sequence) per court and type."""

    _OUTSIDE = (("冀", "民申"), ("冀02", "民终"), ("冀0102", "民初"))
    YEARS, SEQ = 8, 9999

    def __init__(
        self, seed: int | str, year: int, courts: dict[str, CourtInfo], inter: str
    ) -> None:
        self.seed = seed
        self.year = year
        self.basic = tuple(c for c in courts if c != inter)
        self.inter = inter
        self._maps: dict[tuple[str, str], _Bijection] = {}
        self._start = 0

    def seek(self, region: int, size: int) -> None:
        """Numbers of region ``region`` (for ``size`` items) from now on; see IdentityFactory.seek."""
        self._start = region * max(50, size // 15)
        for bij in self._maps.values():
            bij.seek(self._start)

    def _make(self, code: str, kind: str) -> str:
        bij = self._maps.get((code, kind))
        if bij is None:
            rng = random.Random(f"case-numbers:{self.seed}:{code}:{kind}")
            bij = self._maps[(code, kind)] = _Bijection(self.YEARS * self.SEQ, rng)
            bij.seek(self._start)
        x = bij.draw()
        return f"({self.year - x % self.YEARS}){code}{kind}{x // self.YEARS + 1}号"

    def new(self, kind: str, rng: random.Random) -> str:
        if rng.random() < 0.03:  # a court outside the configured eleven
            code, kind = rng.choice(self._OUTSIDE)
        elif kind in ("民终", "民申") or (kind in ("刑初", "民初") and rng.random() < 0.1):
            code = self.inter
        else:
            code = rng.choice(self.basic)
        return self._make(code, kind)

    def renumber(self, canon: str) -> str:
        """Another number of the same court and type (for derived shards)."""
        m = V._CANON.fullmatch(canon)
        assert m, canon
        return self._make(m.group(2), m.group(3))


def _type_of(number: str | None) -> str | None:
    """The type code of a canonical 案号 (民初, 执, ...)."""
    m = V._CANON.fullmatch(number) if number else None
    return m.group(3) if m else None


def _item_count(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.42:
        return 1
    if r < 0.64:
        return 2
    if r < 0.77:
        return 3
    if r < 0.85:
        return 4
    if r < 0.95:
        return rng.randint(5, 8)
    return rng.randint(9, 20)


_SCENARIOS = ("single", "two_matters", "two_parties", "group", "common_cluster", "text_only")
_SCENARIO_WEIGHTS = (72, 5, 5, 4, 3, 10)


class _Builder:
    """Builds one shard: persons, truth cases, slots, plans, rendered items."""

    def __init__(self, seed: int | str, shard: int, n_items: int, start: dt.date, end: dt.date,
                 factory: IdentityFactory, numbers: _CaseNumbers,
                 courts: dict[str, CourtInfo], inter: str) -> None:  # fmt: skip
        self.rng = random.Random(f"campaign:{seed}:{shard}")
        self.seed, self.shard, self.n = seed, shard, n_items
        self.start, self.end = start, end
        self.factory, self.numbers = factory, numbers
        self.courts, self.inter = courts, inter
        self.prefix = f"S{shard}-" if shard else ""
        self.campaign = Campaign(seed, start, end, courts)
        self.slots: list[_Slot] = []
        self.days = self.campaign.days()
        self.workdays = [d for d in self.days if is_workday(d)] or self.days
        # Early days weigh more: the campaign starts by sweeping the backlog.
        self.day_weights = [3.0 if i < 7 else 2.0 if i < 14 else 1.0 for i in range(len(self.days))]
        self.staff = [random_name(self.rng, self.rng.choice("MF"), 0.0) for _ in range(8)]
        self.judges = {
            code: [random_name(self.rng, self.rng.choice("MF"), 0.05) for _ in range(6)]
            for code in courts
        }
        self.leaders = {
            code: [random_name(self.rng, "M", 0.0) for _ in range(3)] for code in courts
        }
        self._n_person = self._n_case = self._n_cluster = 0
        self._tickets: dict[tuple[str, dt.date], int] = {}

    # ---- keys
    def _person(self, name: str | None = None, common: float = 0.12) -> Person:
        self._n_person += 1
        p = self.factory.new_person(f"{self.prefix}P{self._n_person:06d}", self.rng, name, common)
        self.campaign.persons[p.key] = p
        return p

    def _case_key(self) -> str:
        self._n_case += 1
        return f"{self.prefix}C{self._n_case:06d}"

    # ---- matters
    def _matter(self, person: Person, scenario: str, category: str | None = None,
                case_number: str | bool | None = True, key: str | None = None,
                related: tuple[str, ...] = (), group: bool = False,
                counterparty: str | None = None) -> TruthCase:  # fmt: skip
        rng = self.rng
        if category is None:
            category = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[
                0
            ]
        kinds = CATEGORIES[category]
        kind = rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        if isinstance(case_number, str):
            number: str | None = case_number
        elif case_number is False or kind is None:
            number = None
        else:
            number = self.numbers.new(kind, rng)
        kind = _type_of(number)
        court = self._court_of(number)
        grievance = new_grievance(rng, category, self.courts[court].typed(rng), counterparty)
        if kind == "刑初":  # a criminal judgment: the "dispute" is the crime, against a person
            cp = counterparty or random_name(rng, "M")
            grievance = replace(grievance, dispute=grievance.crime, counterparty=cp)
        elif kind == "行初":  # an administrative case: against an authority
            place = "廊坊市" if court == self.inter else self.courts[court].short
            grievance = replace(
                grievance,
                dispute=rng.choice(ADMIN_DISPUTES),
                counterparty=counterparty or f"{place}{rng.choice(AUTHORITIES)}",
            )
        case = TruthCase(
            key=key or self._case_key(),
            person=person.key,
            case_number=number,
            court_code=court,
            grievance=grievance,
            scenario=scenario,
            related=related,
            referral=rng.random() < 0.05,
            group=group,
        )
        self.campaign.cases[case.key] = case
        return case

    def _court_of(self, number: str | None) -> str:
        if number:
            body = number[6:]  # after "(2023)"
            i = 1
            while i < len(body) and body[i].isdigit():
                i += 1
            code = body[:i]
            if code in self.courts:
                return code
            return self.inter
        rng = self.rng
        if rng.random() < 0.15:
            return self.inter
        return rng.choice([c for c in self.courts if c != self.inter])

    # ---- slots
    def _first_day(self) -> dt.date:
        return self.rng.choices(self.days, weights=self.day_weights)[0]

    def _fit(self, day: dt.date, channel: str) -> dt.date:
        """Offices receive letters, visits and referrals on working days only."""
        if channel not in _OFFICE_CHANNELS or is_workday(day):
            return day
        later = [d for d in self.workdays if d > day]
        if later:
            return later[0]
        earlier = [d for d in self.workdays if d < day]
        return earlier[-1] if earlier else day

    def _schedule(self, case: TruthCase, person: Person, k: int, first: dt.date | None = None,
                  group_visits: int = 0) -> None:  # fmt: skip
        rng = self.rng
        day = first or self._first_day()
        channels = rng.choices(CHANNELS[:4], weights=_CHANNEL_WEIGHTS, k=k)
        if case.referral:
            channels[rng.randrange(k) if k > 1 else 0] = "referral"
        group_slots = set(rng.sample(range(k), min(group_visits, k)))
        members: tuple[str, ...] = ()
        size = 0
        if group_visits:
            size = rng.randint(3, 30)
            members = tuple(
                random_name(rng, rng.choice("MF")) for _ in range(rng.choice((0, 1, 1, 2, 3)))
            )
        for i in range(k):
            if i:
                day += dt.timedelta(days=rng.choice((0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 7)))
                if day > self.end:
                    day = max(self.start, self.end - dt.timedelta(days=rng.randint(0, 3)))
            ch = "visit" if i in group_slots else channels[i]
            slot = _Slot(case.key, person.key, ch, self._fit(day, ch))
            if i in group_slots:
                slot.group_size = max(size + rng.randint(-2, 2), len(members) + 2)
                slot.group = members if rng.random() < 0.8 else members[:1]
            self.slots.append(slot)

    def plan(self) -> None:
        rng, planned = self.rng, 0
        order = list(_SCENARIOS)  # one of each first, so small sets hold every hard case
        while planned < self.n:
            scenario = (
                order.pop(0) if order else rng.choices(_SCENARIOS, weights=_SCENARIO_WEIGHTS)[0]
            )
            before = len(self.slots)
            getattr(self, f"_scenario_{scenario}")()
            planned += len(self.slots) - before

    def _scenario_single(self) -> None:
        p = self._person()
        case = self._matter(p, "single")
        self._schedule(case, p, _item_count(self.rng))

    def _scenario_text_only(self) -> None:
        p = self._person()
        case = self._matter(
            p, "text_only", self.rng.choice(("filing", "conduct")), case_number=False
        )
        self._schedule(case, p, max(2, _item_count(self.rng)))

    def _scenario_two_matters(self) -> None:
        """The same person with two case numbers: two matters (e.g. the 民初 and its 执)."""
        rng = self.rng
        p = self._person()
        a = self._matter(p, "two_matters", rng.choice(("delay", "unjust", "enforce")))
        b = self._matter(p, "two_matters", "enforce", counterparty=a.grievance.counterparty)
        for case in (a, b):
            self._schedule(case, p, max(1, _item_count(rng)))

    def _scenario_two_parties(self) -> None:
        """The two parties of one lawsuit: same 案号, two matters, linked as related."""
        rng = self.rng
        plaintiff, defendant = self._person(), self._person()
        ka, kb = self._case_key(), self._case_key()
        number = self.numbers.new(rng.choice(("民初", "民初", "民终")), rng)
        category = "enforce" if "民终" in number else rng.choice(("enforce", "delay"))
        a = self._matter(plaintiff, "two_parties", category, number,
                         key=ka, related=(kb,), counterparty=defendant.name)  # fmt: skip
        b = self._matter(defendant, "two_parties", "unjust", number, key=kb, related=(ka,),
                         counterparty=plaintiff.name)  # fmt: skip
        b = replace(b, grievance=replace(b.grievance, dispute=a.grievance.dispute))
        self.campaign.cases[kb] = b
        self._schedule(a, plaintiff, max(1, _item_count(rng)))
        self._schedule(b, defendant, max(1, _item_count(rng)))

    def _scenario_group(self) -> None:
        """A group (张伟、李强等5人) led by one petitioner: the visits join the lead's matter."""
        rng = self.rng
        lead = self._person()
        case = self._matter(lead, "group", rng.choice(("enforce", "delay", "filing")), group=True)
        k = max(2, _item_count(rng))
        self._schedule(case, lead, k, group_visits=rng.randint(1, min(3, k)))

    def _scenario_common_cluster(self) -> None:
        """Different people with one very common name and the same kind of complaint."""
        rng = self.rng
        name = rng.choice(TOP_COMMON)
        category = rng.choice(("enforce", "delay", "filing"))
        self._n_cluster += 1
        for _ in range(rng.randint(2, 4)):
            p = self._person(name=name)
            with_number = category != "filing" and rng.random() < 0.5
            case = self._matter(p, f"common_cluster:{self._n_cluster}", category, with_number)
            self._schedule(case, p, max(1, _item_count(rng)))

    # ---- progress plans and repeats after closing
    def plans(self) -> None:
        by_case: dict[str, list[_Slot]] = {}
        for s in self.slots:
            by_case.setdefault(s.case, []).append(s)
        for key, slots in by_case.items():
            self._plan_case(key, sorted(slots, key=lambda s: s.day))

    def _plan_case(self, key: str, slots: list[_Slot]) -> None:
        """Progress events for one case; a repeat item after closing for some."""
        rng = self.rng
        case = self.campaign.cases[key]
        arrival, last = slots[0].day, slots[-1].day
        dept = rng.choice(_DEPARTMENT_BY_CATEGORY[case.grievance.category])
        judge = rng.choice(self.judges[case.court_code])
        leader = rng.choice(self.leaders[case.court_code])
        referral_day = next((s.day for s in slots if s.channel == "referral"), None)
        marked_key = rng.random() < 0.08
        events: list[ProgressEvent] = []

        def ev(on: dt.date, status: str, note: str, **kw: Any) -> None:
            key_now = (referral_day is not None and on >= referral_day) or (
                marked_key and bool(events)
            )
            leader_now = leader if key_now else None
            events.append(
                ProgressEvent(on, status, note, dept, judge, key=key_now, leader=leader_now, **kw)
            )

        on = add_workdays(arrival, rng.randint(1, 4))
        ev(on, "办理中", rng.choice(_NOTES_ACT))
        if marked_key:
            on = add_workdays(on, rng.randint(0, 3))
            ev(on, "办理中", _NOTES_KEY)
        if rng.random() < 0.1:
            on = add_workdays(on, rng.randint(1, 4))
            ev(on, "中止", rng.choice(_NOTES_PAUSE))
            on = add_workdays(on, rng.randint(3, 8))
            ev(on, "办理中", rng.choice(_NOTES_RESUME))
        if rng.random() < 0.12:
            on = add_workdays(on, rng.randint(1, 4))
            ev(on, "办理中", _NOTES_HEARING, hearing=on + dt.timedelta(days=rng.randint(0, 6)))
        if rng.random() < 0.85:
            close = add_workdays(max(on, last), rng.randint(1, 5))
            hearing = events[-1].hearing
            if hearing and close <= hearing:
                close = add_workdays(hearing, 1)
            disp = rng.choices(
                *zip(*_DISPOSITION_BY_CATEGORY[case.grievance.category], strict=True)
            )[0]
            ev(close, "已销号", _NOTES_CLOSE[disp], disposition=disp)
            repeat = close + dt.timedelta(days=rng.randint(1, 8))
            ch = rng.choices(CHANNELS[:4], weights=_CHANNEL_WEIGHTS)[0]
            repeat = self._fit(repeat, ch)
            if rng.random() < 0.1 and close < repeat <= self.end:
                self.slots.append(_Slot(key, case.person, ch, repeat, after_close=True))
                on = add_workdays(repeat, rng.randint(1, 3))
                ev(on, "办理中", rng.choice(_NOTES_REOPEN))
                if rng.random() < 0.5:
                    close = add_workdays(on, rng.randint(2, 6))
                    ev(close, "已销号", _NOTES_CLOSE[disp], disposition=disp)
        self.campaign.plans[key] = [e for e in events if e.on <= self.end]

    # ---- items
    def render(self) -> None:
        self.slots.sort(key=lambda s: (s.day, s.case))
        if len(self.slots) > self.n:  # trim the surplus of the last scenario, never a repeat
            drop = len(self.slots) - self.n
            counts: dict[str, int] = {}
            for s in self.slots:
                counts[s.case] = counts.get(s.case, 0) + 1
            keep: list[_Slot] = []
            for s in reversed(self.slots):
                if (
                    drop
                    and counts[s.case] > 1
                    and not s.after_close
                    and not s.group_size
                    and s.channel != "referral"
                ):
                    counts[s.case] -= 1
                    drop -= 1
                    continue
                keep.append(s)
            self.slots = keep[::-1]
        rendered = []
        for slot in self.slots:
            when = self._time_of(slot)
            rendered.append((when, slot))
        rendered.sort(key=lambda t: (t[0], t[1].case))
        cases_seen: dict[str, set[str]] = {}
        for n, (when, slot) in enumerate(rendered, 1):
            item = self._render(slot, when)
            item["item_key"] = self.campaign.templates[-1]["item_key"] = f"{self.prefix}I{n:07d}"
            cases_seen.setdefault(slot.case, set()).add(slot.channel)
            self.campaign.items.append(item)
        for item in self.campaign.items:
            case = self.campaign.cases[item["truth_case"]]
            if len(cases_seen[case.key]) > 1:
                item["tags"].append("multi_channel")
            if case.scenario != "single":
                item["tags"].append(case.scenario.split(":")[0])

    def _time_of(self, slot: _Slot) -> dt.datetime:
        rng = self.rng
        if slot.channel in _OFFICE_CHANNELS:
            minutes = rng.randint(8 * 60 + 30, 17 * 60 + 30)
        elif slot.channel == "hotline":
            minutes = rng.randint(8 * 60, 20 * 60)
        else:
            minutes = (
                rng.randint(0, 24 * 60 - 1) if rng.random() < 0.25 else rng.randint(7 * 60, 23 * 60)
            )
        return dt.datetime.combine(
            slot.day, dt.time(minutes // 60, minutes % 60, rng.randint(0, 59))
        )

    def _ticket(self, prefix: str, day: dt.date) -> str:
        n = self._tickets.get((prefix, day), 0) + 1
        self._tickets[(prefix, day)] = n
        return f"{prefix}{day:%Y%m%d}{self.shard:03d}{n:05d}"

    def _render(self, slot: _Slot, when: dt.datetime) -> dict[str, Any]:
        """The item's template (identity left as tokens), kept for derived shards, then filled."""
        tpl = self._render_body(slot, when)
        self.campaign.templates.append(tpl)
        case = self.campaign.cases[slot.case]
        person = self.campaign.persons[slot.person]
        return fill_identity(dict(tpl, tags=list(tpl["tags"])), person, case, self.rng)

    def _render_body(self, slot: _Slot, when: dt.datetime) -> dict[str, Any]:
        rng = self.rng
        case = self.campaign.cases[slot.case]
        person = self.campaign.persons[slot.person]
        ch = slot.channel
        tags: list[str] = []
        cell_dates: dict[str, dt.date | dt.datetime] = {}
        item: dict[str, Any] = {
            "channel": ch,
            "received_at": when,
            "truth_case": case.key,
            "truth_person": person.key,
            "tags": tags,
            "cell_dates": cell_dates,
        }
        if slot.after_close:
            tags.append("repeat_after_close")
        court_typed = self.courts[case.court_code].typed(rng)
        body = case.grievance.tell(rng, court=court_typed if rng.random() < 0.5 else None)
        r = rng.random()
        if r < 0.025:
            body += rng.choice(THREATS)
            tags.append("threat")
        elif r < 0.04:
            body += rng.choice(NEGATED_THREATS)
            tags.append("threat_negated")
        if case.case_number and rng.random() < 0.15:
            body = f"关于{CN_TOKEN}案件，" + body
        text, t = V.text_variant(body, rng, p_trad=0.12 if ch == "online" else 0.06)
        tags += t
        if ch == "letter":
            date_typed, t = V.date_variant(when, rng, with_time=rng.random() < 0.1)
            cell_dates["登记日期"] = when.date()
            head, tail = rng.choice(LETTER_HEADS), rng.choice(LETTER_TAILS)
            sep = "\n" if rng.random() < 0.3 else ""
            item.update({
                "登记日期": date_typed,
                "信访人": NAME_TOKEN,
                "住址": ADDRESS_TOKEN if rng.random() < 0.85 else "",
                "反映法院": court_typed if rng.random() < 0.85 else "",
                "信访内容": sep.join(x for x in (head, text, tail) if x),
            })  # fmt: skip
        elif ch == "visit":
            date_typed, t = V.date_variant(when, rng, with_time=rng.random() < 0.7)
            cell_dates["接待时间"] = when
            visitors = NAME_TOKEN
            count: int | str = 1 if rng.random() < 0.7 else ""
            content = "来访人反映" + text if rng.random() < 0.4 else text
            if slot.group_size:
                sep = _pick(rng, ("、", "，", ","), _GROUP_SEP_CUM)
                names = sep.join((NAME_TOKEN, *slot.group))
                visitors = f"{names}等{slot.group_size}人" if rng.random() < 0.85 else names
                count = slot.group_size if visitors.endswith("人") else len(slot.group) + 1
                content = f"{count}人集体来访，" + text
                tags.append("group_visit")
            item.update({
                "接待时间": date_typed,
                "来访人": visitors,
                "来访人数": count,
                "来访诉求": content,
                "接待人": rng.choice(self.staff),
            })  # fmt: skip
        elif ch == "online":
            date_typed, t = V.iso_timestamp(when, rng)
            title = case.grievance.title(rng)
            if "traditional" in tags:
                title = V.traditional(title)
            item.update({
                "ticket_id": self._ticket("WS", when.date()),
                "submitted_at": date_typed,
                "name": NAME_TOKEN,
                "court": court_typed if rng.random() < 0.9 else "",
                "title": title,
                "content": text,
            })  # fmt: skip
        elif ch == "hotline":
            date_typed, t = V.date_variant(when, rng, with_time=rng.random() < 0.95)
            cell_dates["来电时间"] = when
            item.update({
                "工单号": self._ticket("12368-", when.date()),
                "来电时间": date_typed,
                "来电人": NAME_TOKEN,
                "通话摘要": rng.choice(HOTLINE_LEADS) + text + rng.choice(HOTLINE_TAILS),
            })  # fmt: skip
        else:  # referral
            unit, doc = rng.choice(_REFERRERS)
            date_typed, t = V.date_variant(when, rng, with_time=False)
            due = when.date() + dt.timedelta(days=rng.choice((15, 30, 30, 60)))
            due_typed, _ = V.date_variant(due, rng, with_time=False)
            cell_dates["交办日期"] = when.date()
            cell_dates["办结时限"] = due
            item.update({
                "交办文号": f"{doc}〔{when.year}〕{rng.randint(1, 999)}号",
                "交办单位": unit,
                "交办日期": date_typed,
                "信访人": NAME_TOKEN,
                "反映问题": f"{PLAIN_NAME_TOKEN}反映：{text}",
                "办结时限": due_typed,
            })  # fmt: skip
            tags.append("referral")
        tags += t
        item["token_fields"] = tuple(
            k for k in _TEXT_FIELDS[ch] if isinstance(item.get(k), str) and _has_token(item[k])
        )
        return item

    def build(self) -> Campaign:
        self.plan()
        self.plans()
        self.render()
        return self.campaign


CN_TOKEN, NAME_TOKEN, ADDRESS_TOKEN, PLAIN_NAME_TOKEN = "\ue000", "\ue001", "\ue002", "\ue003"
_TEXT_FIELDS = {
    "letter": ("信访人", "住址", "信访内容"),
    "visit": ("来访人", "来访诉求"),
    "online": ("name", "title", "content"),
    "hotline": ("来电人", "通话摘要"),
    "referral": ("信访人", "反映问题"),
}
_P_CN = {"letter": 0.8, "visit": 0.75, "online": 0.7, "hotline": 0.5, "referral": 0.9}
_P_ID_MISSING = {"letter": 0.3, "visit": 0.1, "online": 0.05, "referral": 0.05, "hotline": 1.0}
_P_PHONE_MISSING = {"letter": 0.12, "visit": 0.12, "online": 0.02, "referral": 0.08, "hotline": 0.0}
_ID_FIELD = {
    "letter": "身份证号",
    "visit": "身份证号",
    "online": "id_number",
    "referral": "身份证号码",
}
_PHONE_FIELD = {
    "letter": "联系电话",
    "visit": "联系电话",
    "online": "mobile",
    "hotline": "来电号码",
    "referral": "联系方式",
}
_CN_FIELD = {
    "letter": "涉及案号",
    "visit": "涉及案号",
    "online": "case_number",
    "hotline": "涉及案号",
    "referral": "涉及案号",
}
_GROUP_SEP_CUM = (90, 95, 100)


def _has_token(value: str) -> bool:
    return any(t in value for t in (CN_TOKEN, NAME_TOKEN, ADDRESS_TOKEN, PLAIN_NAME_TOKEN))


_pick = V.pick


def fill_identity(
    item: dict[str, Any], person: Person, case: TruthCase, rng: random.Random
) -> dict[str, Any]:
    """Fill who the item is from: name, ID, phone, case number, as the channel's clerk types them.

    Every item keeps at least one strong key (a valid-looking ID, a phone or the case number):
    an item without one would be unlinkable, and the truth could not be fair to a deduper.
    """
    ch = item["channel"]
    tags: list[str] = item["tags"]
    if person.common_name:
        tags.append("common_name")
    cn = ""
    if case.case_number:
        p_cn = 1.0 if case.scenario == "two_matters" else _P_CN[ch]
        if rng.random() < p_cn:
            cn, t = V.case_number_variant(case.case_number, rng)
            tags += t
        else:
            tags.append("cn_missing")
    id_typed, t = V.id_variant(person.id18, rng, _P_ID_MISSING[ch])
    if ch != "hotline":
        tags += t
    id_ok = bool(id_typed) and "id_typo" not in t
    phone = ""
    if rng.random() >= _P_PHONE_MISSING[ch] or not (id_ok or cn):
        landline_ok = cn or (id_ok and ch != "hotline")
        if person.landline and landline_ok and rng.random() < 0.35:
            phone, t = V.landline_variant(person.landline, rng)
        else:
            phone, t = V.mobile_variant(person.mobile, rng)
        tags += t
    else:
        tags.append("phone_missing")
    trad = "traditional" in tags
    name, t = V.name_variant(person.name, rng, homophone=0.2 if ch == "hotline" else 0.0,
                             trad=0.5 if trad else 0.03)  # fmt: skip
    tags += t
    if ch in _ID_FIELD:
        item[_ID_FIELD[ch]] = id_typed or (rng.choice((None, "")) if ch == "online" else "")
    item[_PHONE_FIELD[ch]] = phone
    item[_CN_FIELD[ch]] = cn or (rng.choice((None, "")) if ch == "online" else "")
    for field_name in item.pop("token_fields", _TEXT_FIELDS[ch]):
        value = item.get(field_name)
        if not value:
            continue
        if CN_TOKEN in value:  # the case number told in the text, spelled its own way
            mention = V.case_number_variant(case.case_number, rng)[0] if case.case_number else ""
            value = value.replace(CN_TOKEN, mention)
        item[field_name] = (
            value.replace(NAME_TOKEN, name)
            .replace(ADDRESS_TOKEN, person.address)
            .replace(PLAIN_NAME_TOKEN, person.name)
        )
    return item


def _shard_builder(seed: int | str, shard: int, n: int, start: dt.date, end: dt.date,
                   factory: IdentityFactory, numbers: _CaseNumbers) -> Campaign:  # fmt: skip
    courts, inter = default_courts()
    return _Builder(seed, shard, n, start, end, factory, numbers, courts, inter).build()


def generate_campaign(seed: int, n_items: int, start: dt.date = dt.date(2023, 7, 1),
                      end: dt.date = dt.date(2023, 7, 31)) -> Campaign:  # fmt: skip
    """One campaign of exactly ``n_items`` items received from ``start`` to ``end``."""
    courts, inter = default_courts()
    factory = IdentityFactory(seed)
    numbers = _CaseNumbers(seed, start.year, courts, inter)
    return _shard_builder(seed, 0, n_items, start, end, factory, numbers)


SHARD_ITEMS = 5000
BASE_SHARDS = 2


def _local(key: str) -> str:
    """A key without its shard prefix (S3-C000001 -> C000001)."""
    return key.split("-", 1)[1] if key.startswith("S") and "-" in key else key


def derive_shard(base: Campaign, shard: int, factory: IdentityFactory, numbers: _CaseNumbers,
                 n_items: int | None = None) -> Campaign:  # fmt: skip
    """``base`` re-identified: new persons, case numbers and keys; same dates and stories.

    Persons with a very common name keep it (so clusters of namesakes stay clusters); the
    others get a new name. Identity fields are typed afresh, so the spellings vary too.
    This is what makes a million items cheap: no grievance is told twice.
    """
    rng = random.Random(f"derive:{base.seed}:{shard}")
    prefix = f"S{shard}-"
    out = Campaign(base.seed, base.start, base.end, base.courts)
    templates = base.templates[:n_items] if n_items is not None else base.templates
    used_cases = {t["truth_case"] for t in templates}
    for key, p in base.persons.items():
        new_key = prefix + _local(key)
        out.persons[new_key] = factory.new_person(new_key, rng, p.name if p.common_name else None)
    renumbered: dict[str, str] = {}
    for key, c in base.cases.items():
        if key not in used_cases:
            continue
        number = c.case_number
        if number:
            number = renumbered.get(number) or renumbered.setdefault(
                number, numbers.renumber(number)
            )
        new_key = prefix + _local(key)
        out.cases[new_key] = TruthCase(
            key=new_key,
            person=prefix + _local(c.person),
            case_number=number,
            court_code=c.court_code,
            grievance=c.grievance,
            scenario=c.scenario,
            related=tuple(prefix + _local(r) for r in c.related if r in used_cases),
            referral=c.referral,
            group=c.group,
        )
        out.plans[new_key] = base.plans.get(key, [])
    for tpl in templates:
        case = out.cases[prefix + _local(tpl["truth_case"])]
        item = dict(tpl, tags=list(tpl["tags"]), truth_case=case.key, truth_person=case.person)
        item["item_key"] = prefix + _local(tpl["item_key"])
        for ticket in ("ticket_id", "工单号"):
            if ticket in item:  # ...<yyyymmdd><shard:03d><n:05d>
                item[ticket] = f"{item[ticket][:-8]}{shard % 1000:03d}{item[ticket][-5:]}"
        out.items.append(fill_identity(item, out.persons[case.person], case, rng))
    used_persons = {c.person for c in out.cases.values()}
    out.persons = {k: v for k, v in out.persons.items() if k in used_persons}
    return out


class ShardMaker:
    """Builds shard ``s`` of a large set from (seed, s) alone, in any order, in any process."""

    def __init__(self, seed: int, n_items: int, start: dt.date = dt.date(2023, 7, 1),
                 end: dt.date = dt.date(2023, 7, 31), shard_items: int = SHARD_ITEMS,
                 base_shards: int = BASE_SHARDS) -> None:  # fmt: skip
        courts, inter = default_courts()
        self.seed, self.n_items, self.start, self.end = seed, n_items, start, end
        self.shard_items = shard_items
        self.shards = -(-n_items // shard_items)
        self.base_shards = max(1, min(base_shards, self.shards))
        self.factory = IdentityFactory(seed)
        self.numbers = _CaseNumbers(seed, start.year, courts, inter)
        self._bases: dict[int, Campaign] = {}

    def size(self, shard: int) -> int:
        return min(self.shard_items, self.n_items - shard * self.shard_items)

    def _seek(self, shard: int) -> None:
        self.factory.seek(shard, self.shard_items)
        self.numbers.seek(shard, self.shard_items)

    def _base(self, shard: int) -> Campaign:
        if shard not in self._bases:
            self._seek(shard)
            self._bases[shard] = _shard_builder(
                self.seed, shard, self.size(shard), self.start, self.end, self.factory, self.numbers
            )
        return self._bases[shard]

    def shard(self, shard: int) -> Campaign:
        """Shards below ``base_shards`` are generated in full; later ones derive from one."""
        if shard < self.base_shards:
            return self._base(shard)
        base = self._base(shard % self.base_shards)
        self._seek(shard)
        return derive_shard(base, shard, self.factory, self.numbers, self.size(shard))


def iter_campaigns(seed: int, n_items: int, start: dt.date = dt.date(2023, 7, 1),
                   end: dt.date = dt.date(2023, 7, 31), shard_items: int = SHARD_ITEMS,
                   base_shards: int = BASE_SHARDS) -> Iterator[Campaign]:  # fmt: skip
    """Shards of at most ``shard_items`` items, ``n_items`` in all, each a campaign of its own.

    The first ``base_shards`` are generated in full (shard 0 equals
    ``generate_campaign(seed, min(n_items, shard_items))``); later ones re-identify a base
    shard (``derive_shard``). Identifiers are unique across shards (disjoint regions of
    each bijection, up to about 1.2 million items for case numbers); keys carry the shard
    (``S3-C000001``). Memory is bounded by the base shards.
    """
    maker = ShardMaker(seed, n_items, start, end, shard_items, base_shards)
    for shard in range(maker.shards):
        yield maker.shard(shard)


def iter_items(seed: int, n: int, start: dt.date = dt.date(2023, 7, 1),
               end: dt.date = dt.date(2023, 7, 31)) -> Iterator[dict[str, Any]]:  # fmt: skip
    """``n`` items, streamed shard by shard (memory bounded by the base shards)."""
    for campaign in iter_campaigns(seed, n, start, end):
        yield from campaign.items


# --------------------------------------------------------------------------- progress rows


def disposition_spelling(code: str, rng: random.Random) -> str:
    """The code, the Chinese name or the name without 依法 (resolved / 依法化解 / 化解)."""
    name = DISPOSITION_NAMES[code]
    return rng.choice((code, name, name.removeprefix("依法")))


def progress_rows(campaign: Campaign, ledger_no_of: Callable[[str], str | None], as_of: dt.date,
                  rng: random.Random, since: dt.date | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Progress rows dated ``since``..``as_of`` for the cases the ledger knows.

    ``ledger_no_of`` maps a truth case key to its 台账编号 (None: not in the ledger yet,
    no rows). The timing is the campaign's plan, so calling day by day or once gives the
    same rows (spellings aside).
    """
    rows: list[dict[str, Any]] = []
    for key in sorted(campaign.plans):
        events = [
            e for e in campaign.plans[key] if e.on <= as_of and (since is None or e.on >= since)
        ]
        if not events:
            continue
        ledger_no = ledger_no_of(key)
        if not ledger_no:
            continue
        case = campaign.cases[key]
        court = campaign.courts[case.court_code]
        for e in events:
            typed, _ = V.date_variant(e.on, rng, with_time=False)
            cell_dates: dict[str, dt.date | dt.datetime] = {"日期": e.on}
            hearing = ""
            if e.hearing:
                hearing, _ = V.date_variant(e.hearing, rng, with_time=False)
                cell_dates["听证日期"] = e.hearing
            rows.append({
                "channel": "progress",
                "received_at": dt.datetime.combine(e.on, dt.time(17, 0)),
                "truth_case": key,
                "tags": [],
                "cell_dates": cell_dates,
                "台账编号": ledger_no,
                "日期": typed,
                "办理进展": e.note,
                "状态": e.status,
                "处置类别": disposition_spelling(e.disposition, rng) if e.disposition else "",
                "责任法院": court.typed(rng),
                "承办部门": e.department,
                "承办法官": e.judge,
                "包案领导": e.leader or "",
                "重点案件": "是" if e.key else rng.choice(("否", "否", "")),
                "听证日期": hearing,
            })  # fmt: skip
    rows.sort(key=lambda r: (r["received_at"], r["台账编号"]))
    return rows
