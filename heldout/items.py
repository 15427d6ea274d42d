"""One matter's items: when they arrive, through which channel, and what each row says.

Everything here draws from the matter's own random stream, so a matter's items
do not depend on how many other matters there are or in what order they are
written.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from heldout import places, script, voices
from heldout.facts import Alt, Day, Fact
from heldout.grievances import (
    KIND_BY_CODE,
    Kind,
    court_fact,
    judge_fact,
    person_party,
    years_between,
)
from heldout.people import (
    GIVEN,
    Person,
    Relative,
    homophone,
    honorific,
    id_forms,
    legacy_id15,
    phone_forms,
    spaced_name,
)
from heldout.plan import LAST_DAY, MatterSpec, Plan

CHANNELS = ("letter", "visit", "online", "hotline", "referral")
FIRST_CHANNEL = {"letter": 0.27, "visit": 0.2, "online": 0.25, "hotline": 0.28}
NEXT_CHANNEL = {"letter": 0.2, "visit": 0.22, "online": 0.18, "hotline": 0.24, "referral": 0.16}

# How often each channel's row carries a matter's 案号 when the matter has one.
CASE_SHOWN = {"letter": 0.9, "visit": 0.82, "online": 0.87, "hotline": 0.7, "referral": 0.9}
ID_SHOWN = {"letter": 0.8, "visit": 0.9, "online": 0.93, "referral": 0.75, "hotline": 0.0}
PHONE_MISSING = {"letter": 0.05, "visit": 0.04, "online": 0.0, "hotline": 0.0, "referral": 0.12}
RELATIVE_FILER = {"letter": 0.03, "visit": 0.02, "online": 0.03, "hotline": 0.03, "referral": 0.02}
RELATIVE_PHONE = {"letter": 0.05, "visit": 0.04, "online": 0.04, "hotline": 0.09, "referral": 0.05}
TRADITIONAL = {"letter": 0.06, "visit": 0.01, "online": 0.1, "hotline": 0.0, "referral": 0.015}
PINYIN_GIVEN_TRADITIONAL = {
    "letter": 0.55,
    "online": 0.55,
    "visit": 0.0,
    "hotline": 0.0,
    "referral": 0.3,
}
HONORIFIC_RATE = 0.08
HOMOPHONE_RATE = {"hotline": 0.07, "visit": 0.015, "letter": 0.01, "referral": 0.01, "online": 0.0}
SPACED_RATE = {"letter": 0.08, "visit": 0.07, "referral": 0.06, "online": 0.015, "hotline": 0.0}
MISSING_WORDS = ("无", "暂无", "/", "-", "不详")


@dataclass(slots=True)
class Item:
    """One row to be written, with its truth."""

    channel: str
    when: datetime
    fields: dict[str, object]
    matter_id: str
    person_id: str
    tags: list[str] = field(default_factory=list)
    hint: str = ""  # for the row's ticket number: the referrer's document abbreviation


def _judges(seed: int) -> dict[str, tuple[str, ...]]:
    """Each court's judges; shared by the matters of that court."""
    rng = random.Random(f"heldout-judges:{seed}")
    out = {}
    for court in places.ALL_COURTS:
        names = set()
        while len(names) < (14 if court is places.INTERMEDIATE else 9):
            g = rng.choice("mmf")
            names.add(
                rng.choice("王李张刘赵杨高陈马孙郭田徐韩朱董吴周胡于何冯宋郑谢")
                + rng.choice(GIVEN[(g, rng.choice(("old", "young")))])
            )
        out[court.code] = tuple(sorted(names))
    return out


_COURT_BY_CODE = {c.code: c for c in places.ALL_COURTS}


def _timeline(spec: MatterSpec, rng: random.Random) -> list[tuple[str, date]]:
    days = [spec.start]
    for _ in range(spec.n_items - 1):
        r = rng.random()
        gap = (
            rng.randint(1, 20)
            if r < 0.6
            else rng.randint(15, 45)
            if r < 0.9
            else rng.randint(40, 90)
        )
        d = days[-1] + timedelta(days=gap)
        if d > LAST_DAY or (d - spec.start).days > 200:
            break
        days.append(d)
    out: list[tuple[str, date]] = []
    referrals = 0
    for i, d in enumerate(days):
        table = FIRST_CHANNEL if i == 0 else NEXT_CHANNEL
        if referrals >= 2:
            table = {k: v for k, v in table.items() if k != "referral"}
        ch = rng.choices(list(table), list(table.values()))[0]
        referrals += ch == "referral"
        out.append((ch, _office_day(ch, d)))
    # One row per channel and day: a second same-day contact is the same record.
    seen: set[tuple[str, date]] = set()
    unique = []
    for ch, d in out:
        if (ch, d) not in seen:
            seen.add((ch, d))
            unique.append((ch, d))
    return unique


def _office_day(channel: str, d: date) -> date:
    """Letters, visits and referrals are registered on weekdays."""
    if channel in ("letter", "visit", "referral") and d.weekday() >= 5:
        moved = d + timedelta(days=7 - d.weekday())
        return moved if moved <= LAST_DAY else d - timedelta(days=d.weekday() - 4)
    return d


def _clock(channel: str, rng: random.Random) -> time:
    if channel == "visit":
        h = rng.choice((8, 9, 9, 10, 10, 11, 14, 14, 15, 15, 16))
        return time(
            h, rng.choice((0, 15, 30, 45)) if h != 8 else rng.choice((30, 45)), rng.randint(0, 59)
        )
    if channel == "hotline":
        return time(rng.randint(8, 19), rng.randint(0, 59), rng.randint(0, 59))
    if channel == "online":
        h = rng.choices(
            range(24), [1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 8, 7, 5, 5, 7, 8, 8, 7, 6, 6, 7, 6, 4, 2]
        )[0]
        return time(h, rng.randint(0, 59), rng.randint(0, 59))
    return time(0, 0)


def _address(p: Person, rng: random.Random) -> str:
    if not p.town and p.district not in {d.name for d in places.DISTRICTS}:
        return rng.choice((f"{p.district}{p.locality}", p.district + p.locality))
    return rng.choice(
        (
            f"河北省廊坊市{p.district}{p.town}{p.locality}",
            f"廊坊市{p.district}{p.town}{p.locality}",
            f"{p.district}{p.town}{p.locality}",
            f"{p.district}{p.town}{p.locality}",
            f"{p.town}{p.locality}" if p.town else f"廊坊市{p.locality}",
            f"{p.district}{p.locality}",
        )
    )


@dataclass(slots=True)
class Identity:
    """How the petitioner appears in one row."""

    name: str
    id_number: str | None
    phone: str | None
    filer: Relative | None
    relative_phone: str | None  # relation, when the phone given is a relative's
    tags: list[str]


def _identity(
    p: Person, channel: str, day: date, rng: random.Random, traditional: bool
) -> Identity:
    tags: list[str] = []
    filer = None
    if p.relatives and rng.random() < RELATIVE_FILER[channel]:
        filer = rng.choice(p.relatives)
        tags.append("relative_filer")
        id_num = None
        if filer.id18 and rng.random() < ID_SHOWN[channel]:
            id_num = filer.id18
        phone, tag = phone_forms(filer.phone, rng)
        if tag:
            tags.append(tag)
        return Identity(filer.name, id_num, phone, filer, None, tags)

    name = p.name
    r = rng.random()
    hon = HONORIFIC_RATE if channel == "hotline" else 0.0
    if r < hon:
        name = honorific(p, day, rng)
        tags.append("honorific_name")
    elif r < hon + HOMOPHONE_RATE[channel] and (h := homophone(name, rng)):
        name = h
        tags.append("homophone_name")
    elif rng.random() < SPACED_RATE[channel]:
        name = spaced_name(name, rng)
        tags.append("spaced_name")
    if traditional and "honorific_name" not in tags and rng.random() < 0.5:
        t = script.to_traditional(name, rng)
        if t != name:
            name = t
            tags.append("traditional_name")

    id_num = None
    if rng.random() < ID_SHOWN[channel]:
        id_num, tag = id_forms(p.id18, legacy_id15(p), rng)
        if tag:
            tags.append(tag)
    elif channel != "hotline":
        tags.append("no_id")

    relation = None
    phone: str | None
    if rng.random() < PHONE_MISSING[channel]:
        phone = None
        tags.append("no_phone")
    else:
        number = p.phone
        r = rng.random()
        if p.relatives and r < RELATIVE_PHONE[channel]:
            rel = rng.choice(p.relatives)
            number, relation = rel.phone, rel.relation
            tags.append("relative_phone")
        elif p.landline and channel != "online" and r < 0.3:
            number = p.landline
        elif p.phone2 and rng.random() < 0.45:
            number = p.phone2
            tags.append("second_phone")
        bias = {"hotline": 0.93, "online": 0.8}.get(channel, 0.62)
        phone, tag = phone_forms(number, rng, plain_bias=bias)
        if channel == "hotline" and tag == "phone_format" and rng.random() < 0.7:
            phone, tag = number, None  # caller ID is plain digits
        if tag:
            tags.append(tag)
    return Identity(name, id_num, phone, None, relation, tags)


def _group_names(lead: str, n: int, rng: random.Random) -> str:
    others = []
    for _ in range(min(n - 1, 2)):
        g = rng.choice("mf")
        others.append(
            rng.choice("王李张刘赵杨高陈马孙郭田徐韩")
            + rng.choice(GIVEN[(g, rng.choice(("old", "young")))])
        )
    if n == 2:
        return f"{lead}、{others[0]}"
    if n == 3 and rng.random() < 0.5:
        return "、".join([lead, *others])
    return rng.choice(
        (
            f"{lead}、{others[0]}等{n}人",
            f"{lead}等{n}人",
            f"{lead}、{others[0]}等{n}人",
            f"{lead} 等{n}人",
        )
    )


def _court_ref(court: places.Court, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.78:
        return rng.choice((court.name, *court.aliases))
    if r < 0.88:
        return rng.choice(places.INTERMEDIATE.aliases)
    return ""


def _submitted_at(when: datetime, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return when.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    if r < 0.75:
        return when.strftime("%Y-%m-%dT%H:%M:%S")
    if r < 0.88:
        return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{rng.randrange(1000):03d}+08:00"
    if r < 0.95:
        return when.strftime("%Y-%m-%dT%H:%M")
    return (when - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")


def matter_items(
    plan: Plan, spec: MatterSpec, judges: dict[str, tuple[str, ...]]
) -> tuple[list[Item], Person]:
    """The rows a matter produces over its life, and its petitioner."""
    rng = random.Random(f"heldout-matter:{plan.seed}:{spec.mid}")
    person = plan.person(spec.person_no)
    kind = KIND_BY_CODE[spec.kind]
    facts = kind.build(rng, person, spec.start)
    court = _COURT_BY_CODE.get(spec.court, places.INTERMEDIATE)
    facts["court"] = court_fact(court)
    if kind.code != "filing_refused":
        ctype = spec.case.ctype if spec.case else kind.case_types[0][0]
        facts["judge"] = judge_fact(rng.choice(judges[court.code]), ctype)
    other = spec.opponent if spec.opponent is not None else spec.opponent_of
    if other is not None:
        other_name = plan.person_names[plan.matters[other].person_no]
        facts["cp"] = person_party(rng, name=other_name)
    if spec.case and kind.code == "delayed_trial":  # filed in the year the 案号 says
        filed = date(spec.case.year, rng.randint(1, 12), rng.randint(1, 28))
        filed = min(filed, spec.start - timedelta(days=rng.randint(100, 300)))
        facts["d1"] = Day(filed, rng.choice(("day", "month")))
        facts["years"] = years_between(filed, spec.start)
    if (
        spec.case
        and "d2" in facts
        and isinstance(facts["d2"], Day)
        and facts["d2"].day.year < spec.case.year
    ):
        facts["d2"] = Day(
            min(date(spec.case.year, rng.randint(1, 12), rng.randint(1, 28)), spec.start),
            facts["d2"].precision,
        )
    if spec.case:
        facts["case"] = Alt(first=tuple(spec.case.render(rng)[0].strip() for _ in range(3)))

    matter_tags = []
    if spec.other_matters:
        matter_tags.append("same_person_other_matter")
    if plan.name_counts[person.name] > 1:
        matter_tags.append("shared_name")
    if other is not None:
        matter_tags.append("shared_case_number")
    if spec.outside_court:
        matter_tags.append("outside_court_case")

    items = []
    for channel, day in _timeline(spec, rng):
        items.append(_item(channel, day, spec, person, kind, facts, court, matter_tags, rng))
    return items, person


def _item(
    channel: str,
    day: date,
    spec: MatterSpec,
    person: Person,
    kind: Kind,
    facts: dict[str, Fact],
    court: places.Court,
    matter_tags: list[str],
    rng: random.Random,
) -> Item:
    """One row of a matter in a channel's voice, with its variation tags."""
    tags = list(matter_tags)
    traditional = rng.random() < TRADITIONAL[channel]
    ident = _identity(person, channel, day, rng, traditional)
    tags += ident.tags

    case_col: str | None = None
    case_in_text = False
    if spec.case and rng.random() < CASE_SHOWN[channel]:
        case_col, tag = spec.case.render(rng)
        if tag:
            tags.append(tag)
        case_in_text = channel in ("letter", "online") and rng.random() < 0.25
    else:
        tags.append("no_case_number")
        if spec.case and channel != "visit" and rng.random() < 0.15:
            case_in_text = True
            tags.append("case_in_text_only")
        if rng.random() < 0.04:
            case_col = rng.choice(MISSING_WORDS)
    group = spec.group_size if channel == "visit" or rng.random() < 0.5 else 1
    shown = ident.name
    telling = voices.Telling(
        kind=kind,
        facts=facts,
        person=person,
        shown_name=shown.replace(" ", "").replace("　", ""),
        address=_address(person, rng),
        today=day,
        group_size=group,
        filer=ident.filer,
        case_in_text=case_in_text,
        enforcement=(
            spec.case.ctype if spec.case else (kind.case_types or (("",),))[0][0]
        ).startswith("执"),
    )
    when = datetime.combine(day, _clock(channel, rng))
    f: dict[str, object]
    hint = ""
    if channel == "letter":
        content = voices.letter_content(telling, rng)
        f = {
            "登记日期": when.date()
            if rng.random() < 0.9
            else when.replace(hour=rng.randint(8, 16), minute=rng.randint(0, 59)),
            "信访人": shown,
            "身份证号": ident.id_number,
            "联系电话": ident.phone,
            "住址": telling.address if rng.random() < 0.9 else None,
            "涉及案号": case_col,
            "反映法院": _court_ref(court, rng),
            "信访内容": content,
        }
    elif channel == "visit":
        content = voices.visit_claim(telling, rng)
        n = spec.group_size
        visitor = shown
        if n > 1:
            visitor = _group_names(shown, n, rng)
            tags.append("group_visit")
        f = {
            "接待时间": when,
            "来访人": visitor,
            "身份证号": ident.id_number,
            "联系电话": ident.phone,
            "涉及案号": case_col,
            "来访人数": n if n > 1 or rng.random() < 0.85 else None,
            "来访诉求": content,
            "接待人": rng.choice(places.RECEPTION_STAFF),
        }
    elif channel == "online":
        title, content = voices.online_post(telling, rng)
        f = {
            "ticket_id": None,
            "submitted_at": _submitted_at(when, rng),
            "name": shown,
            "id_number": ident.id_number,
            "mobile": ident.phone,
            "case_number": case_col,
            "court": _court_ref(court, rng),
            "title": title,
            "content": content,
        }
    elif channel == "hotline":
        content = voices.hotline_summary(telling, rng, relative_phone=ident.relative_phone)
        f = {
            "工单号": None,
            "来电时间": when,
            "来电人": shown,
            "来电号码": ident.phone,
            "涉及案号": case_col,
            "通话摘要": content,
        }
    else:
        unit, abbrs = rng.choices(places.REFERRERS, places.REFERRER_WEIGHTS)[0]
        hint = rng.choice(abbrs)
        deadline = day + timedelta(days=rng.choice((30, 30, 60, 60, 90, 15)))
        content = voices.referral_problem(telling, rng, deadline)
        f = {
            "交办文号": None,
            "交办单位": unit,
            "交办日期": day,
            "信访人": shown,
            "身份证号码": ident.id_number,
            "联系方式": ident.phone,
            "涉及案号": case_col,
            "反映问题": content,
            "办结时限": deadline,
        }
    if traditional:
        tags.append("traditional")
        _to_traditional(f, channel, rng, tags)
    elif channel in ("online", "letter") and rng.random() < (0.08 if channel == "online" else 0.02):
        key = "content" if channel == "online" else "信访内容"
        f[key] = script.fullwidth_ascii(str(f[key]))
        tags.append("fullwidth_text")
    return Item(channel, when, f, spec.mid, person.pid, sorted(set(tags)), hint)


_TEXT_KEYS = {
    "letter": ("信访内容", "反映法院"),
    "visit": ("来访诉求",),
    "online": ("title", "content", "court"),
    "referral": ("反映问题",),
    "hotline": ("通话摘要",),
}


def _to_traditional(
    f: dict[str, object], channel: str, rng: random.Random, tags: list[str]
) -> None:
    pinyin = rng.random() < PINYIN_GIVEN_TRADITIONAL[channel]
    for key in _TEXT_KEYS[channel]:
        s = f.get(key)
        if not isinstance(s, str) or not s:
            continue
        t = script.to_traditional(s, rng)
        if pinyin and key in ("信访内容", "content", "title", "反映问题"):
            t = script.with_pinyin(s, t, rng)
        f[key] = t
    if pinyin:
        tags.append("pinyin")
