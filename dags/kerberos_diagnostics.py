"""
### kerberos_diagnostics: why can't Airflow reach the corporate SQL Server?

Manual trigger only. Prints one report to the task log: the ticket cache path,
principal and expiry, realm and KDCs from `krb5.conf`, the registered ODBC drivers,
TCP reachability of the `mssql_corp` host:port and, when all of those pass, the
OpenMetadata SDK's own test connection (a real login with the Kerberos ticket).
The task fails when any check fails; the report says what to fix.

The same report from a shell in the project root: `python -m include.kerberos.diagnose`.
"""

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from include.catalog import tasks
from include.catalog.dag_defaults import START_DATE, default_args
from include.settings import get_settings

settings = get_settings()

with DAG(
    "kerberos_diagnostics",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=[*settings.tags, "kerberos", "diagnostics"],
    default_args=default_args(),
):
    PythonOperator(
        task_id="diagnose",
        python_callable=tasks.kerberos_report,
        op_kwargs={"conn_id": settings.conn_ids.mssql},
        retries=0,  # a diagnosis is an answer; retrying it tells nothing new
    )
