"""Which intake items are one petition matter (docs/cases.md): the rules, no I/O.

Two questions, asked in this order:

1. *The same person?* Union-find over blocking keys, strongest first:
   the same canonical ID number; the same phone with compatible name keys (a
   missing name is compatible, a different one is not: a family shares a phone; a
   partial name, 王先生 or 老赵, fits the one full name of its surname and sex on the
   phone, never two); the same name key with the same case number (a partial name:
   the one person of its surname on the case number). Two different ID numbers never
   join (a cannot-link checked at every union), so a shared phone or a chain of
   keys can't glue two ID-carrying people together. A name alone, however rare,
   never joins anybody: an uncommon one joins when the texts tell the same grievance
   (alike words, or the same particular facts), one that two ID numbers bear in the
   data only on the facts, a common one only on three facts.
2. *The same matter of that person?* The same case number when both carry one;
   an item without one joins the person's matter whose grievance is most alike: the
   facts both name (``xinfang.facts``: case numbers in the text, sums, organizations,
   places, the other party, dates, asset, kind) weighed above the character-bigram
   Dice of the wording, and the days between them (a matter's items come within
   weeks; one months from all of them needs the facts), if alike enough; otherwise
   it opens a matter of its own. A numbered item may adopt a matter opened earlier
   without a number (a hotline call before the letter) the same way.

Items are processed in a fixed order (received time, channel, file, row), and
items already in the ledger keep their cases, so a day's batch and the whole
campaign at once give the same partition as long as the facts that decide a
join arrive with or before the items they join. Each decision is explained: rule,
score, the bar it was held against, the facts that decided (``evidence``) and the
item it was matched to; a near miss (a new matter although one came close) too.
"""

from __future__ import annotations

import bisect
import functools
import gc
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xinfang.facts import Facts, case_kinds
from xinfang.facts import compare as compare_facts
from xinfang.facts import extract as extract_facts
from xinfang.normalize.names import (
    id_sex,
    is_common_name,
    names_compatible,
    partial_fits,
    partial_name,
    surname_key,
)

__all__ = [
    "MAX_NAME_BLOCK",
    "MatchParams",
    "Plan",
    "TextIndex",
    "plan_matters",
    "text_similarity",
    "text_tokens",
]

# Phrases every petition carries: they say nothing about which matter it is. Their
# character bigrams are left out of the comparison.
STOP_PHRASES = [
    "来电人",
    "反映",
    "反应",
    "要求",
    "请求",
    "希望",
    "信访人",
    "来访人",
    "来信",
    "表示",
    "诉求",
    "问题",
    "情况",
    "人民法院",
    "法院",
    "本人",
    "我们",
    "一案",
    "案件",
    "有关",
    "相关",
    "关于",
    "目前",
    "至今",
    "现在",
    "已经",
    "尽快",
    "依法",
    "给予",
    "处理",
    "解决",
    "答复",
    "说法",
    "工单",
    "热线",
    "转办",
    "交办",
    "网上",
    "信访",
    "事项",
    "领导",
    "恳请",
    "同志",
    "您好",
    "你好",
    "此致",
    "敬礼",
]


_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万|千)?\s*元")


def _codes(chars: np.ndarray) -> np.ndarray:
    """Bigram codes of adjacent characters, 30 bits each (``_compact``: 15 bits a
    character): half the memory of two 21-bit code points, and the Python ints of a
    bigram set stay one digit."""
    compact = _compact(chars)
    return (compact[:-1] << 15) | compact[1:]


def _compact(cp: np.ndarray) -> np.ndarray:
    """The meaningful characters (``_word_chars``) numbered below 2**15, one to one:
    digits 0-9, letters 10-61, CJK from 0x3400 on 62-27709. Other characters get some
    number too; their bigrams are dropped."""
    cp = cp.astype(np.uint32)
    out = np.where(
        cp >= 0x3400,
        cp - np.uint32(0x3400 - 62),
        np.where(
            cp >= 0x61,
            cp - np.uint32(0x61 - 36),
            np.where(cp >= 0x41, cp - np.uint32(0x41 - 10), cp - np.uint32(0x30)),
        ),
    )
    return (out & np.uint32(0x7FFF)).astype(np.uint32)


def _word_chars(cp: np.ndarray) -> np.ndarray:
    """CJK ideographs, ASCII letters and digits: the characters that carry meaning."""
    return (
        ((cp >= 0x4E00) & (cp <= 0x9FFF))
        | ((cp >= 0x3400) & (cp <= 0x4DBF))
        | ((cp >= 0x30) & (cp <= 0x39))
        | ((cp >= 0x41) & (cp <= 0x5A))
        | ((cp >= 0x61) & (cp <= 0x7A))
    )


def _utf32(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32)


_STOP_CODES = np.unique(np.concatenate([_codes(_utf32(w)) for w in STOP_PHRASES if len(w) > 1]))


_TEXT_BLOCK = 50_000
"""Texts coded at once by ``TextIndex`` (its temporary arrays take ~60 bytes a character)."""


def _bigram_codes(parts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The bigram codes of these texts one after another (stop bigrams dropped), and
    how many each text has. A NUL between texts: no bigram spans two of them."""
    starts = np.zeros(len(parts), dtype=np.int64)
    if len(parts) > 1:
        lengths = np.fromiter((len(t) + 1 for t in parts[:-1]), np.int64, len(parts) - 1)
        np.cumsum(lengths, out=starts[1:])
    cp = _utf32("\x00".join(parts) + "\x00")
    if len(cp) < 2:
        return np.zeros(0, np.uint32), np.zeros(len(parts), np.int64)
    word = _word_chars(cp)
    ok = word[:-1] & word[1:]
    del word
    codes = _codes(cp)[ok]
    # drop the stop bigrams: a sorted lookup, not np.isin's pass per stop code
    hit = np.searchsorted(_STOP_CODES, codes)
    np.minimum(hit, len(_STOP_CODES) - 1, out=hit)
    keep = _STOP_CODES[hit] != codes
    del hit
    ok[ok] = keep  # the bigrams kept, by position
    # per text: the kept bigrams from its first character to the next text's
    kept = np.add.reduceat(np.append(ok, False).astype(np.int64), starts)
    return codes[keep], kept


class TextIndex:
    """Character-bigram sets of many texts, computed vectorized (a block of texts at a time).

    A bigram is two adjacent meaningful characters (punctuation breaks a run),
    encoded as one integer; bigrams of ``STOP_PHRASES`` are dropped. The sets and
    sums of money are built on first use and kept in lists indexed by text, and the
    pair scores are computed in loops over many pairs at once (``best``,
    ``any_reaches``): the matching asks for millions of them.
    """

    def __init__(self, texts: list[str | None]) -> None:
        parts = [t if isinstance(t, str) else "" for t in texts]
        codes: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        for lo in range(0, len(parts), _TEXT_BLOCK):  # a block at a time: bounded memory
            block_codes, block_counts = _bigram_codes(parts[lo : lo + _TEXT_BLOCK])
            codes.append(block_codes)
            counts.append(block_counts)
        self._codes = np.concatenate(codes) if codes else np.zeros(0, np.uint32)
        bounds = np.zeros(len(parts) + 1, dtype=np.int64)
        if parts:
            np.cumsum(np.concatenate(counts), out=bounds[1:])
        self._bounds = bounds.tolist()
        self._tok: list[frozenset[int] | None] = [None] * len(parts)
        self._amt: list[frozenset[int] | None] = [None] * len(parts)
        self._facts: list[Facts | None] = [None] * len(parts)
        self._texts = parts

    def forget(self, rows: Iterable[int]) -> None:
        """Drop what was built for these texts (bigram sets, sums, facts): a set costs
        about 3 KB, and each text is compared only within its name block and its
        person, so a million cached sets would hold gigabytes nobody reads again."""
        tok, amt, facts = self._tok, self._amt, self._facts
        for i in rows:
            tok[i] = amt[i] = facts[i] = None

    def has_tokens(self, i: int) -> bool:
        """Whether text ``i`` has any bigram (without building its set)."""
        return self._bounds[i + 1] > self._bounds[i]

    def amounts(self, i: int) -> frozenset[int]:
        """Sums of money the text names, in yuan ('35万元' -> 350000)."""
        a = self._amt[i]
        if a is None:
            text = self._texts[i]
            found = _AMOUNT.findall(text) if "元" in text else []
            a = self._amt[i] = (
                frozenset(
                    round(float(v) * (10_000 if unit == "万" else 1_000 if unit == "千" else 1))
                    for v, unit in found
                )
                if found
                else _EMPTY
            )
        return a

    def score(self, i: int, j: int, amount_weight: float, conflict: float | None = None) -> float:
        """How alike two grievances are: bigram Dice, raised when they name the same sum of
        money and lowered when both name sums and none is shared (another matter)."""
        return self.best(i, (j,), amount_weight, conflict)

    def best(
        self, i: int, others: Iterable[int], amount_weight: float, conflict: float | None = None
    ) -> float:
        """The highest ``score(i, j)`` over ``others`` (0.0 when there are none)."""
        tok, amt = self._tok, self._amt
        a = tok[i]
        if a is None:
            a = self.tokens(i)
        ma = amt[i]
        if ma is None:
            ma = self.amounts(i)
        pen = amount_weight if conflict is None else conflict
        na = len(a)
        top = 0.0
        for j in others:
            b = tok[j]
            if b is None:
                b = self.tokens(j)
            s = 2.0 * len(a & b) / (na + len(b)) if na and b else 0.0
            if amount_weight and ma:
                mb = amt[j]
                if mb is None:
                    mb = self.amounts(j)
                if mb:
                    s = min(1.0, s + amount_weight) if ma & mb else max(0.0, s - pen)
            if s > top:
                top = s
        return top

    def any_reaches(
        self,
        rows_a: list[int],
        rows_b: list[int],
        floor: float,
        bar: float,
        amount_weight: float,
        common: bool = False,
    ) -> bool:
        """Whether some pair has bigram Dice >= ``floor`` and score >= ``bar``, or names
        the same facts (``same_facts``). ``common``: a common name, for which only two
        particular facts in common count, never the wording."""
        tok = self._tok
        for i in rows_a:
            a = tok[i]
            if a is None:
                a = self.tokens(i)
            for j in rows_b:
                b = tok[j]
                if b is None:
                    b = self.tokens(j)
                if common:
                    if self.same_facts(i, j, strong_needed=3):
                        return True
                    continue
                if text_similarity(a, b) >= floor and self.score(i, j, amount_weight) >= bar:
                    return True
                if self.same_facts(i, j):
                    return True
        return False

    def same_facts(self, i: int, j: int, strong_needed: int = 1) -> bool:
        """Whether two grievances name the same particular facts (a case number, a sum,
        an organization, a person, a place, a day) and contradict none of them: two
        facts, or one and some wording in common (``strong_needed`` raises both)."""
        fa, fb = self.facts(i), self.facts(j)
        if fa.is_empty() or fb.is_empty():
            return False
        cmp = compare_facts(fa, fb, self._texts[i], self._texts[j])
        strong = [s for s in cmp.shared if s.split("=")[0] in _STRONG_SLOTS]
        if any(s.startswith("dates=") and len(s) < 16 for s in strong):
            strong = [s for s in strong if not s.startswith("dates=")]  # a month only
        if set(cmp.conflicts) & _STRONG_SLOTS:
            return False
        if len(strong) >= max(2, strong_needed):
            return True
        return (
            len(strong) >= strong_needed and text_similarity(self.tokens(i), self.tokens(j)) >= 0.1
        )

    def facts(self, i: int) -> Facts:
        f = self._facts[i]
        if f is None:
            f = self._facts[i] = extract_facts(self._texts[i])
        return f

    def matter_score(
        self,
        i: int,
        members: list[int],
        cases: tuple[str | None, str | None] = (None, None),
        told_cache: dict | None = None,
    ) -> tuple[float, str, int | None]:
        """How alike text ``i`` is to a matter told by ``members``: the best bigram Dice
        with one member plus the facts (``xinfang.facts.compare``) it shares with or
        contradicts in all of them; with the evidence and the closest member.

        ``told_cache``: the matter's own dict, where its facts and text are kept while
        its members and case number stay (each new item of a person is held against
        each of its matters: without it the union was rebuilt every time)."""
        a = self.tokens(i)
        na = len(a)
        dice, closest = 0.0, members[0] if members else None
        for j in members:
            b = self.tokens(j)
            s = 2.0 * len(a & b) / (na + len(b)) if na and b else 0.0
            if s > dice:
                dice, closest = s, j
        mine = _with_case(self.facts(i), cases[0])
        theirs, told = self._told(members, cases[1], told_cache)
        cmp = compare_facts(mine, theirs, self._texts[i], told)
        parts = [f"text={dice:.2f}", *cmp.shared]
        if cmp.conflicts:
            parts.append("differ=" + ",".join(cmp.conflicts))
        return dice + cmp.score, "; ".join(parts), closest

    def _told(
        self, members: list[int], case_number: str | None, cache: dict | None
    ) -> tuple[Facts, str]:
        """The facts a matter's ``members`` tell (with its case number) and their texts.

        With ``cache``, a matter that grew since (its old members a prefix of the new
        ones) adds only its new members' facts and texts to what was kept: the union
        of sets and the joined text are the same as built afresh."""
        # (members only grow, at the end: the first, the last and the count tell the state)
        key = (len(members), members[0], members[-1], case_number) if members else None
        if cache is None or key is None:
            union = _union_facts([self.facts(j) for j in members])
            return _with_case(union, case_number), "\n".join(self._texts[j] for j in members)
        if cache.get("key") == key:
            return cache["facts"], cache["told"]
        rows: list[int] | None = cache.get("rows")
        n = len(rows) if rows is not None else 0
        if rows is not None and n <= len(members) and members[:n] == rows:
            union, told = cache["union"], cache["told_rows"]
            for j in members[n:]:
                union = _union_two(union, self.facts(j))
                told = told + "\n" + self._texts[j]
        else:
            union = _union_facts([self.facts(j) for j in members])
            told = "\n".join(self._texts[j] for j in members)
        facts = _with_case(union, case_number)
        cache.update(
            key=key, facts=facts, told=told, rows=list(members), union=union, told_rows=told
        )
        return facts, told

    def tokens(self, i: int) -> frozenset[int]:
        t = self._tok[i]
        if t is None:
            a, b = self._bounds[i], self._bounds[i + 1]
            t = self._tok[i] = frozenset(self._codes[a:b].tolist()) if b > a else _EMPTY
        return t


_EMPTY: frozenset[int] = frozenset()


def _union_facts(facts: list[Facts]) -> Facts:
    if len(facts) == 1:
        return facts[0]
    return Facts(**{slot: frozenset().union(*(getattr(f, slot) for f in facts)) for slot in _SLOTS})


def _union_two(a: Facts, b: Facts) -> Facts:
    """``_union_facts([a, b])``: a slot empty on one side is the other's set as it is
    (most slots of most texts are empty)."""
    if a is b:
        return a
    changed = False
    merged = []
    for slot in _SLOTS:
        va, vb = getattr(a, slot), getattr(b, slot)
        if vb and not vb <= va:
            va = va | vb if va else vb
            changed = True
        merged.append(va)
    return Facts(*merged) if changed else a


def _with_case(facts: Facts, case_number: str | None) -> Facts:
    """The facts with the item's or matter's own case number among the ones named."""
    if not case_number or case_number in facts.cases:
        return facts
    slots = [getattr(facts, slot) for slot in _SLOTS]  # (dataclasses.replace is slower)
    slots[_CASES] = facts.cases | {case_number}
    slots[_KINDS] = facts.kinds | _case_kinds(case_number)
    return Facts(*slots)


@functools.lru_cache(maxsize=4_096)
def _case_kinds(case_number: str) -> frozenset[str]:
    """``facts.case_kinds``, once per case number while its person is decided (a
    matter's number is held against each item of its person); the few distinct sets
    shared, not one per number kept."""
    kinds = case_kinds(case_number)
    return _KIND_SETS.setdefault(kinds, kinds)


_KIND_SETS: dict[frozenset[str], frozenset[str]] = {}


_SLOTS = tuple(Facts.__dataclass_fields__)
_CASES, _KINDS = _SLOTS.index("cases"), _SLOTS.index("kinds")
_STRONG_SLOTS = frozenset({"cases", "money", "orgs", "people", "officials", "places", "dates"})


def text_tokens(text: str | None) -> frozenset[int]:
    """The bigram set of one text (see ``TextIndex``)."""
    return TextIndex([text]).tokens(0)


def text_similarity(a: frozenset[int], b: frozenset[int]) -> float:
    """Dice coefficient of two bigram sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return 2.0 * len(a & b) / (len(a) + len(b))


@dataclass(frozen=True)
class MatchParams:
    """Tunable thresholds (``dedup`` in the config overrides the defaults)."""

    text_threshold: float = 0.30
    """Score (bigram Dice plus the weighed facts, ``TextIndex.matter_score``) an
    unnumbered item needs to join a matter of the same person."""
    text_threshold_single: float = 0.05
    """Lower bar when the person has exactly one matter so far: paraphrased hotline
    summaries share few bigrams with the letter they repeat."""
    name_text_threshold: float = 0.45
    """Bigram Dice at which two items of one uncommon name (no ID or phone in common) are
    taken for one person telling one grievance."""
    lead_margin: float = 0.15
    """With several matters, the best one joins at ``text_threshold - lead_margin`` when it
    scores this much above the next: the item tells which of them it is about."""
    amount_weight: float = 0.25
    """Rule 4's text score: added when two grievances name the same sum of money, taken
    off when both name sums and none is shared."""
    recent_days: int = 45
    """An item weighed against a matter (no case number decides it) received within this
    many days of one of the matter's items, before or after, scores ``recent_weight``
    more for it (``_Assigner._timed``)."""
    recent_weight: float = 0.10
    stale_days: int = 120
    """An item received more than this many days from every item of a matter scores
    ``stale_weight`` less for it: a person's other matter, months later, is often told
    in the same words; the same facts still join it."""
    stale_weight: float = 0.50
    max_texts_per_matter: int = 12
    """Texts of a matter compared with a new item (the earliest and the latest ones)."""
    workers: int = 0
    """Processes for the matching of a big batch (``assign_cases``); 0 (the default):
    one per core, up to two, for a batch of up to ``parallel_max_items`` items (new ones
    and the ledger's candidates), one above. Forked workers copy the pages of the items
    they touch: at 1M items two processes hold 3.1 GiB against 1.96 for one, at 300k
    1.1 GiB; two save 10-15% of the time (docs/settings.md, bench/README)."""
    parallel_max_items: int = 400_000
    """The biggest batch matched in two processes when ``workers`` is 0: the process
    tree stays under 2 GiB."""

    def processes(self, items: int) -> int:
        """How many processes match a batch of ``items`` items (``workers``)."""
        if self.workers:
            return self.workers
        return min(2, os.cpu_count() or 1) if items <= self.parallel_max_items else 1

    @classmethod
    def from_config(cls, raw: dict | None) -> MatchParams:
        raw = raw or {}
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        return cls(**known)


class _UnionFind:
    """Union-find whose roots remember one ID number; two IDs never join."""

    __slots__ = ("idn", "parent")

    def __init__(self, ids: list[str | None]) -> None:
        self.parent = list(range(len(ids)))
        self.idn = list(ids)

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int, force: bool = False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ia, ib = self.idn[ra], self.idn[rb]
        if ia and ib and ia != ib and not force:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        if not self.idn[ra]:
            self.idn[ra] = self.idn[rb]
        return True


@dataclass
class Plan:
    """The outcome for the new items of one run.

    ``target``: per new item (by position in the input), an existing case_id (>= 0)
    or ``-(k + 1)`` for new matter k. ``adopt``: existing caseless cases that take on
    a case number. ``rule``/``score``/``matched``: the explanation.
    """

    item_pos: np.ndarray
    target: np.ndarray
    rule: list[str]
    score: list[float | None]
    matched: list[int | None]
    n_new: int
    adopt: dict[int, str] = field(default_factory=dict)
    person: np.ndarray | None = None
    merges: dict[int, int] = field(default_factory=dict)
    """Ledger cases found to be one matter with another: case_id -> surviving case_id."""
    threshold: list[float | None] | None = None
    """Per item, the bar a facts-and-text score was held against (None: decided by an
    identifier or a case number)."""
    evidence: list[str | None] | None = None
    """Per item, the facts that decided a join or a near miss ('text=0.12; money=…')."""


def _edges_by_key(df: pd.DataFrame, cols: list[str]) -> Iterable[tuple[int, int]]:
    """(first, other) position pairs of rows sharing all of ``cols`` (nulls never match)."""
    sub = df.dropna(subset=cols)
    if sub.empty:
        return []
    first = sub.groupby(cols, sort=False)["pos"].transform("min")
    mask = first.to_numpy() != sub["pos"].to_numpy()
    return zip(first.to_numpy()[mask].tolist(), sub["pos"].to_numpy()[mask].tolist(), strict=True)


def _roots(uf: _UnionFind) -> np.ndarray:
    """Every element's root, by pointer jumping over the whole parent array at once."""
    parent = np.asarray(uf.parent, dtype=np.int64)
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent = grand


MAX_NAME_BLOCK = 60
"""Most rows of one uncommon name that rule 4 compares (a bigger block is skipped)."""
PARALLEL_MIN = 50_000
"""Fewest new items for which ``plan_matters(workers=N)`` forks."""


def _one_person(keys: set[str]) -> bool:
    """Whether name keys can all be one person's, two by two (``names_compatible``)."""
    return all(names_compatible(a, b) for a in keys for b in keys)


def _join_on_phone(uf: _UnionFind, grp: pd.DataFrame, sexes: list[str]) -> None:
    """Rule 2 for a phone with several names: join those that can be one person.

    Full names join when compatible. A partial name (surname and honorific) joins the
    full names of its surname and sex when they are all one person, never two of
    them; with no such full name it joins the partial names of its surname and sex.
    Unnamed rows join when every name on the phone can be one person.
    """
    rows = list(
        zip(grp["pos"].tolist(), grp["name_key"].tolist(), grp["partial"].tolist(), strict=True)
    )
    named = [(p, k) for p, k, _ in rows if isinstance(k, str)]
    for i, (pa, ka) in enumerate(named):
        for pb, kb in named[i + 1 :]:
            if names_compatible(ka, kb):
                uf.union(pa, pb)
    partials = [(p, s) for p, _, s in rows if isinstance(s, tuple)]
    for i, (pa, (surname, sex)) in enumerate(partials):
        fits = [(p, k) for p, k in named if partial_fits(surname, sex, k, sexes[p])]
        if fits:
            if _one_person({k for _, k in fits}):
                uf.union(fits[0][0], pa)
            continue
        for pb, sb in partials[i + 1 :]:
            if _partials_fit((surname, sex), sb):
                uf.union(pa, pb)
    # the unnamed rows: with the one person the phone's names can be, if any
    keys = {k for _, k in named}
    anchor = None
    if named and _one_person(keys):
        if all(any(partial_fits(*s, k) for k in keys) for _, s in partials):
            anchor = named[0][0]  # (else another person's partial name shares the phone)
    elif not named and partials and len({s[0] for _, s in partials}) == 1:
        anchor = partials[0][0]
    if anchor is not None:
        for p, k, s in rows:
            if not isinstance(k, str) and not isinstance(s, tuple):
                uf.union(anchor, p)


def _join_partial_on_case_number(uf: _UnionFind, df: pd.DataFrame) -> None:
    partial = df.dropna(subset=["partial", "case_number"])
    if partial.empty:
        return
    named = df.dropna(subset=["name_key", "case_number"])
    named = named[named["case_number"].isin(set(partial["case_number"])).to_numpy()]
    by_case: dict[str, list[tuple[int, str, str]]] = {}
    for p, k, cn, sex in zip(
        named["pos"].tolist(),
        named["name_key"].tolist(),
        named["case_number"].tolist(),
        named["sex"].tolist(),
        strict=True,
    ):
        by_case.setdefault(cn, []).append((p, k, sex))
    for p, (surname, sex), cn in zip(
        partial["pos"].tolist(),
        partial["partial"].tolist(),
        partial["case_number"].tolist(),
        strict=True,
    ):
        fits = [(q, k) for q, k, x in by_case.get(cn, ()) if partial_fits(surname, sex, k, x)]
        if fits and _one_person({k for _, k in fits}):
            uf.union(fits[0][0], p)


def _partials_fit(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Two partial names (('wang', 'm'), ('wang', '')) that can be one person."""
    (sa, xa), (sb, xb) = a, b
    return sa == sb and (not xa or not xb or xa == xb)


def _persons(
    df: pd.DataFrame,
    texts: TextIndex | None = None,
    name_text_threshold: float = 2.0,
    amount_weight: float = 0.0,
    skip_names: set[str] | frozenset[str] | None = None,
) -> np.ndarray:
    """Person label (root position) of every row; see the module doc for the rules.

    ``skip_names``: name keys left out of rule 4 (known to be too frequent)."""
    ids = df["id_number"].tolist()
    uf = _UnionFind([i if isinstance(i, str) and i else None for i in ids])
    # 0. items already in one case are one person (or one group) by the ledger's word.
    old = df[df["case_id"] >= 0]
    for a, b in _edges_by_key(old, ["case_id"]):
        uf.union(a, b, force=True)
    # 1. the same ID number.
    for a, b in _edges_by_key(df, ["id_number"]):
        uf.union(a, b)
    # 2. the same phone, compatible names (a partial name, 王先生, fits its surname).
    ph = df.dropna(subset=["phone"])
    if not ph.empty:
        nkeys = ph.groupby("phone", sort=False)["name_key"].nunique()
        partial = ph.groupby("phone", sort=False)["partial"].count()
        tangled = (ph["phone"].map(nkeys).to_numpy() > 1) | (
            ph["phone"].map(partial).to_numpy() > 0
        )
        for a, b in _edges_by_key(ph[~tangled], ["phone"]):
            uf.union(a, b)
        sexes = df["sex"].tolist()
        for _, grp in ph[tangled].groupby("phone", sort=False):
            _join_on_phone(uf, grp, sexes)
    # 3. the same name key and case number (a common name too: with a case number it
    #    is no longer a name alone; the other party of a lawsuit has another name).
    for a, b in _edges_by_key(df, ["name_key", "case_number"]):
        uf.union(a, b)
    # 3b. a partial name (王先生) with a case number: the one person of that surname
    #     and sex on the case number, if just one.
    _join_partial_on_case_number(uf, df)
    # 4. the same uncommon name telling the same grievance (nearly word for word): a
    #    petitioner writing from another phone without the ID number.
    #    A common name (张伟) joins only on two particular facts in common.
    if texts is not None and name_text_threshold <= 1.0:
        rare = df.dropna(subset=["name_key"])
        if skip_names:
            rare = rare[~rare["name_key"].isin(list(skip_names)).to_numpy()]
        sizes = rare.groupby("name_key", sort=False)["pos"].transform("size").to_numpy()
        rare = rare[(sizes > 1) & (sizes <= MAX_NAME_BLOCK)]
        snapshot = _roots(uf)  # roots before this rule; unions below go through find()
        codes = pd.factorize(rare["name_key"])[0]
        order = np.argsort(codes, kind="stable")
        cuts = np.flatnonzero(np.diff(codes[order])) + 1
        rpos = rare["pos"].to_numpy()[order]
        is_common = df["common"].to_numpy()
        shared = _names_of_several_ids(rare)
        nkeys = df["name_key"].tolist()
        for pos in (chunk.tolist() for chunk in np.split(rpos, cuts)):
            if not pos:
                continue  # (no names in the block at all)
            common = bool(is_common[pos[0]])
            # a name the data shows borne by several people joins on facts, not words
            wording = 2.0 if nkeys[pos[0]] in shared else name_text_threshold
            by_root: dict[int, list[int]] = {}
            for a in pos:
                if texts.has_tokens(a):
                    by_root.setdefault(int(snapshot[a]), []).append(a)
            if len(by_root) < 2:
                continue
            # compare people, not items: a few texts of each, skipping pairs whose
            # ID numbers already tell them apart
            people = [
                (r, [rows[0], rows[-1]] if len(rows) > 1 else rows) for r, rows in by_root.items()
            ]
            floor = wording - amount_weight  # Dice below it cannot reach the bar
            # a person's ID number, once known, never changes (unions join only equal or
            # missing ones): pairs with two different ones are skipped without a find()
            known = [uf.idn[uf.find(r)] for r, _ in people]
            for i, (ra, rows_a) in enumerate(people):
                ka = known[i]
                for j in range(i + 1, len(people)):
                    kb = known[j]
                    if ka and kb and ka != kb:
                        continue
                    rb, rows_b = people[j]
                    fa, fb = uf.find(ra), uf.find(rb)
                    if fa == fb:
                        continue
                    ia, ib = uf.idn[fa], uf.idn[fb]
                    if ia and ib and ia != ib:
                        continue
                    if texts.any_reaches(rows_a, rows_b, floor, wording, amount_weight, common):
                        uf.union(fa, fb)
            texts.forget(pos)
    return _roots(uf)


SHARED_NAME_IDS = 2
"""Different ID numbers a name key must be seen with in the data for rule 4 to take it
for a name shared by several people: then only the facts of the grievances join on
it (``TextIndex.same_facts``), never the wording alone."""


def _names_of_several_ids(rows: pd.DataFrame) -> set[str]:
    """Name keys that ``SHARED_NAME_IDS`` or more different ID numbers bear among
    ``rows``: a name the data itself shows shared by several people, whatever the
    national list of common names says (the term frequency of Fellegi-Sunter and
    Splink: how rare a name is, measured where it is matched). Counted in ID numbers,
    the one identifier two people never share; the ledger's rows of the name are read
    with the batch (``ledger._CaseLookup.by_uncommon_name``), so a day's batch and the
    whole campaign count alike."""
    known = rows.dropna(subset=["id_number"])
    if known.empty:
        return set()
    ids = known.groupby("name_key", sort=False)["id_number"].nunique()
    return set(ids.index[ids.to_numpy() >= SHARED_NAME_IDS])


@dataclass
class _Matter:
    key: int  # existing case_id (>= 0) or -(k + 1) for a new matter
    case_number: str | None
    members: list[int]
    first_by_id: dict[str, int] = field(default_factory=dict)
    first_by_phone: dict[str, int] = field(default_factory=dict)
    first_by_name: dict[str, int] = field(default_factory=dict)
    adopted: bool = False  # took on a case number it did not have
    told: dict = field(default_factory=dict)  # TextIndex.matter_score's cache
    days: list[int] = field(default_factory=list)  # its items' days of receipt, sorted


def _days(df: pd.DataFrame) -> list[int | None]:
    """Each row's day of receipt (days since 1970-01-01; None when unknown)."""
    if "received_at" not in df:
        return [None] * len(df)
    at = pd.to_datetime(df["received_at"], errors="coerce")
    if at.dt.tz is not None:
        at = at.dt.tz_localize(None)  # the local day it was received
    at = at.to_numpy()
    days = at.astype("datetime64[D]").astype(np.int64).tolist()
    return [None if bad else d for d, bad in zip(days, np.isnat(at).tolist(), strict=True)]


def _mark_partial_names(df: pd.DataFrame) -> None:
    """Add ``partial`` (('wang', 'm') for 王先生: the surname's key and the sex) and
    ``sex`` (from the ID number) columns; a partial name's ``name_key`` is cleared: it
    never identifies anybody by itself."""
    names = df["petitioner_name"].tolist() if "petitioner_name" in df else [None] * len(df)
    partial: list[tuple[str, str] | None] = []
    for n in names:
        got = partial_name(n) if isinstance(n, str) and len(n) <= 8 else None
        partial.append((surname_key(got[0]), got[1]) if got else None)
    df["partial"] = pd.Series(partial, index=df.index, dtype=object)
    df["sex"] = [id_sex(i) if isinstance(i, str) else "" for i in df["id_number"].tolist()]
    if any(p is not None for p in partial):
        keys = df["name_key"].tolist()
        df["name_key"] = pd.Series(
            [None if p is not None else k for p, k in zip(partial, keys, strict=True)],
            index=df.index,
            dtype=object,
        )


def plan_matters(
    items: pd.DataFrame,
    params: MatchParams | None = None,
    cannot_link: dict[int, set[int]] | None = None,
    workers: int = 1,
    skip_names: set[str] | frozenset[str] | None = None,
) -> Plan:
    """Assign every new row of ``items`` to an existing case or a new matter (see
    ``_plan_matters``).

    The objects already there (the items read, millions of strings) are frozen out of
    the garbage collector meanwhile: none of them is garbage, and each full collection
    would walk them all again while the matching allocates its sets."""
    gc.freeze()
    try:
        return _plan_matters(items, params, cannot_link, workers, skip_names)
    finally:
        gc.unfreeze()


def _plan_matters(
    items: pd.DataFrame,
    params: MatchParams | None = None,
    cannot_link: dict[int, set[int]] | None = None,
    workers: int = 1,
    skip_names: set[str] | frozenset[str] | None = None,
) -> Plan:
    """Assign every new row of ``items`` to an existing case or a new matter.

    ``items`` columns: item_id, case_id (existing case, -1 for a new item),
    case_case_number (the existing case's case number), id_number, phone, name_key,
    case_number, content_normalized; rows in processing order (existing rows first
    or interleaved: only the order of new rows matters). ``cannot_link``: item_id ->
    item_ids it must never share a case with (manual splits). ``workers`` > 1 splits
    the persons over forked processes for big batches (same result). ``skip_names``:
    uncommon name keys borne by more than ``MAX_NAME_BLOCK`` items counting the ledger
    rows not passed in (rule 4 would skip them had they all been passed).
    """
    params = params or MatchParams()
    cannot_link = cannot_link or {}
    df = items.reset_index(drop=True).copy()
    df["pos"] = np.arange(len(df), dtype=np.int64)
    for col in ("id_number", "phone", "name_key", "case_number", "case_case_number"):
        if col in df:
            vals = [v if isinstance(v, str) and v else None for v in df[col].tolist()]
            df[col] = pd.Series(vals, index=df.index, dtype=object)
    _mark_partial_names(df)
    common_cache: dict[str, bool] = {}
    common = []
    for k in df["name_key"].tolist():
        if not isinstance(k, str):
            common.append(True)
            continue
        c = common_cache.get(k)
        if c is None:
            c = common_cache[k] = is_common_name_key(k)
        common.append(c)
    df["common"] = common
    text_index = TextIndex(df["content_normalized"].tolist())
    person = _persons(df, text_index, params.name_text_threshold, params.amount_weight, skip_names)

    case_ids = df["case_id"].to_numpy()
    new_mask = case_ids < 0
    new_pos = np.flatnonzero(new_mask)
    # rows per person, in input order; only persons with a new item need work
    order = np.argsort(person, kind="stable")
    bounds = np.flatnonzero(np.diff(person[order])) + 1
    has_new = np.add.reduceat(new_mask[order].astype(np.int64), np.r_[0, bounds]) > 0
    groups = [g for g, h in zip(np.split(order, bounds), has_new.tolist(), strict=True) if h]

    global _WORK
    _WORK = _Assigner(df, params, cannot_link, text_index)
    try:
        if workers > 1 and len(new_pos) >= PARALLEL_MIN and len(groups) > 1:
            import multiprocessing as mp

            ctx = mp.get_context("fork")
            cut = np.linspace(0, len(groups), workers + 1).astype(int)
            parts = [groups[cut[i] : cut[i + 1]] for i in range(workers)]
            # the workers read the parent's objects in place (fork): frozen, the
            # collector never writes to them, so their pages stay shared
            gc.freeze()
            with ctx.Pool(workers) as pool:
                results = pool.map(_run_part, parts)
        else:
            results = [_WORK.run(groups)]
    finally:
        _WORK = None

    slot = np.full(len(df), -1, dtype=np.int64)
    slot[new_pos] = np.arange(len(new_pos))
    target = np.empty(len(new_pos), dtype=np.int64)
    rule: list[str] = [""] * len(new_pos)
    score: list[float | None] = [None] * len(new_pos)
    matched: list[int | None] = [None] * len(new_pos)
    threshold: list[float | None] = [None] * len(new_pos)
    evidence: list[str | None] = [None] * len(new_pos)
    adopt: dict[int, str] = {}
    merges: dict[int, int] = {}
    n_new = 0
    for res in results:
        pos, tgt, rl, sc, mt, ad, nn, mg, br, ev = res
        merges.update(mg)
        tgt = np.asarray(tgt, dtype=np.int64)
        tgt = np.where(tgt < 0, tgt - n_new, tgt)  # new matters numbered across parts
        idx = slot[np.asarray(pos, dtype=np.int64)]
        target[idx] = tgt
        for i, r, s_, m_, b_, e_ in zip(idx.tolist(), rl, sc, mt, br, ev, strict=True):
            rule[i], score[i], matched[i], threshold[i], evidence[i] = r, s_, m_, b_, e_
        adopt.update(ad)
        n_new += nn
    return Plan(
        item_pos=new_pos,
        target=target,
        rule=rule,
        score=score,
        matched=matched,
        n_new=n_new,
        adopt=adopt,
        person=person,
        merges=merges,
        threshold=threshold,
        evidence=evidence,
    )


_WORK: _Assigner | None = None


def _run_part(groups: list[np.ndarray]) -> tuple:
    assert _WORK is not None
    return _WORK.run(groups)


class _Assigner:
    """The matter decisions for the persons with new items (see ``plan_matters``)."""

    def __init__(
        self,
        df: pd.DataFrame,
        params: MatchParams,
        cannot_link: dict[int, set[int]],
        text_index: TextIndex | None = None,
    ) -> None:
        self.params = params
        self.cannot_link = cannot_link
        self.item_ids = df["item_id"].astype(np.int64).tolist()
        self.case_ids = df["case_id"].astype(np.int64).tolist()
        self.idn = df["id_number"].tolist()
        self.phones = df["phone"].tolist()
        self.nkeys = df["name_key"].tolist()
        self.cns = df["case_number"].tolist()
        self.ccn = df["case_case_number"].tolist() if "case_case_number" in df else [None] * len(df)
        self.texts = text_index or TextIndex(df["content_normalized"].tolist())
        self.days = _days(df)

    def add_member(self, m: _Matter, p: int) -> None:
        m.members.append(p)
        day = self.days[p]
        if day is not None:
            bisect.insort(m.days, day)
        if self.idn[p]:
            m.first_by_id.setdefault(self.idn[p], p)
        if self.phones[p]:
            m.first_by_phone.setdefault(self.phones[p], p)
        if self.nkeys[p] and self.cns[p]:
            m.first_by_name.setdefault(self.nkeys[p] + "|" + self.cns[p], p)

    def explain(self, m: _Matter, p: int) -> tuple[str, int | None]:
        idn, ph, nk, cn = self.idn[p], self.phones[p], self.nkeys[p], self.cns[p]
        if idn and idn in m.first_by_id:
            return "id_number", m.first_by_id[idn]
        if ph and ph in m.first_by_phone:
            return "phone_name", m.first_by_phone[ph]
        if nk and cn and (nk + "|" + cn) in m.first_by_name:
            return "name_case_number", m.first_by_name[nk + "|" + cn]
        return "same_person", m.members[0] if m.members else None

    def blocked(self, m: _Matter, p: int) -> bool:
        if not self.cannot_link:
            return False
        ids, cl = self.item_ids, self.cannot_link
        banned = cl.get(ids[p])
        if banned and any(ids[q] in banned for q in m.members):
            return True
        return any(ids[p] in cl.get(ids[q], ()) for q in m.members)

    def _timed(self, p: int, m: _Matter, s: float, evidence: str) -> tuple[float, str]:
        """The score raised for a matter told in the days around row ``p``'s and lowered
        for one whose items are all months away from it: one matter's items come in a
        run (the letter, the call, the referral within weeks), and a person's next
        matter months or years later, often in the same words. An item of the matter
        within ``recent_days``: + ``recent_weight``; none within ``stale_days``: -
        ``stale_weight`` (the same facts still join, the same words no longer)."""
        day, days = self.days[p], m.days
        if day is None or not days:
            return s, evidence
        at = bisect.bisect_left(days, day)  # the nearest of its days, either side
        gap = min(abs(days[i] - day) for i in (at - 1, at) if 0 <= i < len(days))
        params = self.params
        if gap <= params.recent_days:
            return s + params.recent_weight, f"{evidence}; recent={gap}d"
        if gap > params.stale_days:
            return s - params.stale_weight, f"{evidence}; stale={gap}d"
        return s, evidence

    def best_text(
        self, ms: list[_Matter], p: int
    ) -> tuple[_Matter | None, float, str, int | None, float]:
        """The matter of ``ms`` whose grievance is most like row ``p``'s: (matter, score,
        evidence, closest member, the runner-up's score). The score is the text's bigram
        Dice with the closest member plus the weighed facts (``xinfang.facts``) the
        matter's texts share with it or contradict."""
        best: tuple[_Matter | None, float, str, int | None] = (None, -9.0, "", None)
        second = -9.0
        k = self.params.max_texts_per_matter
        for m in ms:
            mem = m.members if len(m.members) <= k else m.members[: k // 2] + m.members[-k // 2 :]
            s, evidence, q = self.texts.matter_score(p, mem, (self.cns[p], m.case_number), m.told)
            s, evidence = self._timed(p, m, s, evidence)
            if s > best[1]:
                second = best[1]
                best = (m, s, evidence, q)
            elif s > second:
                second = s
        return (*best, second)

    def decide(self, news: list[int], matters: list[_Matter]) -> list[tuple]:
        """Place each new row in one of ``matters`` (extended in place with new matters,
        key 0 until numbered): numbered rows first, then the unnumbered ones.

        Returns (row, matter, rule, score, matched row) per row, in the order decided.
        """
        params, cns = self.params, self.cns
        idn, phones, nkeys = self.idn, self.phones, self.nkeys
        out: list[tuple] = []
        first_score = -9.0

        def new_matter(p: int, cn: str | None, why: str, near: tuple | None = None) -> None:
            if not idn[p] and not phones[p] and not nkeys[p]:
                why = "new_case:no_identity"
            m = _Matter(0, cn, [])
            matters.append(m)
            if near is None:
                out.append((p, m, why, None, None, None, None))
            else:  # a near miss: the closest matter it did not join, for review
                s, q, bar_, evidence = near
                out.append((p, m, why, round(s, 4), q, bar_, evidence))
            self.add_member(m, p)

        def join(
            m: _Matter, p: int, matter_rule: str, s: float | None, bar_=None, evidence=None
        ) -> None:
            why, q = self.explain(m, p)
            out.append((p, m, f"{why}+{matter_rule}", s, q, bar_, evidence))
            self.add_member(m, p)

        def bar(second: float = -9.0) -> float:
            """One matter so far: little evidence suffices. Several: the bar, unless the
            best is far ahead of the next (the item tells which of them it is about)."""
            if len(matters) == 1:
                return params.text_threshold_single
            if first_score - second >= params.lead_margin:
                return max(params.text_threshold_single, params.text_threshold - params.lead_margin)
            return params.text_threshold

        for p in news:
            cn = cns[p]
            if not cn:
                continue
            same = [m for m in matters if m.case_number == cn and not self.blocked(m, p)]
            if same:
                join(same[0], p, "case_number", 1.0)
                continue
            open_ = [m for m in matters if m.case_number is None and not self.blocked(m, p)]
            near = None
            if open_:
                m, s, evidence, q, second = self.best_text(open_, p)
                first_score = s
                if m is not None and s >= bar(second):
                    m.case_number = cn
                    m.adopted = True
                    join(m, p, "facts", round(s, 4), bar(second), evidence)
                    continue
                if m is not None:
                    near = (s, q, bar(second), evidence)
            new_matter(p, cn, "new_case:other_case_number" if matters else "new_case", near)
        for p in news:
            if cns[p]:
                continue
            cands = [m for m in matters if not self.blocked(m, p)]
            if cands:
                m, s, evidence, q, second = self.best_text(cands, p)
                first_score = s
                if m is not None and s >= bar(second):
                    join(m, p, "facts", round(s, 4), bar(second), evidence)
                    continue
                near = (s, q, bar(second), evidence) if m is not None else None
                new_matter(p, None, "new_case:other_grievance", near)
            else:
                new_matter(p, None, "new_case")
        return out

    def run(self, groups: list[np.ndarray]) -> tuple:
        """Decide every new row of these persons; new matters numbered -1, -2, ...

        A person with items in two or more ledger cases (a new item bridged them) is
        decided afresh over all its items, as if loaded at once; ledger cases that land
        in one matter are merged into the oldest (``merges``), never split.
        """
        out = _Decisions(self.item_ids)
        idn, phones, nkeys = self.idn, self.phones, self.nkeys
        for g in groups:
            rows = g.tolist()
            if len(rows) == 1:  # the common case: a person seen once
                p = rows[0]
                no_id = not idn[p] and not phones[p] and not nkeys[p]
                out.emit(p, out.new_key(), "new_case:no_identity" if no_id else "new_case")
            elif len({self.case_ids[p] for p in rows if self.case_ids[p] >= 0}) >= 2:
                self._decide_bridged(rows, out)
            else:
                self._decide_person(rows, out)
            self.texts.forget(rows)
        return out.as_tuple()

    def _decide_person(self, rows: list[int], out: _Decisions) -> None:
        """A person with at most one ledger case: the new rows join it or open new ones."""
        matters: list[_Matter] = []
        by_case: dict[int, _Matter] = {}
        news: list[int] = []
        for p in rows:
            c = self.case_ids[p]
            if c < 0:
                news.append(p)
                continue
            m = by_case.get(c)
            if m is None:
                cn0 = self.ccn[p] if isinstance(self.ccn[p], str) else None
                m = by_case[c] = _Matter(c, cn0, [])
                matters.append(m)
            self.add_member(m, p)
        for p, m, rule, score, q, bar, evidence in self.decide(news, matters):
            if m.key == 0:
                m.key = out.new_key()
            if m.key >= 0 and m.adopted:
                out.adopt[m.key] = m.case_number
            out.emit(p, m.key, rule, score, q, bar, evidence)

    def _decide_bridged(self, rows: list[int], out: _Decisions) -> None:
        """A person whose new items bridge two or more ledger cases: decided afresh over
        all its items, then mapped onto the ledger cases (those of one matter merged)."""
        case_ids = self.case_ids
        fresh: list[_Matter] = []
        decisions = self.decide(rows, fresh)
        parent = {id(m): id(m) for m in fresh}

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        seen_case: dict[int, int] = {}
        for m in fresh:
            for c in (case_ids[q] for q in m.members if case_ids[q] >= 0):
                if c not in seen_case:
                    seen_case[c] = id(m)
                elif (ra := find(seen_case[c])) != (rb := find(id(m))):
                    parent[rb] = ra
        comp_cases: dict[int, set[int]] = {}
        for m in fresh:
            comp_cases.setdefault(find(id(m)), set()).update(
                case_ids[q] for q in m.members if case_ids[q] >= 0
            )
        comp_key: dict[int, int] = {}
        for root, cases in comp_cases.items():
            if cases:
                comp_key[root] = survivor = min(cases)
                out.merges.update({c: survivor for c in cases if c != survivor})
        for p, m, rule, score, q, bar, evidence in decisions:
            if case_ids[p] >= 0:
                continue
            root = find(id(m))
            if root not in comp_key:
                comp_key[root] = out.new_key()
            key = comp_key[root]
            if key >= 0 and m.case_number:
                out.adopt.setdefault(key, m.case_number)  # kept only where none yet
            out.emit(p, key, rule, score, q, bar, evidence)


@dataclass
class _Decisions:
    """What ``_Assigner.run`` decided, column by column (positions, targets, rules…)."""

    item_ids: list[int]
    pos: list[int] = field(default_factory=list)
    target: list[int] = field(default_factory=list)
    rule: list[str] = field(default_factory=list)
    score: list[float | None] = field(default_factory=list)
    matched: list[int | None] = field(default_factory=list)
    bar: list[float | None] = field(default_factory=list)
    evidence: list[str | None] = field(default_factory=list)
    adopt: dict[int, str] = field(default_factory=dict)
    """ledger case -> the case number it adopts"""
    merges: dict[int, int] = field(default_factory=dict)
    """ledger case -> the case it is merged into"""
    n_new: int = 0

    def new_key(self) -> int:
        self.n_new += 1
        return -self.n_new

    def emit(
        self,
        p: int,
        key: int,
        rule: str,
        score: float | None = None,
        q: int | None = None,
        bar: float | None = None,
        evidence: str | None = None,
    ) -> None:
        self.pos.append(p)
        self.target.append(key)
        self.rule.append(rule)
        self.score.append(score)
        self.matched.append(self.item_ids[q] if q is not None else None)
        self.bar.append(bar)
        self.evidence.append(evidence)

    def as_tuple(self) -> tuple:
        return (
            self.pos,
            self.target,
            self.rule,
            self.score,
            self.matched,
            self.adopt,
            self.n_new,
            self.merges,
            self.bar,
            self.evidence,
        )


def is_common_name_key(key: str) -> bool:
    """A name key too common to identify anybody with a case number alone."""
    from xinfang.normalize.names import _common_keys

    return key in _common_keys() or " " not in key


__all__ += ["is_common_name", "is_common_name_key"]
