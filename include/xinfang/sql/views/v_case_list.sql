-- Question: which cases are on the ledger, whose are they and where do they stand?
-- One row per ledger case with the petitioner's name and case number (案号).
-- The petitioner's ID number and phone (from the case's earliest intake item that
-- carries one) are masked here, in SQL: ID first 6 + ******** + last 4,
-- phone first 3 + **** + last 4. The latest progress note is shown as the loader
-- stored it masked (case_progress.note_masked: every ID- or phone-like number in the
-- text masked by xinfang.masking.mask_text); the raw note never reaches this view, and
-- a note without its masked copy shows as null. Portable SQL (SQLite and PostgreSQL).
DROP VIEW IF EXISTS v_case_list;
CREATE VIEW v_case_list AS
SELECT
    c.case_id,
    c.ledger_no,
    c.petitioner_name,
    CASE
        WHEN c.id_number IS NULL THEN NULL
        WHEN length(c.id_number) < 10 THEN '********'
        ELSE substr(c.id_number, 1, 6) || '********'
            || substr(c.id_number, length(c.id_number) - 3, 4)
    END AS id_number_masked,
    CASE
        WHEN c.phone IS NULL THEN NULL
        WHEN length(c.phone) < 7 THEN '****'
        ELSE substr(c.phone, 1, 3) || '****' || substr(c.phone, length(c.phone) - 3, 4)
    END AS phone_masked,
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
    CASE c.status
        WHEN 'open' THEN '办理中'
        WHEN 'paused' THEN '中止'
        WHEN 'closed' THEN '已销号'
    END AS status_name,
    c.disposition,
    CASE c.disposition
        WHEN 'review' THEN '依法评查'
        WHEN 'procedure' THEN '依法导入程序'
        WHEN 'resolved' THEN '依法化解'
        WHEN 'aid' THEN '依法救助'
        WHEN 'terminated' THEN '依法终结'
    END AS disposition_name,
    c.first_received_at,
    c.last_received_at,
    c.item_count,
    c.reopened_count,
    c.closed_on,
    c.overdue,
    c.statutory_due_on,
    c.statutory_overdue,
    c.accepted_on,
    c.replied_on,
    c.extended_to,
    c.satisfaction,
    CASE c.satisfaction
        WHEN 'satisfied' THEN '满意'
        WHEN 'basic' THEN '基本满意'
        WHEN 'dissatisfied' THEN '不满意'
    END AS satisfaction_name,
    c.supervision_unit,
    c.supervision_due_on,
    c.supervision_overdue,
    (
        SELECT p.progress_date FROM case_progress p
        WHERE p.case_id = c.case_id AND p.note IS NOT NULL
        ORDER BY p.progress_date DESC, p.progress_id DESC
        LIMIT 1
    ) AS latest_progress_on,
    (
        SELECT p.note_masked FROM case_progress p
        WHERE p.case_id = c.case_id AND p.note IS NOT NULL
        ORDER BY p.progress_date DESC, p.progress_id DESC
        LIMIT 1
    ) AS latest_progress
FROM (
    SELECT
        lc.*,
        (
            SELECT i.id_number FROM intake_item i
            WHERE i.case_id = lc.case_id AND i.id_number IS NOT NULL
            ORDER BY i.received_at, i.item_id
            LIMIT 1
        ) AS id_number,
        (
            SELECT i.phone FROM intake_item i
            WHERE i.case_id = lc.case_id AND i.phone IS NOT NULL
            ORDER BY i.received_at, i.item_id
            LIMIT 1
        ) AS phone
    FROM ledger_case lc
) c
LEFT JOIN court ct ON ct.court_code = c.court_code;
