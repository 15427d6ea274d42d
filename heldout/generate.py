"""Write a held-out set: the drop files, truth.csv and matters.csv.

Matters are written in order of their first contact; a period's files are
written as soon as no later matter can add to them, so memory stays bounded by
a few months of items whatever the size of the set.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from heldout import writers
from heldout.items import CHANNELS, Item, _judges, matter_items
from heldout.plan import LAST_DAY, Plan, build_plan

FILE_CAP = 4000  # rows per file before a period's file is split in parts
_NAMES = {
    "letter": ("来信登记_{p}{part}", "laixin_{p}{part}", "来信登记表{p}{part}"),
    "visit": ("来访接待登记_{p}{part}", "visit_{p}{part}", "接待登记{p}{part}"),
    "online": ("wsxf_export_{p}{part}", "网上信访导出_{p}{part}"),
    "hotline": ("12368_calllog_{p}{part}", "12368热线工单_{p}{part}", "rexian_{p}{part}"),
    "referral": ("上级交办_{p}{part}", "jiaoban_{p}{part}", "交办件登记_{p}{part}"),
}
_EXT = {"csv": ".csv", "xlsx": ".xlsx", "jsonl": ".jsonl"}
TRUTH_COLUMNS = ("channel", "source_file", "source_row", "matter_id", "person_id", "variations")
MATTER_COLUMNS = (
    "matter_id",
    "person_id",
    "has_case_number",
    "kind",
    "case_number",
    "court_code",
    "items",
    "group_size",
    "related_matter",
)


def _period(day: date, weekly: bool) -> tuple[str, date]:
    """(the period's label, its last day)."""
    if weekly:
        y, w, _ = day.isocalendar()
        return f"{y}-W{w:02d}", day + timedelta(days=6 - day.weekday())
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return f"{day.year}-{day.month:02d}", nxt - timedelta(days=1)


@dataclass(slots=True)
class _Bucket:
    items: list[Item] = field(default_factory=list)
    end: date = LAST_DAY
    parts: int = 0


@dataclass(slots=True)
class Summary:
    """Counts for the report."""

    matters: int = 0
    items: int = 0
    persons: int = 0
    files: Counter[str] = field(default_factory=Counter)
    formats: Counter[str] = field(default_factory=Counter)
    channel_items: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    tags_by_channel: Counter[tuple[str, str]] = field(default_factory=Counter)
    items_per_matter: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, with proportions of items carrying each tag."""
        n = max(self.items, 1)
        return {
            "matters": self.matters,
            "items": self.items,
            "persons": self.persons,
            "items_per_matter_mean": round(self.items / max(self.matters, 1), 3),
            "items_per_matter": dict(sorted(self.items_per_matter.items())),
            "files": dict(self.files),
            "formats": dict(self.formats),
            "channel_items": dict(self.channel_items),
            "kinds": dict(self.kinds.most_common()),
            "tag_share": {t: round(c / n, 4) for t, c in self.tags.most_common()},
            "tag_share_by_channel": {
                ch: {
                    t: round(c / max(self.channel_items[ch], 1), 4)
                    for (cc, t), c in sorted(self.tags_by_channel.items())
                    if cc == ch
                }
                for ch in CHANNELS
            },
        }


class _Writer:
    """Buckets items by channel and period and writes each bucket once complete."""

    def __init__(
        self, out: Path, seed: int, weekly: bool, truth: csv.writer, summary: Summary
    ) -> None:
        self.out, self.seed, self.weekly, self.truth, self.summary = (
            out,
            seed,
            weekly,
            truth,
            summary,
        )
        self.buckets: dict[tuple[str, str], _Bucket] = {}
        self.counters: Counter[tuple[str, str]] = Counter()
        for ch in CHANNELS:
            (out / "landing" / ch / "incoming").mkdir(parents=True, exist_ok=True)

    def add(self, item: Item) -> None:
        label, end = _period(item.when.date(), self.weekly)
        b = self.buckets.setdefault((item.channel, label), _Bucket(end=end))
        b.items.append(item)
        if len(b.items) >= FILE_CAP:
            self._flush(item.channel, label, b)

    def flush_before(self, day: date) -> None:
        for key in [k for k, b in self.buckets.items() if b.end < day]:
            b = self.buckets.pop(key)
            if b.items:
                self._flush(*key, b)

    def flush_all(self) -> None:
        for key in sorted(self.buckets):
            b = self.buckets.pop(key)
            if b.items:
                self._flush(*key, b)

    def _flush(self, channel: str, label: str, b: _Bucket) -> None:
        b.parts += 1
        part = "" if b.parts == 1 else f"_{b.parts}"
        rng = random.Random(f"heldout-file:{self.seed}:{channel}:{label}:{b.parts}")
        style = writers.choose_style(channel, rng)
        name = rng.choice(_NAMES[channel]).format(p=label, part=part) + _EXT[style.fmt]
        items = sorted(b.items, key=lambda it: (it.when, it.matter_id))
        b.items = []
        for it in items:
            self._ticket(it, rng)
        writers.write_rows(
            self.out / "landing" / channel / "incoming" / name,
            channel,
            [it.fields for it in items],
            style,
            rng,
            b.end,
        )
        s = self.summary
        s.files[channel] += 1
        s.formats[f"{channel}:{style.fmt}:{style.encoding if style.fmt == 'csv' else '-'}"] += 1
        for row, it in enumerate(items, 1):
            self.truth.writerow((channel, name, row, it.matter_id, it.person_id, ";".join(it.tags)))
            s.items += 1
            s.channel_items[channel] += 1
            for t in it.tags:
                s.tags[t] += 1
                s.tags_by_channel[(channel, t)] += 1

    def _ticket(self, it: Item, rng: random.Random) -> None:
        d = it.when
        if it.channel == "hotline":
            key = ("hotline", f"{d:%Y%m%d}")
            self.counters[key] += 1
            it.fields["工单号"] = f"RX{d:%Y%m%d}{self.counters[key]:04d}"
        elif it.channel == "online":
            key = ("online", f"{d:%Y%m%d}")
            self.counters[key] += 1
            it.fields["ticket_id"] = f"WS{d:%Y%m%d}{self.counters[key]:05d}"
        elif it.channel == "referral":
            key = (it.hint, str(d.year))
            self.counters[key] += 1
            it.fields["交办文号"] = f"{it.hint}〔{d.year}〕{self.counters[key]}号"


def generate(n_matters: int, seed: int, out: Path) -> Summary:
    """Write the held-out set for ``n_matters`` matters into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    plan: Plan = build_plan(n_matters, seed)
    judges = _judges(seed)
    summary = Summary(matters=len(plan.matters), persons=plan.n_persons)
    weekly = n_matters * 0.0144 > 600
    order = sorted(plan.matters, key=lambda m: (m.start, m.index))
    related: dict[int, int] = {}
    for m in plan.matters:
        if m.opponent is not None:
            related[m.index], related[m.opponent] = m.opponent, m.index
    item_counts: dict[int, int] = defaultdict(int)
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as tf:
        truth = csv.writer(tf, lineterminator="\n")
        truth.writerow(TRUTH_COLUMNS)
        w = _Writer(out, seed, weekly, truth, summary)
        for spec in order:
            w.flush_before(spec.start - timedelta(days=3))
            items, _ = matter_items(plan, spec, judges)
            item_counts[spec.index] = len(items)
            summary.items_per_matter[len(items)] += 1
            summary.kinds[spec.kind] += 1
            for it in items:
                w.add(it)
        w.flush_all()
    with (out / "matters.csv").open("w", encoding="utf-8", newline="") as mf:
        mw = csv.writer(mf, lineterminator="\n")
        mw.writerow(MATTER_COLUMNS)
        for m in plan.matters:
            mw.writerow(
                (
                    m.mid,
                    f"P{m.person_no:07d}",
                    int(m.case is not None),
                    m.kind,
                    m.case.canonical() if m.case else "",
                    m.court,
                    item_counts[m.index],
                    m.group_size,
                    plan.matters[related[m.index]].mid if m.index in related else "",
                )
            )
    (out / "summary.json").write_text(
        json.dumps(summary.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return summary
