-- Question: what changed in a case, when, through what and, for people, who and why?
-- One row per case_history row (xinfang.history): a tracked field that moved (status,
-- tier, is_key, court_code, judge, department, leader, disposition, statutory_due_on,
-- extended_to, supervision_due_on), or created / merge / split. For a merge or split,
-- old_value is the other case's 台账编号: a case's merges and splits are the rows with its
-- ledger_no plus those whose old_value is its ledger_no. ledger_no is the one recorded
-- (a case merged away keeps its rows); court_name is the case's court now (null for a
-- case merged away). 中文: 台账编号 ledger_no, 责任法院 court_name, 变更项 field,
-- 原值 old_value, 新值 new_value, 变更日期 changed_on, 来源 source (intake 受理/progress
-- 进展/sweep 督促升级/manual 人工), 途径 via, 操作人 actor, 理由 reason.
DROP VIEW IF EXISTS v_case_history;
CREATE VIEW v_case_history AS
SELECT
    h.history_id,
    h.case_id,
    h.ledger_no,
    c.court_code,
    ct.name AS court_name,
    h.field,
    h.old_value,
    h.new_value,
    h.changed_on,
    h.changed_at,
    h.source,
    h.via,
    h.actor,
    h.reason,
    h.recorded_at,
    c.status AS current_status,
    c.tier AS current_tier
FROM case_history h
LEFT JOIN ledger_case c ON c.case_id = h.case_id
LEFT JOIN court ct ON ct.court_code = c.court_code;
