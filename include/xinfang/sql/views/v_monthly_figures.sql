-- Question: how did each court do in a month (new, closed, open, resolution rate,
-- repeats, reopened, escalations, overdue, key cases, hearings, items by channel, and
-- the office's three rates: 及时受理率, 按期办结率, 满意率)?
DROP VIEW IF EXISTS v_monthly_figures;
CREATE VIEW v_monthly_figures AS
SELECT
    k.month,
    k.court_code,
    ct.name AS court_name,
    k.cases_total,
    k.cases_new,
    k.cases_closed,
    k.cases_open_start,
    k.cases_open_end,
    k.resolution_rate,
    k.repeat_items,
    k.repeat_cases,
    k.reopened_cases,
    k.esc_to_tier2,
    k.esc_to_tier3,
    k.esc_to_tier4,
    k.esc_to_tier5,
    k.overdue_cases,
    k.statutory_overdue_cases,
    k.key_open,
    k.key_closed,
    k.hearings,
    k.items_total,
    k.items_letter,
    k.items_visit,
    k.items_online,
    k.items_hotline,
    k.items_referral,
    k.timely_acceptance_rate,
    k.on_time_closure_rate,
    k.satisfaction_rate,
    k.computed_at
FROM kpi_monthly k
LEFT JOIN court ct ON ct.court_code = k.court_code;
