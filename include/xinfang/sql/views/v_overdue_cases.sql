-- Question: which open cases are overdue, at the top tier past its limit (overdue),
-- past the statutory deadline (statutory_overdue) or past a supervision notice's
-- deadline without a reply (supervision_overdue), and who owns them?
-- Flags as set by the daily escalation sweep.
DROP VIEW IF EXISTS v_overdue_cases;
CREATE VIEW v_overdue_cases AS
SELECT
    c.case_id,
    c.ledger_no,
    c.petitioner_name,
    c.case_number,
    c.court_code,
    ct.name AS court_name,
    c.department,
    c.judge,
    c.leader,
    c.is_key,
    c.tier,
    c.tier_entered_on,
    c.status,
    c.overdue,
    c.statutory_due_on,
    c.statutory_overdue,
    c.supervision_unit,
    c.supervision_due_on,
    c.supervision_overdue,
    c.first_received_at,
    c.item_count
FROM ledger_case c
LEFT JOIN court ct ON ct.court_code = c.court_code
WHERE c.status <> 'closed' AND (c.overdue OR c.statutory_overdue OR c.supervision_overdue);
