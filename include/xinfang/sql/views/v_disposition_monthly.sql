-- Question: how many cases did each court close in a month, per batch (五个一批)?
DROP VIEW IF EXISTS v_disposition_monthly;
CREATE VIEW v_disposition_monthly AS
SELECT
    d.month,
    d.court_code,
    ct.name AS court_name,
    d.disposition,
    CASE d.disposition
        WHEN 'review' THEN '依法评查'
        WHEN 'procedure' THEN '依法导入程序'
        WHEN 'resolved' THEN '依法化解'
        WHEN 'aid' THEN '依法救助'
        WHEN 'terminated' THEN '依法终结'
    END AS disposition_name,
    d.case_count
FROM disposition_monthly d
LEFT JOIN court ct ON ct.court_code = d.court_code;
