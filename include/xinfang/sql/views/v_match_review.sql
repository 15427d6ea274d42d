-- Question: which deduplication decisions should a person look at (甄别)?
-- One row per intake item whose latest match_decision (the highest decision_id of the
-- item) was held against a bar (threshold not null: joins and near misses decided on
-- the facts or the text of the grievance; a case number or an ID number alone is not
-- reviewable) and came within 0.15 of it, and that no staff decision covers yet: no
-- manual_override names the item (merge, split, confirm, apart), and no confirm names
-- it as the other item of a confirmed join.
--   kind 'join': the item joined its case (score >= threshold); staff confirm it
--     (python -m xinfang.admin confirm ITEM) or split it (admin split ITEM);
--   kind 'near_miss': the item opened a case of its own although a case of the same
--     person came close (score < threshold); matched_item_id is the best candidate
--     item of that case; staff merge it (admin merge ITEM MATCHED) or confirm that it
--     stands apart (admin confirm ITEM).
-- margin = score - threshold. Intended order for staff: abs(margin) ascending, the
-- closest call first (a view cannot guarantee an order: ORDER BY abs(margin), item_id).
-- The band is 0.15, with a millionth of slack for floating-point rounding (0.45 - 0.30
-- is 0.15000000000000002 in binary).
-- The petitioner's ID number and phone (the item's own) are masked here, in SQL, as in
-- v_case_list: ID first 6 + ******** + last 4, phone first 3 + **** + last 4. The
-- item's content (which can carry ID and phone numbers) is not shown. evidence is the
-- matcher's summary of the facts that decided (amounts, organisations, dates, text
-- score); as the facts are read from the content, an evidence holding a run of 11 or
-- more digits (a mobile, a landline with its area code, an ID; no sum of money is that
-- long) is withheld whole: SQL cannot mask inside free text (the digits are found by
-- turning each into '#'). Portable SQL (SQLite and PostgreSQL).
DROP VIEW IF EXISTS v_match_review;
CREATE VIEW v_match_review AS
SELECT
    i.item_id,
    i.channel,
    i.received_at,
    i.petitioner_name,
    CASE
        WHEN i.phone IS NULL THEN NULL
        WHEN length(i.phone) < 7 THEN '****'
        ELSE substr(i.phone, 1, 3) || '****' || substr(i.phone, length(i.phone) - 3, 4)
    END AS phone_masked,
    CASE
        WHEN i.id_number IS NULL THEN NULL
        WHEN length(i.id_number) < 10 THEN '********'
        ELSE substr(i.id_number, 1, 6) || '********'
            || substr(i.id_number, length(i.id_number) - 3, 4)
    END AS id_number_masked,
    CASE WHEN d.score >= d.threshold THEN 'join' ELSE 'near_miss' END AS kind,
    d.rule,
    d.score,
    d.threshold,
    d.score - d.threshold AS margin,
    CASE
        WHEN replace(replace(replace(replace(replace(
                replace(replace(replace(replace(replace(
                    d.evidence, '0', '#'), '1', '#'), '2', '#'), '3', '#'), '4', '#'),
                '5', '#'), '6', '#'), '7', '#'), '8', '#'), '9', '#')
            LIKE '%###########%' THEN '(withheld: a number as long as a phone or ID)'
        ELSE d.evidence
    END AS evidence,
    i.case_id,
    c.ledger_no,
    m.case_id AS candidate_case_id,
    mc.ledger_no AS candidate_ledger_no,
    d.matched_item_id,
    d.decided_at
FROM match_decision d
JOIN intake_item i ON i.item_id = d.item_id
LEFT JOIN ledger_case c ON c.case_id = i.case_id
LEFT JOIN intake_item m ON m.item_id = d.matched_item_id
LEFT JOIN ledger_case mc ON mc.case_id = m.case_id
WHERE d.threshold IS NOT NULL
    AND d.score IS NOT NULL
    AND abs(d.score - d.threshold) <= 0.150001
    AND NOT EXISTS (
        SELECT 1 FROM match_decision later
        WHERE later.item_id = d.item_id AND later.decision_id > d.decision_id
    )
    AND NOT EXISTS (
        SELECT 1 FROM manual_override o
        WHERE o.item_id = d.item_id
            OR (o.action = 'confirm' AND o.other_item_id = d.item_id)
    );
