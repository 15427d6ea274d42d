"""Facts of a grievance and the many ways one fact is written.

A fact (a counterparty, an amount, a date) is fixed per matter; how it is
written is chosen per item: 12万元, 120000元, 十二万块钱; 2021年3月, 去年三月;
鑫盛建筑公司, 该公司, 某公司. Different items of one matter thus share facts
but rarely share wording.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

_CN_DIGITS = "零一二三四五六七八九"
_CN_CAPITAL = "零壹贰叁肆伍陆柒捌玖"


def cn_number(n: int, capital: bool = False) -> str:
    """An integer below 10^8 in Chinese numerals: 120000 → 十二万, 10500 → 一万零五百."""
    digits = _CN_CAPITAL if capital else _CN_DIGITS
    units = ("", "拾", "佰", "仟") if capital else ("", "十", "百", "千")
    if n == 0:
        return digits[0]

    def four(x: int) -> str:
        out, zero = "", False
        for pos in (3, 2, 1, 0):
            d = x // 10**pos % 10
            if d == 0:
                zero = bool(out)
                continue
            if zero:
                out += digits[0]
                zero = False
            out += digits[d] + units[pos]
        return out

    hi, lo = divmod(n, 10000)
    s = ""
    if hi:
        s = four(hi) + "万"
        if lo and lo < 1000:
            s += digits[0]
    if lo:
        s += four(lo)
    if not capital and s.startswith("一十"):
        s = s[1:]
    return s


@dataclass(frozen=True, slots=True)
class Alt:
    """A fact written one of several ways: first mention, later mentions, anonymised (某)."""

    first: tuple[str, ...]
    later: tuple[str, ...] = ()
    anon: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Amount:
    """A sum of money in yuan."""

    yuan: int


@dataclass(frozen=True, slots=True)
class Day:
    """A date known to a precision: "day", "month" or "year"."""

    day: date
    precision: str = "day"


Fact = Alt | Amount | Day


def render_amount(a: int, rng: random.Random, colloquial: bool) -> str:
    """One of the ways people write a sum of money."""
    forms: list[str] = [f"{a}元", f"{a}元"]
    wan, rest = divmod(a, 10000)
    if a >= 10000 and rest == 0:
        forms += [
            f"{wan}万元",
            f"{wan}万元",
            f"{wan}万",
            f"{cn_number(wan)}万元",
            f"人民币{wan}万元",
        ]
        if colloquial:
            forms += [f"{cn_number(wan)}万块钱", f"{wan}万块钱", f"{cn_number(wan)}万"]
    elif a >= 10000 and rest % 1000 == 0:
        forms += [f"{a / 10000:g}万元", f"{a / 10000:g}万", f"{a:,}元"]
    elif a >= 10000:
        forms += [f"{a:,}元", f"人民币{a}元", f"{a / 10000:.2f}万元", f"{wan}万余元"]
        if colloquial:
            forms += [f"{wan}万多", f"{cn_number(wan)}万多块钱"]
    else:
        forms += [f"{cn_number(a)}元", f"{a}块钱" if colloquial else f"{a}元整"]
    if not colloquial and rng.random() < 0.04:
        return f"人民币{cn_number(a, capital=True)}元整"
    return rng.choice(forms)


def render_day(d: Day, today: date, rng: random.Random, colloquial: bool) -> str:
    """A date as people write it, sometimes relative to the day of writing (去年三月)."""
    v = d.day
    ago = today.year - v.year
    if colloquial and ago in (0, 1, 2) and rng.random() < 0.35:
        rel = ("今年", "去年", "前年")[ago]
        if d.precision == "year":
            return rel
        return rel + rng.choice(
            (f"{v.month}月", f"{cn_number(v.month)}月", f"{cn_number(v.month)}月份")
        )
    if d.precision == "year":
        return rng.choice((f"{v.year}年", f"{v.year}年", f"{v.year % 100:02d}年", f"{v.year}年间"))
    if d.precision == "month" or rng.random() < 0.25:
        return rng.choice(
            (
                f"{v.year}年{v.month}月",
                f"{v.year}年{v.month}月份",
                f"{v.year % 100:02d}年{v.month}月",
            )
        )
    return rng.choice(
        (
            f"{v.year}年{v.month}月{v.day}日",
            f"{v.year}年{v.month}月{v.day}日",
            f"{v.year}年{v.month}月{v.day}号",
            f"{v.year}.{v.month}.{v.day}",
            f"{v.year}-{v.month:02d}-{v.day:02d}",
            f"{v.year}年{v.month:02d}月{v.day:02d}日",
        )
    )


_SLOT = re.compile(r"\{(\w+)\}")


_NO_REPEAT = frozenset(
    {"years", "d1", "d2", "amt", "amt2", "area", "mu", "inj", "level", "conduct"}
)


@lru_cache(maxsize=8192)
def slots_of(template: str) -> frozenset[str]:
    """The slot names a template uses."""
    return frozenset(_SLOT.findall(template))


@dataclass(slots=True)
class Voice:
    """Who speaks: how the petitioner is referred to (我 / 来电人 … 其) and the register."""

    subject_first: str
    subject_later: tuple[str, ...]
    possessive: tuple[str, ...]
    household: tuple[str, ...]
    colloquial: bool
    anonymise: bool = False


@dataclass(slots=True)
class Renderer:
    """Fills templates for one item; keeps each fact's wording fixed within the item."""

    facts: dict[str, Fact]
    voice: Voice
    today: date
    rng: random.Random
    chosen: dict[str, tuple[str, str]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def usable(self, template: str, available: set[str]) -> bool:
        """Whether every slot of the template has a fact for this item."""
        return slots_of(template) <= available

    def pick(self, templates: tuple[str, ...], available: set[str]) -> str | None:
        """One usable template, preferring those that carry more facts and do not
        repeat a date, sum or duration already told."""
        ok = [t for t in templates if slots_of(t) <= available]
        fresh = [t for t in ok if not (slots_of(t) & self.seen & _NO_REPEAT)]
        ok = fresh or ok
        if not ok:
            return None
        weights = [1.0 + 0.6 * len(slots_of(t) - {"S", "my", "home"}) for t in ok]
        return self.rng.choices(ok, weights)[0]

    def fill(self, template: str) -> str:
        """The template with every slot written out."""
        return _SLOT.sub(lambda m: self._slot(m.group(1)), template)

    def _slot(self, name: str) -> str:
        rng = self.rng
        if name == "S":
            if "S" in self.seen:
                return rng.choice(self.voice.subject_later)
            self.seen.add("S")
            return self.voice.subject_first
        if name in ("my", "home") and "S" not in self.seen:
            # the first mention names the petitioner: 来电人家, 我家, 信访人的
            self.seen.add("S")
            first = self.voice.subject_first
            if first.endswith("我") or first == "本人":
                return rng.choice(self.voice.household if name == "home" else self.voice.possessive)
            return first + ("家" if name == "home" else "的")
        if name == "my":
            return rng.choice(self.voice.possessive)
        if name == "home":
            return rng.choice(self.voice.household)
        if name not in self.chosen:
            self.chosen[name] = self._choose(name, self.facts[name])
        first, later = self.chosen[name]
        if name in self.seen:
            return later
        self.seen.add(name)
        return first

    def _choose(self, name: str, fact: Fact) -> tuple[str, str]:
        rng = self.rng
        if isinstance(fact, Amount):
            s = render_amount(fact.yuan, rng, self.voice.colloquial)
            return s, s
        if isinstance(fact, Day):
            s = render_day(fact, self.today, rng, self.voice.colloquial)
            return s, s
        pool = fact.anon if (self.voice.anonymise and fact.anon) else fact.first
        first = rng.choice(pool)
        later = rng.choice(fact.later) if fact.later and rng.random() < 0.7 else first
        if "{" in first or "{" in later:  # a fact written with the speaker's possessive ({my}儿子)
            first, later = self.fill(first), self.fill(later)
        return first, later
