"""The statutory deadline of docs/tiers.md from acceptance and extension (信访工作条例).

Hand-derived, for cases registered on Monday 3 July 2023: not accepted, 60 days run
to 1 September; accepted on 10 July, to 8 September; an extension may move that to
8 October at most (30 days), a longer one (never let in by intake, written here
directly) is not applied; a referral's earlier 办结时限 still wins. The set-based sweep
and the reference rules (``timeline``, which computes reopened cases) agree.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import LIFECYCLE, D, add_case, add_item, add_progress, case_row, notices

from xinfang import escalation
from xinfang.calendar import WorkCalendar
from xinfang.config import get_config
from xinfang.escalation_rules import CaseFacts, ItemFact, ProgressFact, timeline
from xinfang.schema import case_progress
from xinfang.workflow import statutory_due

FIRST = D("2023-07-03")
ACCEPTED = D("2023-07-10")


@pytest.mark.parametrize(
    ("accepted", "extended", "referral", "due"),
    [
        (None, None, None, "2023-09-01"),
        (ACCEPTED, None, None, "2023-09-08"),
        (ACCEPTED, D("2023-10-08"), None, "2023-10-08"),
        (ACCEPTED, D("2023-10-09"), None, "2023-09-08"),
        (None, D("2023-09-20"), None, "2023-09-20"),
        (ACCEPTED, D("2023-09-30"), D("2023-08-15"), "2023-08-15"),
    ],
)
def test_statutory_due(accepted, extended, referral, due):
    assert statutory_due(FIRST, accepted, extended, referral, 60) == D(due)


# case -> (progress rows (day, status, accepted_on, extended_to), referral 办结时限, due)
CASES = {
    "registered": ([], None, "2023-09-01"),
    "accepted": ([("2023-07-10", "open", ACCEPTED, None)], None, "2023-09-08"),
    "extended": (
        [("2023-07-10", "open", ACCEPTED, None), ("2023-08-30", None, None, D("2023-10-08"))],
        None,
        "2023-10-08",
    ),
    "too_long": (
        [("2023-07-10", "open", ACCEPTED, None), ("2023-08-30", None, None, D("2023-10-09"))],
        None,
        "2023-09-08",
    ),
    "latest_acceptance": (
        # a later row corrects the acceptance: the latest by 日期 counts
        [("2023-07-20", None, D("2023-07-12"), None), ("2023-07-10", None, ACCEPTED, None)],
        None,
        "2023-09-10",
    ),
    "referral": ([("2023-07-10", "open", ACCEPTED, None)], D("2023-08-15"), "2023-08-15"),
    "reopened": (
        [
            ("2023-07-10", "open", ACCEPTED, None),
            ("2023-07-20", "closed", None, None),
            ("2023-07-25", "open", None, D("2023-09-30")),
        ],
        None,
        "2023-09-30",
    ),
}


def _load(engine) -> dict[str, tuple[int, CaseFacts]]:
    loaded = {}
    with engine.begin() as conn:
        for name, (rows, referral, _) in CASES.items():
            case_id = add_case(conn, FIRST)
            add_item(conn, case_id, FIRST)
            items = [ItemFact(FIRST)]
            if referral is not None:
                add_item(conn, case_id, FIRST, channel="referral", due_on=referral)
                items.append(ItemFact(FIRST, "referral", referral))
            facts = []
            for day, status, accepted, extended in rows:
                disposition = "resolved" if status == "closed" else None
                add_progress(
                    conn,
                    case_id,
                    D(day),
                    status,
                    disposition=disposition,
                    accepted_on=accepted,
                    extended_to=extended,
                )
                progress_id = conn.execute(sa.select(sa.func.max(case_progress.c.progress_id)))
                facts.append(
                    ProgressFact(
                        progress_id.scalar_one(),
                        D(day),
                        status,
                        disposition,
                        accepted_on=accepted,
                        extended_to=extended,
                    )
                )
            loaded[name] = (case_id, CaseFacts(tuple(items), tuple(facts)))
    return loaded


@BOTH
def test_the_sweep_sets_the_deadline_and_agrees_with_the_rules(engine):
    loaded = _load(engine)
    as_of = D("2023-09-11")
    escalation.sweep(engine, as_of)
    config = get_config()
    calendar = WorkCalendar(config)
    for name, (case_id, facts) in loaded.items():
        due = D(CASES[name][2])
        case = case_row(engine, case_id)
        assert case.statutory_due_on == due, name
        assert bool(case.statutory_overdue) == (due < as_of), name
        statutory = [n for n in notices(engine, case_id) if n[0] == "statutory"]
        assert [n[2] for n in statutory] == ([due + dt.timedelta(days=1)] if due < as_of else [])
        reference = timeline(facts, as_of, calendar, config)
        assert reference.statutory_due_on == due, name
        for column in LIFECYCLE:
            want = getattr(reference, column)
            got = getattr(case, column)
            assert (bool(got) if isinstance(want, bool) else got) == want, (name, column)


@BOTH
def test_a_later_acceptance_moves_a_deadline_already_noticed(engine):
    """Sweeping daily or once gives the same deadline: an acceptance row loaded after the
    registration deadline passed moves it, and the early notice is replaced."""
    with engine.begin() as conn:
        case_id = add_case(conn, FIRST)
        add_item(conn, case_id, FIRST)
    escalation.sweep(engine, D("2023-09-04"))
    assert case_row(engine, case_id).statutory_overdue
    with engine.begin() as conn:
        add_progress(conn, case_id, D("2023-09-04"), accepted_on=ACCEPTED)
    escalation.sweep(engine, D("2023-09-05"))
    case = case_row(engine, case_id)
    assert (case.statutory_due_on, bool(case.statutory_overdue)) == (D("2023-09-08"), False)
    assert [n for n in notices(engine, case_id) if n[0] == "statutory"] == []
