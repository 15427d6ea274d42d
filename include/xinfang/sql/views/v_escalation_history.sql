-- Question: when did each case climb the ladder, and why (sla / key_case / reopened)?
DROP VIEW IF EXISTS v_escalation_history;
CREATE VIEW v_escalation_history AS
SELECT
    e.case_id,
    c.ledger_no,
    c.petitioner_name,
    c.court_code,
    ct.name AS court_name,
    e.from_tier,
    e.to_tier,
    e.escalated_on,
    e.reason,
    c.is_key,
    c.tier AS current_tier,
    c.status AS current_status
FROM escalation_event e
JOIN ledger_case c ON c.case_id = e.case_id
LEFT JOIN court ct ON ct.court_code = c.court_code;
