"""xinfang: a court's petition (信访) ledger on Apache Airflow.

Plain Python, testable without Airflow; the DAGs in ``dags/`` only call into it.
"""

__version__ = "0.1.0"
