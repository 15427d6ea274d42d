"""督办: a supervision notice from a higher court or office, with its deadline.

A case neither closed nor replied (书面答复, ``replied_on``) by its
``supervision_due_on`` was left unanswered: from the day after, while it is not
closed, ``ledger_case.supervision_overdue`` is set (the flag the analysts' overdue
view reads beside ``overdue`` and ``statutory_overdue``), and one notification of
kind ``supervision`` is written for that deadline, dated the day after it, to the
court's leader tier (the key-case tier). Whether a deadline was answered depends only
on the case's dates, so sweeping daily or once gives the same flag and notice.

The statements are built here and run by the escalation sweep, in its transaction.
"""

from __future__ import annotations

KIND = "supervision"


def unanswered(case: str) -> str:
    """SQL: ``case`` (a ledger_case alias) has a supervision deadline it neither closed
    nor replied by, and that deadline is past as of ``:as_of``."""
    return f"""({case}.supervision_due_on IS NOT NULL AND {case}.supervision_due_on < :as_of
        AND ({case}.closed_on IS NULL OR {case}.closed_on > {case}.supervision_due_on)
        AND ({case}.replied_on IS NULL OR {case}.replied_on > {case}.supervision_due_on))"""


def flag_sql(distinct, scope: str) -> str:
    """SQL: set ``supervision_overdue`` where it moved (``distinct(a, b)``: the dialect's
    IS DISTINCT FROM; ``scope``: an ``AND`` limiting the cases, or "")."""
    flag = f"(ledger_case.status <> 'closed' AND {unanswered('ledger_case')})"
    return f"""UPDATE ledger_case SET supervision_overdue = {flag}, updated_at = :now
        WHERE (supervision_due_on IS NOT NULL OR supervision_overdue) {scope}
          AND {distinct("ledger_case.supervision_overdue", flag)}"""


def notice_sql(tier: int, noticed_on: str, recipient: str, scope: str) -> str:
    """SQL: one ``supervision`` notification per unanswered deadline, dated
    ``noticed_on`` (the day after it, in SQL over alias ``c``), to ``recipient``."""
    return f"""INSERT INTO notification (case_id, kind, tier, recipient, created_on)
        SELECT c.case_id, '{KIND}', {tier}, {recipient}, {noticed_on}
        FROM ledger_case c
        WHERE {unanswered("c")} {scope}
          AND NOT EXISTS (SELECT 1 FROM notification n
            WHERE n.case_id = c.case_id AND n.kind = '{KIND}' AND n.tier = {tier}
              AND n.created_on = {noticed_on})"""
