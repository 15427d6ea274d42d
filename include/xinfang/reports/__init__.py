"""Analyst views, month-end reports and the daily ledger export (issue 5).

- ``xinfang.reports.views``: create the ``sql/views`` views and the analyst role;
- ``xinfang.reports.monthly``: the month's workbook, CSVs and charts;
- ``xinfang.reports.ledger_export``: the daily 台账 per court.
"""
