"""The petition office's workflow rules (docs/progress.md, 信访工作条例) as pure functions.

A court accepts a matter and tells the petitioner (受理告知) within 15 days of
registration, handles it within 60 days from acceptance (from registration while
not accepted) and may extend that once by at most 30 days (延期至). The escalation
sweep's SQL, the reference rules and the intake check all take these values and
rules from here.
"""

from __future__ import annotations

import datetime as dt

ACCEPTANCE_DAYS = 15
"""受理告知: days after registration within which a matter is accepted on time."""

EXTENSION_MAX_DAYS = 30
"""延期: the most an approved extension may move the 60-day deadline."""

SATISFACTION_NAMES: dict[str, str] = {
    "satisfied": "满意",
    "basic": "基本满意",
    "dissatisfied": "不满意",
}
"""满意度 as stored, with the names the national petition system rates replies by."""

SATISFIED = ("satisfied", "basic")
"""The ratings that count for 满意率."""


def handling_due(first_day: dt.date, accepted_on: dt.date | None, statutory_days: int) -> dt.date:
    """The statutory deadline before any extension: ``statutory_days`` after acceptance,
    or after registration while the matter is not accepted."""
    return (accepted_on or first_day) + dt.timedelta(days=statutory_days)


def extension_limit(handling_due_on: dt.date) -> dt.date:
    """The latest day an extension may move the deadline to."""
    return handling_due_on + dt.timedelta(days=EXTENSION_MAX_DAYS)


def statutory_due(
    first_day: dt.date,
    accepted_on: dt.date | None,
    extended_to: dt.date | None,
    referral_due_on: dt.date | None,
    statutory_days: int,
) -> dt.date:
    """The case's statutory deadline (docs/tiers.md): the handling deadline, moved to
    ``extended_to`` when that is within the extension limit (a longer one is refused at
    intake and never applied), the referral's 办结时限 where that is earlier."""
    due = handling_due(first_day, accepted_on, statutory_days)
    if extended_to is not None and extended_to <= extension_limit(due):
        due = extended_to
    return min(due, referral_due_on) if referral_due_on is not None else due


def extension_refusal(
    extended_to: dt.date, first_day: dt.date, accepted_on: dt.date | None, statutory_days: int
) -> str | None:
    """Why a progress row's 延期至 is refused (more than 30 days past the deadline it
    extends), or None."""
    due = handling_due(first_day, accepted_on, statutory_days)
    if extended_to <= extension_limit(due):
        return None
    counted_from = f"受理日期 {accepted_on}" if accepted_on else f"登记日期 {first_day}"
    return (
        f"延期至 {extended_to} is more than {EXTENSION_MAX_DAYS} days past the statutory "
        f"deadline {due} ({statutory_days} days from {counted_from}); the latest extension "
        f"allowed is {extension_limit(due)}"
    )
