"""The escalation rules (docs/tiers.md) as a pure function of a case's facts.

:func:`timeline` walks a case day by day and is the reference the set-based SQL
of :mod:`xinfang.escalation` is tested against; the sweep also uses it for the
few cases the SQL does not model (those reopened after 销号).

Within one day the facts apply in this order, so that every path agrees:

1. intake items received that day (a repeat after 销号 reopens the case at the
   tier where it closed, entering it again that day);
2. progress rows of that 日期 in load order (中止 pauses, 办理中 resumes or
   reopens, 已销号 closes; a row dated before the first item counts from it);
3. key status: a key case that is not closed and below the key tier enters the
   key tier that day;
4. the clock: on a working day the case ends open (not paused, not closed) and
   that is after the day it entered its tier, the tier's count goes up by one;
   the count reaching ceil(ratio x limit) raises a warning, passing the limit
   escalates (that day the case enters the next tier) or, at the top tier,
   flags the case overdue.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from xinfang.config import Config
from xinfang.workflow import statutory_due

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class ItemFact:
    received_on: dt.date
    channel: str = "letter"
    due_on: dt.date | None = None


@dataclass(frozen=True)
class ProgressFact:
    seq: int
    """Load order among rows of the same day (progress_id)."""
    day: dt.date
    status: str | None = None
    """open / paused / closed / None."""
    disposition: str | None = None
    is_key: bool | None = None
    accepted_on: dt.date | None = None
    """受理日期 the row gives"""
    extended_to: dt.date | None = None
    """延期至 the row gives"""


@dataclass(frozen=True)
class CaseFacts:
    items: tuple[ItemFact, ...]
    progress: tuple[ProgressFact, ...] = ()
    key_dates: tuple[dt.date, ...] = ()
    """Other days the case became key (risk screening: a threat, a group visit)."""


@dataclass(frozen=True)
class Event:
    on: dt.date
    from_tier: int
    to_tier: int
    reason: str
    """sla / key_case"""


@dataclass(frozen=True)
class Notice:
    on: dt.date
    kind: str
    """escalation / warning / overdue / statutory"""
    tier: int
    """the tier it is addressed to (a statutory notice: the top tier)"""


@dataclass
class Timeline:
    tier: int
    tier_entered_on: dt.date
    status: str
    disposition: str | None
    closed_on: dt.date | None
    reopened_count: int
    is_key: bool
    key_since: dt.date | None
    overdue: bool
    statutory_due_on: dt.date
    statutory_overdue: bool
    events: list[Event] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class Ladder:
    """The tier limits of a configuration, in the form the clocks use."""

    limits: dict[int, int]
    """working days allowed at each tier; the top tier's is its overdue limit."""
    top: int
    key_tier: int
    warn_at: dict[int, int | None]
    """count at which each tier warns (None: no warning)."""
    statutory_days: int

    @classmethod
    def of(cls, config: Config) -> Ladder:
        top = config.max_tier
        limits = {
            n: int(t.limit_days) if n != top else int(config.top_tier_overdue_days)
            for n, t in config.tiers.items()
        }
        warn_at: dict[int, int | None] = {}
        for n, limit in limits.items():
            # round() first so 0.8 * 5 is 4, not 4.000000000000001 -> 5
            w = math.ceil(round(config.warning_ratio * limit, 9))
            warn_at[n] = w if 1 <= w <= limit else None
        return cls(limits, top, config.key_case_tier, warn_at, config.statutory_days)

    def milestones(self, start_tier: int) -> list[tuple[str, int, int, int]]:
        """(kind, from_tier, to_tier, counting offset) from entering ``start_tier``.

        kind is warning (tier, tier), escalation (tier, tier+1) or overdue (top, top);
        the offset counts clock days after the entry, so the SQL can place each one
        with a single calendar join.
        """
        out = []
        base = 0
        for tier in range(start_tier, self.top + 1):
            limit = self.limits[tier]
            if self.warn_at[tier] is not None:
                out.append(("warning", tier, tier, base + self.warn_at[tier]))
            if tier < self.top:
                out.append(("escalation", tier, tier + 1, base + limit + 1))
            else:
                out.append(("overdue", tier, tier, base + limit + 1))
            base += limit + 1
        return out


def _handling_due(
    first: dt.date, rows_by_day: dict[dt.date, list[ProgressFact]], statutory_days: int
) -> dt.date:
    """The statutory deadline the progress rows set (the latest 受理日期 and 延期至 given,
    in the order the rows apply); referrals may bring it earlier as they arrive."""
    ordered = [row for day in sorted(rows_by_day) for row in rows_by_day[day]]
    accepted = next((r.accepted_on for r in reversed(ordered) if r.accepted_on), None)
    extended = next((r.extended_to for r in reversed(ordered) if r.extended_to), None)
    return statutory_due(first, accepted, extended, None, statutory_days)


def timeline(
    facts: CaseFacts, as_of: dt.date, calendar, config: Config | Ladder
) -> Timeline | None:
    """Everything §4 derives for one case as of ``as_of`` (None if it has no item yet).

    ``calendar`` needs ``is_workday(date)``; facts dated after ``as_of`` are ignored.
    """
    ladder = config if isinstance(config, Ladder) else Ladder.of(config)
    items = sorted((i for i in facts.items if i.received_on <= as_of), key=lambda i: i.received_on)
    if not items:
        return None
    first = items[0].received_on
    items_by_day: dict[dt.date, list[ItemFact]] = {}
    for i in items:
        items_by_day.setdefault(i.received_on, []).append(i)
    rows_by_day: dict[dt.date, list[ProgressFact]] = {}
    for p in sorted(facts.progress, key=lambda p: (max(p.day, first), p.seq)):
        if p.day <= as_of:
            rows_by_day.setdefault(max(p.day, first), []).append(p)

    tier, entered, status = 1, first, "open"
    count = 0
    disposition: dt.date | None = None
    closed_on: dt.date | None = None
    reopened = 0
    key_since: dt.date | None = None
    overdue = False
    due = _handling_due(first, rows_by_day, ladder.statutory_days)
    other_keys = sorted(max(k, first) for k in facts.key_dates if k <= as_of)
    if other_keys:
        key_since = other_keys[0]
    statutory_noticed = False
    events: list[Event] = []
    notices: list[Notice] = []

    day = first
    while day <= as_of:
        # 1. items
        for item in items_by_day.get(day, ()):
            if item.channel == "referral" and (key_since is None or key_since > day):
                key_since = day
            if item.due_on is not None:
                due = min(due, item.due_on)
            if status == "closed":
                status, entered, count, overdue = "open", day, 0, False
                disposition = closed_on = None
                reopened += 1
        # 2. progress rows
        for row in rows_by_day.get(day, ()):
            if row.is_key and (key_since is None or key_since > day):
                key_since = day
            if row.status == "paused" and status == "open":
                status = "paused"
            elif row.status == "open":
                if status == "closed":
                    status, entered, count, overdue = "open", day, 0, False
                    disposition = closed_on = None
                elif status == "paused":
                    status = "open"
            elif row.status == "closed":
                if status != "closed":
                    closed_on = day
                status = "closed"
                disposition = row.disposition
        # 3. key status
        if (
            key_since is not None
            and key_since <= day
            and status != "closed"
            and tier < ladder.key_tier
        ):
            events.append(Event(day, tier, ladder.key_tier, "key_case"))
            notices.append(Notice(day, "escalation", ladder.key_tier))
            tier, entered, count, overdue = ladder.key_tier, day, 0, False
        # 4. the clock
        if status == "open" and day > entered and calendar.is_workday(day):
            count += 1
            limit = ladder.limits[tier]
            if count == ladder.warn_at[tier]:
                notices.append(Notice(day, "warning", tier))
            if count == limit + 1:
                if tier < ladder.top:
                    events.append(Event(day, tier, tier + 1, "sla"))
                    notices.append(Notice(day, "escalation", tier + 1))
                    tier, entered, count = tier + 1, day, 0
                else:
                    overdue = True
                    notices.append(Notice(day, "overdue", tier))
        # statutory deadline, once, the first day past it that the case ends not closed
        if not statutory_noticed and day > due and status != "closed":
            statutory_noticed = True
            notices.append(Notice(day, "statutory", ladder.top))  # to the top tier
        day += ONE_DAY

    return Timeline(
        tier=tier,
        tier_entered_on=entered,
        status=status,
        disposition=disposition if status == "closed" else None,
        closed_on=closed_on if status == "closed" else None,
        reopened_count=reopened,
        is_key=key_since is not None,
        key_since=key_since,
        overdue=overdue and status != "closed",
        statutory_due_on=due,
        statutory_overdue=status != "closed" and as_of > due,
        events=events,
        notices=notices,
    )
