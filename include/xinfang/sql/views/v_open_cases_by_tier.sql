-- Question: how many cases are open at each tier in each court, right now?
-- Every court x tier 1..5, zeros included. Open = status open or paused (中止).
DROP VIEW IF EXISTS v_open_cases_by_tier;
CREATE VIEW v_open_cases_by_tier AS
SELECT
    ct.court_code,
    ct.name AS court_name,
    t.tier,
    COALESCE(SUM(CASE WHEN c.case_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS open_cases,
    COALESCE(SUM(CASE WHEN c.status = 'paused' THEN 1 ELSE 0 END), 0) AS paused_cases,
    COALESCE(SUM(CASE WHEN c.is_key THEN 1 ELSE 0 END), 0) AS key_cases,
    COALESCE(SUM(CASE WHEN c.overdue THEN 1 ELSE 0 END), 0) AS overdue_cases,
    COALESCE(SUM(CASE WHEN c.statutory_overdue THEN 1 ELSE 0 END), 0) AS statutory_overdue_cases
FROM court ct
CROSS JOIN (
    SELECT 1 AS tier UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5
) t
LEFT JOIN ledger_case c
    ON c.court_code = ct.court_code AND c.tier = t.tier AND c.status <> 'closed'
GROUP BY ct.court_code, ct.name, t.tier;
