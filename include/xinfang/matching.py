"""Which intake items are one petition matter (CONTRACT §3): the rules, no I/O.

Two questions, asked in this order:

1. *The same person?* Union-find over blocking keys, strongest first:
   the same canonical ID number; the same phone with compatible name keys (a
   missing name is compatible, a different one is not: a family shares a phone);
   the same name key with the same case number. Two different ID numbers never
   join (a cannot-link checked at every union), so a shared phone or a chain of
   keys can't glue two ID-carrying people together. A name alone, however rare,
   never joins anybody; a very common one does not even join on a case number.
2. *The same matter of that person?* The same case number when both carry one;
   an item without one joins the person's matter whose grievance text is most
   alike (character-bigram Dice over ``content_normalized``), if alike enough;
   otherwise it opens a matter of its own. A numbered item may adopt a matter
   opened earlier without a number (a hotline call before the letter) by text.

Items are processed in a fixed order (received time, channel, file, row), and
items already in the ledger keep their cases, so a day's batch and the whole
campaign at once give the same partition as long as the facts that decide a
join arrive with or before the items they join. Each join is explained: rule,
score, and the earlier item it was matched to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xinfang.normalize.names import is_common_name, names_compatible

__all__ = [
    "MatchParams",
    "Plan",
    "plan_matters",
    "text_similarity",
    "text_tokens",
]

_TEXT_KEEP = re.compile(r"[^\w]+", re.UNICODE)
# Phrases every petition carries: they say nothing about which matter it is.
_BOILERPLATE = re.compile(
    r"来电人|来电|反映|反应|要求|请求|希望|信访人|来访人|来信|称|表示|诉求|问题|情况|"
    r"法院|人民法院|本人|我们|我|其|该|一案|案件|有关|相关|关于|目前|至今|现在|已经|"
    r"尽快|依法|给予|处理|解决|答复|说法|工单|热线|转办|交办|网上|信访|事项|的|了|和|与|及|对|在"
)


@dataclass(frozen=True)
class MatchParams:
    """Tunable thresholds (``dedup`` in the config overrides the defaults)."""

    text_threshold: float = 0.30
    """Bigram Dice an unnumbered item needs to join a matter of the same person."""
    text_threshold_single: float = 0.12
    """Lower bar when the person has exactly one matter so far: paraphrased hotline
    summaries share few bigrams with the letter they repeat."""
    max_texts_per_matter: int = 12
    """Texts of a matter compared with a new item (the earliest and the latest ones)."""

    @classmethod
    def from_config(cls, raw: dict | None) -> MatchParams:
        raw = raw or {}
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        return cls(**known)


def text_tokens(text: str | None) -> frozenset[str]:
    """Character bigrams of a grievance, punctuation and boilerplate phrases removed."""
    if not text:
        return frozenset()
    t = _BOILERPLATE.sub(" ", text)
    out: set[str] = set()
    for chunk in _TEXT_KEEP.split(t):
        if len(chunk) == 1:
            continue
        out.update(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return frozenset(out)


def text_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two bigram sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    inter = sum(1 for x in a if x in b)
    return 2.0 * inter / (len(a) + len(b))


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


def _edges_by_key(df: pd.DataFrame, cols: list[str]) -> Iterable[tuple[int, int]]:
    """(first, other) position pairs of rows sharing all of ``cols`` (nulls never match)."""
    sub = df.dropna(subset=cols)
    if sub.empty:
        return []
    first = sub.groupby(cols, sort=False)["pos"].transform("min")
    mask = first.to_numpy() != sub["pos"].to_numpy()
    return zip(first.to_numpy()[mask].tolist(), sub["pos"].to_numpy()[mask].tolist(), strict=True)


def _persons(df: pd.DataFrame) -> np.ndarray:
    """Person label (root position) of every row; see the module doc for the rules."""
    n = len(df)
    ids = df["id_number"].tolist()
    uf = _UnionFind([i if isinstance(i, str) and i else None for i in ids])
    # 0. items already in one case are one person (or one group) by the ledger's word.
    old = df[df["case_id"] >= 0]
    for a, b in _edges_by_key(old, ["case_id"]):
        uf.union(a, b, force=True)
    # 1. the same ID number.
    for a, b in _edges_by_key(df, ["id_number"]):
        uf.union(a, b)
    # 2. the same phone, compatible names.
    ph = df.dropna(subset=["phone"])
    if not ph.empty:
        nkeys = ph.groupby("phone", sort=False)["name_key"].nunique()
        simple = ph[ph["phone"].map(nkeys).to_numpy() <= 1]
        for a, b in _edges_by_key(simple, ["phone"]):
            uf.union(a, b)
        multi = ph[ph["phone"].map(nkeys).to_numpy() > 1]
        for _, grp in multi.groupby("phone", sort=False):
            rows = list(zip(grp["pos"].tolist(), grp["name_key"].tolist(), strict=True))
            named = [(p, k) for p, k in rows if isinstance(k, str)]
            # names on this phone that can be one person; unnamed rows join only
            # when the phone's names are all compatible with each other.
            for i, (pa, ka) in enumerate(named):
                for pb, kb in named[i + 1 :]:
                    if names_compatible(ka, kb):
                        uf.union(pa, pb)
            keys = {k for _, k in named}
            if all(names_compatible(a, b) for a in keys for b in keys):
                unnamed = [p for p, k in rows if not isinstance(k, str)]
                for p in unnamed:
                    uf.union(named[0][0], p)
    # 3. the same name key and case number (not for very common names).
    nc = df.dropna(subset=["name_key", "case_number"])
    if not nc.empty:
        nc = nc[~nc["common"].to_numpy()]
        for a, b in _edges_by_key(nc, ["name_key", "case_number"]):
            uf.union(a, b)
    return np.fromiter((uf.find(i) for i in range(n)), dtype=np.int64, count=n)


@dataclass
class _Matter:
    key: int  # existing case_id (>= 0) or -(k + 1) for a new matter
    case_number: str | None
    members: list[int]
    first_by_id: dict[str, int] = field(default_factory=dict)
    first_by_phone: dict[str, int] = field(default_factory=dict)
    first_by_name: dict[str, int] = field(default_factory=dict)


def plan_matters(
    items: pd.DataFrame,
    params: MatchParams | None = None,
    cannot_link: dict[int, set[int]] | None = None,
) -> Plan:
    """Assign every new row of ``items`` to an existing case or a new matter.

    ``items`` columns: item_id, case_id (existing case, -1 for a new item),
    case_case_number (the existing case's case number), id_number, phone, name_key,
    case_number, content_normalized; rows in processing order (existing rows first
    or interleaved: only the order of new rows matters). ``cannot_link``: item_id ->
    item_ids it must never share a case with (manual splits).
    """
    params = params or MatchParams()
    cannot_link = cannot_link or {}
    df = items.reset_index(drop=True).copy()
    df["pos"] = np.arange(len(df), dtype=np.int64)
    for col in ("id_number", "phone", "name_key", "case_number", "case_case_number"):
        if col in df:
            vals = [v if isinstance(v, str) and v else None for v in df[col].tolist()]
            df[col] = pd.Series(vals, index=df.index, dtype=object)
    names = df["name_key"]
    common_cache: dict[str, bool] = {}
    df["common"] = [
        True if not isinstance(k, str) else common_cache.setdefault(k, is_common_name_key(k))
        for k in names.tolist()
    ]
    person = _persons(df)

    item_ids = df["item_id"].to_numpy()
    case_ids = df["case_id"].to_numpy()
    idn = df["id_number"].tolist()
    phones = df["phone"].tolist()
    nkeys = df["name_key"].tolist()
    cns = df["case_number"].tolist()
    texts = df["content_normalized"].tolist()
    ccn = df["case_case_number"].tolist() if "case_case_number" in df else [None] * len(df)
    tok_cache: dict[int, frozenset[str]] = {}

    def toks(p: int) -> frozenset[str]:
        t = tok_cache.get(p)
        if t is None:
            t = tok_cache[p] = text_tokens(texts[p])
        return t

    new_mask = case_ids < 0
    new_pos = np.flatnonzero(new_mask)
    target = np.empty(len(new_pos), dtype=np.int64)
    rule: list[str] = [""] * len(new_pos)
    score: list[float | None] = [None] * len(new_pos)
    matched: list[int | None] = [None] * len(new_pos)
    slot = {int(p): i for i, p in enumerate(new_pos.tolist())}
    adopt: dict[int, str] = {}
    n_new = 0

    # rows per person, in input order
    order = np.argsort(person, kind="stable")
    bounds = np.flatnonzero(np.diff(person[order])) + 1
    groups = np.split(order, bounds)
    persons_with_new = [g for g in groups if new_mask[g].any()]

    def add_member(m: _Matter, p: int) -> None:
        m.members.append(p)
        if idn[p]:
            m.first_by_id.setdefault(idn[p], p)
        if phones[p]:
            m.first_by_phone.setdefault(phones[p], p)
        if nkeys[p] and cns[p]:
            m.first_by_name.setdefault(nkeys[p] + "|" + cns[p], p)

    def explain(m: _Matter, p: int) -> tuple[str, int | None]:
        if idn[p] and idn[p] in m.first_by_id:
            return "id_number", m.first_by_id[idn[p]]
        if phones[p] and phones[p] in m.first_by_phone:
            return "phone_name", m.first_by_phone[phones[p]]
        if nkeys[p] and cns[p] and (nkeys[p] + "|" + cns[p]) in m.first_by_name:
            return "name_case_number", m.first_by_name[nkeys[p] + "|" + cns[p]]
        return "same_person", m.members[0] if m.members else None

    def blocked(m: _Matter, p: int) -> bool:
        banned = cannot_link.get(int(item_ids[p]))
        if banned and any(int(item_ids[q]) in banned for q in m.members):
            return True
        return any(int(item_ids[p]) in cannot_link.get(int(item_ids[q]), ()) for q in m.members)

    def best_text(ms: list[_Matter], p: int) -> tuple[_Matter | None, float]:
        tp = toks(p)
        best, best_s = None, -1.0
        k = params.max_texts_per_matter
        for m in ms:
            mem = m.members if len(m.members) <= k else m.members[: k // 2] + m.members[-k // 2 :]
            s = max((text_similarity(tp, toks(q)) for q in mem), default=0.0)
            if s > best_s:
                best, best_s = m, s
        return best, best_s

    for g in persons_with_new:
        matters: list[_Matter] = []
        by_case: dict[int, _Matter] = {}
        for p in g.tolist():
            c = int(case_ids[p])
            if c >= 0:
                m = by_case.get(c)
                if m is None:
                    m = by_case[c] = _Matter(c, ccn[p] if isinstance(ccn[p], str) else None, [])
                    matters.append(m)
                add_member(m, p)
        news = [p for p in g.tolist() if case_ids[p] < 0]
        numbered = [p for p in news if cns[p]]
        unnumbered = [p for p in news if not cns[p]]

        def new_matter(matters: list[_Matter], p: int, cn: str | None, why: str) -> _Matter:
            nonlocal n_new
            n_new += 1
            if not idn[p] and not phones[p] and not nkeys[p]:
                why = "new_case:no_identity"
            m = _Matter(-n_new, cn, [])
            matters.append(m)
            i = slot[p]
            target[i], rule[i], score[i], matched[i] = m.key, why, None, None
            add_member(m, p)
            return m

        def join(m: _Matter, p: int, matter_rule: str, s: float | None) -> None:
            i = slot[p]
            why, q = explain(m, p)
            target[i] = m.key
            rule[i] = f"{why}+{matter_rule}"
            score[i] = s
            matched[i] = int(item_ids[q]) if q is not None else None
            add_member(m, p)

        for p in numbered:
            cn = cns[p]
            same = [m for m in matters if m.case_number == cn and not blocked(m, p)]
            if same:
                join(same[0], p, "case_number", 1.0)
                continue
            open_ = [m for m in matters if m.case_number is None and not blocked(m, p)]
            if open_:
                m, s = best_text(open_, p)
                bar = params.text_threshold_single if len(matters) == 1 else params.text_threshold
                if m is not None and s >= bar:
                    m.case_number = cn
                    if m.key >= 0:
                        adopt[m.key] = cn
                    join(m, p, "text", round(s, 4))
                    continue
            new_matter(matters, p, cn, "new_case" if not matters else "new_case:other_case_number")
        for p in unnumbered:
            cands = [m for m in matters if not blocked(m, p)]
            if cands:
                m, s = best_text(cands, p)
                bar = params.text_threshold_single if len(matters) == 1 else params.text_threshold
                if m is not None and s >= bar:
                    join(m, p, "text", round(s, 4))
                    continue
                why = "new_case:other_grievance"
            else:
                why = "new_case"
            new_matter(matters, p, None, why)

    return Plan(
        item_pos=new_pos,
        target=target,
        rule=rule,
        score=score,
        matched=matched,
        n_new=n_new,
        adopt=adopt,
        person=person,
    )


def is_common_name_key(key: str) -> bool:
    """A name key too common to identify anybody with a case number alone."""
    from xinfang.normalize.names import _common_keys

    return key in _common_keys() or " " not in key


__all__ += ["is_common_name", "is_common_name_key"]
