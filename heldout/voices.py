"""Each channel's own voice: a petitioner's letter, a clerk's register line, an
operator's call summary, a web-portal post, a referral clerk's 信访人反映…, a
visit's short 诉求.

The same facts come out in different words; which facts come out at all depends
on how much room the channel gives.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from heldout.facts import Fact, Renderer, Voice
from heldout.grievances import Kind
from heldout.people import Person, Relative

# Share of a matter's optional facts an item of each channel carries.
FACT_KEEP = {"letter": 0.85, "online": 0.75, "referral": 0.7, "hotline": 0.6, "visit": 0.4}


@dataclass(slots=True)
class Telling:
    """What one item knows: the matter's facts and who is speaking."""

    kind: Kind
    facts: dict[str, Fact]
    person: Person
    shown_name: str
    address: str
    today: date
    group_size: int
    filer: Relative | None  # a relative filing on the petitioner's behalf
    case_in_text: bool
    enforcement: bool = False  # an enforcement (执) case: the visit goes to the 执行局


def _inverse_relation(rel: Relative, petitioner: Person) -> str:
    """What the filer calls the petitioner: a son calls his father 父亲."""
    m = petitioner.gender == "m"
    return {
        "儿子": "父亲" if m else "母亲",
        "女儿": "父亲" if m else "母亲",
        "妻子": "丈夫",
        "丈夫": "爱人" if not m else "丈夫",
        "弟弟": "哥哥" if m else "姐姐",
        "妹妹": "哥哥" if m else "姐姐",
        "哥哥": "弟弟" if m else "妹妹",
        "姐姐": "弟弟" if m else "妹妹",
    }.get(rel.relation, "家人")


def first_person(t: Telling, rng: random.Random) -> Voice:
    """我 / 本人, or 我父亲张某 when a relative writes."""
    if t.filer:
        who = _inverse_relation(t.filer, t.person)
        return Voice(
            subject_first=f"我{who}{t.person.name}",
            subject_later=(f"我{who}", "他" if t.person.gender == "m" else "她"),
            possessive=(f"我{who}", f"我{who}的"),
            household=("我家", f"我{who}家"),
            colloquial=True,
        )
    if t.group_size > 1 and rng.random() < 0.6:
        return Voice("我们", ("我们",), ("我们的", "我们"), ("我们",), colloquial=True)
    return Voice(
        subject_first=rng.choice(("我", "我", "本人")),
        subject_later=("我",),
        possessive=("我的", "我"),
        household=("我家", "我们家"),
        colloquial=True,
    )


def third_person(
    t: Telling, rng: random.Random, role: str, *, anonymise: bool = False, named: bool = False
) -> Voice:
    """来电人 / 信访人 / 来访人, later 其."""
    if t.filer:
        who = _inverse_relation(t.filer, t.person)
        return Voice(
            subject_first=f"其{who}{t.person.name}",
            subject_later=(f"其{who}",),
            possessive=(f"其{who}",),
            household=("其家",),
            colloquial=False,
            anonymise=anonymise,
        )
    first = f"{role}{t.shown_name}" if named else role
    return Voice(
        subject_first=first,
        subject_later=("其", "其", role),
        possessive=("其",),
        household=("其家", "其"),
        colloquial=role == "来电人",
        anonymise=anonymise,
    )


def _available(t: Telling, channel: str, rng: random.Random) -> set[str]:
    keep = FACT_KEEP[channel]
    out = {"S", "my", "home"}
    for k in t.facts:
        if k in ("court", "judge", "case"):
            continue
        if rng.random() < keep:
            out.add(k)
    if rng.random() < keep:
        out.add("court")
    if "judge" in t.facts and rng.random() < keep * 0.8:
        out.add("judge")
    if t.case_in_text and "case" in t.facts:
        out.add("case")
    return out


def _body(
    t: Telling, r: Renderer, avail: set[str], *, issues: int = 1, demand: bool = True
) -> list[str]:
    parts: list[str] = []
    bg = r.pick(t.kind.bg, avail)
    if bg:
        parts.append(r.fill(bg))
    pool = list(t.kind.issue)
    for _ in range(issues):
        it = r.pick(tuple(pool), avail)
        if not it:
            break
        pool.remove(it)
        parts.append(r.fill(it))
    if demand:
        d = r.pick(t.kind.demand, avail)
        if d:
            parts.append(r.fill(d))
    return parts


def _after(lead: str, demand: str) -> str:
    """A demand after a lead-in that already says 要求 or 希望 (no 要求要求, no 希望要求)."""
    if lead.endswith(("要求", "请求", "希望", "要求：", "诉求为")):
        for verb in ("要求", "请求", "希望"):
            if demand.startswith(verb):
                return demand[len(verb) :]
    return demand


def _join(parts: list[str], rng: random.Random) -> str:
    """Clauses joined as people punctuate: mostly 。, sometimes a run-on with ，."""
    if not parts:
        return ""
    if rng.random() < 0.3:
        return "，".join(parts) + "。"
    return "。".join(parts) + "。"


# ---------------------------------------------------------------------------
# Letters


def letter_content(t: Telling, rng: random.Random) -> str:
    """A letter as written (尊敬的院领导…此致敬礼) or the clerk's register summary."""
    avail = _available(t, "letter", rng)
    if rng.random() < 0.6:
        r = Renderer(t.facts, first_person(t, rng), t.today, rng)
        court = r.fill("{court}") if "court" in t.facts else "法院"
        r.seen.discard("court")
        opening = rng.choice(
            (
                "尊敬的院领导：",
                f"尊敬的{court}领导：",
                f"尊敬的{court}院长：",
                f"{court}信访办：",
                "各位领导：",
                "尊敬的领导：您好！",
                "廊坊市中级人民法院领导：",
                "尊敬的院长您好：",
            )
        )
        writer = t.filer.name if t.filer else t.shown_name
        age = t.person.age_on(t.today)
        intro = rng.choice(
            (
                f"我叫{writer}，家住{t.address}。",
                f"我是{t.address}村民{writer}。"
                if "村" in t.address
                else f"我叫{writer}，住{t.address}。",
                f"本人{writer}，{'男' if t.person.gender == 'm' else '女'}，{age}岁，住{t.address}。"
                if not t.filer
                else f"我叫{writer}，是{t.person.name}的{t.filer.relation}。",
                f"我是{writer}，现将有关情况反映如下：",
                "",
                f"我叫{writer}，今年{age}岁。" if not t.filer else f"我是{writer}。",
            )
        )
        if t.group_size > 1:
            intro += rng.choice(
                (f"我们共{t.group_size}人，", f"我代表{t.group_size}名{_group_word(t)}反映，", "")
            )
        body = _join(_body(t, r, avail, issues=rng.choice((1, 2, 2))), rng)
        plea = rng.choice(
            (
                "恳请领导在百忙之中过问此事，还我一个公道！",
                "我实在是没有办法了，才给领导写这封信。",
                "望领导明察，早日给予答复。",
                "我相信法律是公正的，相信领导会为老百姓做主。",
                "盼复为感！",
                "",
                "以上情况属实，如有虚假愿承担法律责任。",
            )
        )
        closing = rng.choice(
            ("此致\n敬礼！", "此致\n敬礼", "特此反映。", "万分感谢！", "", "谢谢领导！")
        )
        sign = rng.choice(
            (
                f"信访人：{writer}\n{t.today.year}年{t.today.month}月{t.today.day}日",
                f"{writer}\n{t.today:%Y.%m.%d}",
                f"反映人：{writer}",
                "",
            )
        )
        sep = "\n" if rng.random() < 0.7 else ""
        lines = [x for x in (opening, intro + body + plea, closing, sign) if x]
        return sep.join(lines) if sep else "".join(lines).replace("\n", "")
    named = rng.random() < 0.4
    r = Renderer(
        t.facts, third_person(t, rng, rng.choice(("信访人", "来信人")), named=named), t.today, rng
    )
    head = rng.choice(("来信反映：", "来信称，", "", "来信人反映：")) if not named else ""
    if t.filer:
        head = f"{t.filer.name}来信代其{_inverse_relation(t.filer, t.person)}反映："
    parts = _body(t, r, avail, issues=1, demand=False)
    d = r.pick(t.kind.demand, avail)
    text = head + "，".join(parts)
    if d:
        lead = rng.choice(("要求", "请求", "诉求："))
        text += "，" + lead + _after(lead, r.fill(d))
    return text + rng.choice(
        ("。", "。", "。附判决书复印件。", "。来信附相关材料。", "。系重复来信。")
    )


def _group_word(t: Telling) -> str:
    return {
        "wage_arrears": "农民工",
        "demolition_compensation": "被拆迁户",
        "land_contract": "村民",
        "home_delivery": "业主",
    }.get(t.kind.code, "群众")


# ---------------------------------------------------------------------------
# Hotline


def hotline_summary(t: Telling, rng: random.Random, *, relative_phone: str | None) -> str:
    """The operator's third-person call summary."""
    avail = _available(t, "hotline", rng)
    named = rng.random() < 0.2
    r = Renderer(t.facts, third_person(t, rng, "来电人", named=named), t.today, rng)
    head = rng.choice(
        (
            "来电人反映：",
            "来电人称，",
            "市民来电反映，",
            "来电反映：",
            "来电称：",
            "来电人来电称，",
            "",
            "来电人咨询并反映：",
        )
    )
    if named:
        head = ""
    if t.filer:
        head = f"来电人系{t.person.name}的{t.filer.relation}，代其反映："
    if t.group_size > 1 and rng.random() < 0.5:
        head += f"来电人代表{t.group_size}名{_group_word(t)}反映，"
    if "来电人" in head and rng.random() < 0.6:
        r.seen.add("S")  # 来电人称，其与…
    parts = _body(t, r, avail, issues=rng.choice((1, 1, 2)), demand=False)
    text = head + ("，".join(parts) if rng.random() < 0.6 else "。".join(parts)) + "。"
    d = r.pick(t.kind.demand, avail)
    if d:
        lead = rng.choice(("来电人诉求：", "诉求：", "", "来电人希望", "要求：", "来电人要求"))
        text += lead + _after(lead, r.fill(d)) + "。"
    if relative_phone and rng.random() < 0.35:
        text += f"（来电号码为其{relative_phone}电话）"
    text += rng.choice(
        (
            "",
            "",
            "已做好解释安抚工作。",
            "已告知其向承办法官反映。",
            "来电人情绪激动。",
            "要求尽快回复。",
            "来电人称已多次反映未果。",
            "请相关部门核实处理。",
            "已告知其通过12368查询案件进展。",
            "来电人表示如不解决将继续反映。",
            "来电人称再不解决就去北京上访。",
        )
    )
    return text


# ---------------------------------------------------------------------------
# Web portal


def online_post(t: Telling, rng: random.Random) -> tuple[str, str]:
    """(title, content) of a web-portal petition, first person and informal."""
    avail = _available(t, "online", rng)
    r = Renderer(t.facts, first_person(t, rng), t.today, rng)
    title_t = r.pick(t.kind.title, avail) if rng.random() < 0.8 else None
    title = (
        r.fill(title_t)
        if title_t
        else rng.choice(("求助", "投诉", "咨询案件进度", "请领导关注", "反映问题", "信访"))
    )
    r.seen.clear()
    intro = rng.choice(
        (
            f"我是{t.address}的{t.shown_name}，",
            "各位领导好，",
            "你好，",
            "我要反映一个问题：",
            "领导您好！我是一名普通老百姓，",
            "",
            "",
            f"本人{t.shown_name}，",
        )
    )
    if t.filer:
        intro = f"我是{t.filer.name}，替我{_inverse_relation(t.filer, t.person)}反映问题。"
    body = _join(_body(t, r, avail, issues=rng.choice((1, 2))), rng)
    tail = rng.choice(
        (
            "真的没办法了！",
            "求求领导帮帮我们！！",
            "老百姓太难了。",
            "希望领导能看到。",
            "",
            "",
            "请给个说法！",
            "谢谢！",
        )
    )
    return title, intro + body + tail


# ---------------------------------------------------------------------------
# Referrals


def referral_problem(t: Telling, rng: random.Random, deadline: date) -> str:
    """The referring office's summary: 信访人反映…, often with the other side anonymised."""
    avail = _available(t, "referral", rng)
    named = rng.random() < 0.45
    r = Renderer(
        t.facts,
        third_person(t, rng, "信访人", anonymise=rng.random() < 0.5, named=named),
        t.today,
        rng,
    )
    head = "" if named else rng.choice(("信访人反映：", "信访人反映，", "反映：", ""))
    if t.filer:
        head = f"{t.filer.name}（{t.person.name}之{t.filer.relation}）反映："
    if "信访人" in head and rng.random() < 0.6:
        r.seen.add("S")  # 信访人反映：其…
    parts = _body(t, r, avail, issues=1, demand=False)
    text = head + "，".join(parts)
    d = r.pick(t.kind.demand, avail)
    if d:
        lead = rng.choice(("信访人要求", "要求", "其诉求为"))
        text += "。" + lead + _after(lead, r.fill(d))
    text += "。"
    text += rng.choice(
        (
            "",
            "经研究，现转你院依法处理，并将处理结果书面报送我单位。",
            "请依法处理并反馈。",
            "请按规定办理。",
            "此件为重复信访，请重点关注。",
            f"请于{deadline.year}年{deadline.month}月{deadline.day}日前报送办理结果。",
        )
    )
    return text


# ---------------------------------------------------------------------------
# Visits


def visit_claim(t: Telling, rng: random.Random) -> str:
    """A receptionist's short note of what the visitor wants: one or two facts at most."""
    avail = _available(t, "visit", rng)
    r = Renderer(t.facts, third_person(t, rng, "来访人"), t.today, rng)
    brief = r.pick(t.kind.brief, avail) or t.kind.brief[-1]
    text = r.fill(brief)
    roll = rng.random()
    if roll < 0.25:
        d = r.pick(t.kind.demand, avail)
        if d:
            text += "，" + r.fill(d)
    elif roll < 0.4:
        it = r.pick(t.kind.issue, avail)
        if it:
            text = r.fill(it) + "，" + text
    if t.group_size > 1 and rng.random() < 0.5:
        text = rng.choice(("集体访，", "群体访：", f"{t.group_size}人集体来访，")) + text
    if t.filer:
        text = f"代{t.person.name}反映，" + text
    tails = ["", "", "。", "。已登记。", "。告知等待答复。", "。要求见院长。", "。已转业务庭。"]
    if t.enforcement:
        tails += ["。已转执行局。", "。已联系执行法官。"]
    return text + rng.choice(tails)
