"""A hand-made July 2023 ledger, shared by the statistics, view and report tests.

Every expected figure below was worked out by hand from the rows (see the
comments on each case); nothing here calls the code under test.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from xinfang.schema import case_progress, escalation_event, intake_item, ledger_case

D = dt.date
T = dt.datetime
JULY = D(2023, 7, 1)
NOW = T(2023, 8, 10, 9, 0)


class Ledger:
    """Tiny helpers that insert ledger rows directly."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.row = 0

    def case(self, no: str, court: str, first: dt.datetime, last=None, **kw) -> int:
        values = {
            "ledger_no": no,
            "court_code": court,
            "tier_entered_on": first.date(),
            "first_received_at": first,
            "last_received_at": last or first,
            **kw,
        }
        return self.conn.execute(ledger_case.insert().values(**values)).inserted_primary_key[0]

    def item(self, case_id, channel: str, at: dt.datetime, **kw) -> int:
        self.row += 1
        values = {
            "channel": channel,
            "source_file": f"{channel}.csv",
            "source_row": self.row,
            "received_at": at,
            "raw": json.dumps({"row": self.row}),
            "loaded_at": NOW,
            "case_id": case_id,
            **kw,
        }
        return self.conn.execute(intake_item.insert().values(**values)).inserted_primary_key[0]

    def progress(self, case_id: int, day: dt.date, status=None, disposition=None, **kw) -> None:
        values = {
            "case_id": case_id,
            "progress_date": day,
            "status": status,
            "disposition": disposition,
            "loaded_at": NOW,
            **kw,
        }
        self.conn.execute(case_progress.insert().values(**values))

    def escalate(self, case_id: int, from_tier, to_tier: int, day: dt.date, reason="sla") -> None:
        self.conn.execute(
            escalation_event.insert().values(
                case_id=case_id,
                from_tier=from_tier,
                to_tier=to_tier,
                escalated_on=day,
                reason=reason,
            )
        )


def build(engine: sa.Engine) -> dict[str, int]:
    """Insert the scenario; returns the case ids by letter."""
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        lg = Ledger(conn)
        # A 冀1003: June case, open at start, repeat visit 7-05, hearing 7-08 (twice
        # restated), closed 7-10 resolved.
        a = ids["A"] = lg.case(
            "XF-A", "冀1003", T(2023, 6, 20, 9), T(2023, 7, 5, 10), status="closed",
            closed_on=D(2023, 7, 10), disposition="resolved", petitioner_name="张伟",
            case_number="(2023)冀1003民初1234号", department="立案庭", judge="李法官",
            leader="王院长", tier=2, item_count=2,
        )  # fmt: skip
        lg.item(a, "letter", T(2023, 6, 20, 9), id_number="110101199003074514",
                phone="13812345678", petitioner_name="张伟")  # fmt: skip
        lg.item(a, "visit", T(2023, 7, 5, 10), id_number="110101199003074514",
                phone="13812345678", petitioner_name="张伟")  # fmt: skip
        lg.progress(a, D(2023, 7, 8), "open", note="召开听证", hearing_date=D(2023, 7, 8))
        lg.progress(a, D(2023, 7, 9), "open", note="听证后调解", hearing_date=D(2023, 7, 8))
        lg.progress(a, D(2023, 7, 10), "closed", "resolved", note="已化解，销号")
        # B 冀1003: new 7-03 online, referral 7-04 makes it key (tier 4), open,
        # overdue flag, statutory due 7-20.
        b = ids["B"] = lg.case(
            "XF-B", "冀1003", T(2023, 7, 3, 8), T(2023, 7, 4, 8), is_key=True,
            key_since=D(2023, 7, 4), tier=4, overdue=True, statutory_due_on=D(2023, 7, 20),
            statutory_overdue=True, petitioner_name="李强", item_count=2,
        )  # fmt: skip
        lg.item(b, "online", T(2023, 7, 3, 8), phone="03162345678")
        lg.item(b, "referral", T(2023, 7, 4, 8))
        lg.escalate(b, 1, 4, D(2023, 7, 4), "key_case")
        # C 冀1003: May case closed 6-15 (aid, progress only), reopened by a visit
        # 7-12, closed again 7-25 terminated.
        c = ids["C"] = lg.case(
            "XF-C", "冀1003", T(2023, 5, 10, 14), T(2023, 7, 12, 9), status="closed",
            closed_on=D(2023, 7, 25), disposition="terminated", reopened_count=1, item_count=2,
        )  # fmt: skip
        lg.item(c, "hotline", T(2023, 5, 10, 14))
        lg.item(c, "visit", T(2023, 7, 12, 9))
        lg.progress(c, D(2023, 6, 15), "closed", "aid")
        lg.progress(c, D(2023, 7, 25), "closed", "terminated", note="依法终结")
        # K 冀1003: new at midnight 7-01, closed 7-05 (aid), reopened by a letter
        # 7-08, closed 7-20 (resolved): counts once, as resolved.
        k = ids["K"] = lg.case(
            "XF-K", "冀1003", T(2023, 7, 1, 0, 0), T(2023, 7, 8, 11), status="closed",
            closed_on=D(2023, 7, 20), disposition="resolved", reopened_count=1, item_count=2,
        )  # fmt: skip
        lg.item(k, "letter", T(2023, 7, 1, 0, 0))
        lg.item(k, "letter", T(2023, 7, 8, 11))
        lg.progress(k, D(2023, 7, 5), "closed", "aid")
        lg.progress(k, D(2023, 7, 20), "closed", "resolved")
        lg.escalate(k, 1, 2, D(2023, 7, 9))
        # D 冀1022: new 7-15, repeat hotline 7-31 23:30, an item on 8-01 00:00 (not
        # July), paused 7-20, escalated to tier 2 on 7-24.
        d = ids["D"] = lg.case(
            "XF-D", "冀1022", T(2023, 7, 15, 9), T(2023, 8, 1, 0, 0), status="paused", tier=2,
            statutory_due_on=D(2023, 9, 12), item_count=3,
        )  # fmt: skip
        lg.item(d, "visit", T(2023, 7, 15, 9))
        lg.item(d, "hotline", T(2023, 7, 31, 23, 30))
        lg.item(d, "letter", T(2023, 8, 1, 0, 0))
        lg.progress(d, D(2023, 7, 20), "paused", note="中止：等待鉴定")
        lg.escalate(d, 1, 2, D(2023, 7, 24))
        # E 冀1022: June case closed 6-30 (review) on the ledger only; June escalation.
        e = ids["E"] = lg.case(
            "XF-E", "冀1022", T(2023, 6, 1, 9), status="closed", closed_on=D(2023, 6, 30),
            disposition="review", item_count=1,
        )  # fmt: skip
        lg.item(e, "letter", T(2023, 6, 1, 9))
        lg.escalate(e, 1, 2, D(2023, 6, 9))
        # F 冀1022: new 7-02, closed 8-03 (procedure): open at July's end.
        f = ids["F"] = lg.case(
            "XF-F", "冀1022", T(2023, 7, 2, 9), status="closed", closed_on=D(2023, 8, 3),
            disposition="procedure", statutory_due_on=D(2023, 8, 31), item_count=1,
        )  # fmt: skip
        lg.item(f, "letter", T(2023, 7, 2, 9))
        lg.progress(f, D(2023, 8, 3), "closed", "procedure")
        # G 冀10: an August case: not in July's ledger.
        g = ids["G"] = lg.case("XF-G", "冀10", T(2023, 8, 2, 9), item_count=1)
        lg.item(g, "letter", T(2023, 8, 2, 9))
        # H 冀10: March case past its statutory date, tier 5 on 7-06, closed 7-10
        # (review, progress) with a hearing 7-09, reopened by a progress row 7-12,
        # a second hearing 7-20.
        h = ids["H"] = lg.case(
            "XF-H", "冀10", T(2023, 3, 1, 9), tier=5, overdue=True,
            statutory_due_on=D(2023, 4, 30), statutory_overdue=True, item_count=1,
        )  # fmt: skip
        lg.item(h, "letter", T(2023, 3, 1, 9))
        lg.escalate(h, 4, 5, D(2023, 7, 6))
        lg.progress(h, D(2023, 7, 10), "closed", "review", hearing_date=D(2023, 7, 9))
        lg.progress(h, D(2023, 7, 12), "open", note="重新办理")
        lg.progress(h, D(2023, 7, 20), note="第二次听证", hearing_date=D(2023, 7, 20))
        # I 冀10: new at 7-31 23:59:59, key only from 8-05.
        i = ids["I"] = lg.case(
            "XF-I", "冀10", T(2023, 7, 31, 23, 59, 59), is_key=True, key_since=D(2023, 8, 5),
            statutory_due_on=D(2023, 9, 28), item_count=1,
        )  # fmt: skip
        lg.item(i, "online", T(2023, 7, 31, 23, 59, 59))
        # J 冀1081: an item not yet deduplicated into a case.
        lg.item(None, "hotline", T(2023, 7, 15, 10), court_code="冀1081")
    return ids


# disposition_monthly for July 2023: every non-zero cell; all others are 0.
EXPECTED_DISPOSITIONS = {
    ("冀1003", "resolved"): 2,  # A, K
    ("冀1003", "terminated"): 1,  # C
    ("冀10", "review"): 1,  # H (closed 7-10, reopened 7-12: still closed in July)
}

ZERO_KPI = {
    "cases_total": 0,
    "cases_new": 0,
    "cases_closed": 0,
    "cases_open_start": 0,
    "cases_open_end": 0,
    "resolution_rate": None,
    "repeat_items": 0,
    "repeat_cases": 0,
    "reopened_cases": 0,
    "esc_to_tier2": 0,
    "esc_to_tier3": 0,
    "esc_to_tier4": 0,
    "esc_to_tier5": 0,
    "overdue_cases": 0,
    "statutory_overdue_cases": 0,
    "key_open": 0,
    "key_closed": 0,
    "hearings": 0,
    "items_total": 0,
    "items_letter": 0,
    "items_visit": 0,
    "items_online": 0,
    "items_hotline": 0,
    "items_referral": 0,
}

EXPECTED_KPI = {
    "冀1003": {
        **ZERO_KPI,
        "cases_total": 4,  # A B C K
        "cases_new": 2,  # B K
        "cases_closed": 3,  # A C K
        "cases_open_start": 1,  # A (C was closed on 6-15)
        "cases_open_end": 1,  # B
        "resolution_rate": 1.0,  # 3 / (1 + 2)
        "repeat_items": 4,  # A 7-05, B 7-04, C 7-12, K 7-08
        "repeat_cases": 4,
        "reopened_cases": 2,  # C (after 6-15), K (after 7-05)
        "esc_to_tier2": 1,  # K
        "esc_to_tier4": 1,  # B
        "overdue_cases": 1,  # B
        "statutory_overdue_cases": 1,  # B (due 7-20)
        "key_open": 1,  # B
        "hearings": 1,  # A on 7-08, restated twice
        "items_total": 6,
        "items_letter": 2,
        "items_visit": 2,
        "items_online": 1,
        "items_referral": 1,
    },
    "冀1022": {
        **ZERO_KPI,
        "cases_total": 3,  # D E F
        "cases_new": 2,  # D F
        "cases_open_end": 2,  # D (paused), F (closed only on 8-03)
        "resolution_rate": 0.0,  # 0 / (0 + 2)
        "repeat_items": 1,  # D 7-31 23:30
        "repeat_cases": 1,
        "esc_to_tier2": 1,  # D (E's was in June)
        "items_total": 3,
        "items_letter": 1,
        "items_visit": 1,
        "items_hotline": 1,
    },
    "冀10": {
        **ZERO_KPI,
        "cases_total": 2,  # H I
        "cases_new": 1,  # I
        "cases_closed": 1,  # H
        "cases_open_start": 1,  # H
        "cases_open_end": 2,  # H (reopened 7-12), I
        "resolution_rate": 0.5,  # 1 / (1 + 1)
        "esc_to_tier5": 1,  # H
        "overdue_cases": 1,  # H
        "statutory_overdue_cases": 1,  # H (due 4-30)
        "hearings": 2,  # H on 7-09 and 7-20
        "items_total": 1,
        "items_online": 1,  # I
    },
    "冀1081": {**ZERO_KPI, "items_total": 1, "items_hotline": 1},  # J, no case yet
}
