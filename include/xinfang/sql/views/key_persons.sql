-- Question: who are the key persons (重点人员), and how often, in how many cases and
-- through how many channels do they come?
-- One row per petitioner across all their cases (xinfang.persons.refresh, after each
-- screening). A key person has >= 2 open cases or any threat flag (config: risk).
-- ID and phone are masked here, in SQL: ID first 6 + ******** + last 4, phone first
-- 3 + **** + last 4; person_key (which may be an ID number or a phone) is masked the
-- same way. Portable SQL (SQLite and PostgreSQL).
DROP VIEW IF EXISTS v_key_persons;
CREATE VIEW v_key_persons AS
SELECT
    CASE
        WHEN k.person_key LIKE 'tel:%' THEN
            CASE WHEN length(k.person_key) < 11 THEN 'tel:****'
                 ELSE substr(k.person_key, 1, 7) || '****'
                      || substr(k.person_key, length(k.person_key) - 3, 4) END
        WHEN k.person_key LIKE 'name:%' THEN k.person_key
        WHEN length(k.person_key) < 10 THEN '********'
        ELSE substr(k.person_key, 1, 6) || '********'
             || substr(k.person_key, length(k.person_key) - 3, 4)
    END AS person_ref,
    k.name,
    CASE
        WHEN k.id_number IS NULL THEN NULL
        WHEN length(k.id_number) < 10 THEN '********'
        ELSE substr(k.id_number, 1, 6) || '********'
             || substr(k.id_number, length(k.id_number) - 3, 4)
    END AS id_number_masked,
    CASE
        WHEN k.phone IS NULL THEN NULL
        WHEN length(k.phone) < 7 THEN '****'
        ELSE substr(k.phone, 1, 3) || '****' || substr(k.phone, length(k.phone) - 3, 4)
    END AS phone_masked,
    k.case_count,
    k.open_case_count,
    k.item_count,
    k.channel_count,
    k.risk_flag_count,
    k.threat_count,
    k.is_key_person,
    k.updated_at
FROM key_person k
WHERE k.is_key_person;
