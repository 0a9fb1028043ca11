"""
### catalog_health: is everything the catalog depends on there?

One task, `check`, prints ONE table to its log (check, target, status, detail, seconds)
and pushes it to XCom (key `report`, and the return value when all pass):

- `openmetadata`: the version endpoint of `openmetadata_default`, version match with the
  SDK, the ingestion-bot token;
- `postgres`: `pagila_postgres` accepts the login;
- `sqlserver` / `odbc driver` / `kerberos`: `mssql_corp`'s host:port answers over TCP, its
  ODBC driver is registered, the shared Kerberos ticket is valid long enough;
- `airflow db`: `airflow_metadata_db` is reachable and is Airflow's metadata DB.

A source whose connection does not exist is SKIP, with the reason (a datakit may not use SQL
Server). The task fails when a check fails, after printing the whole table, and the failure
alert (Slack, when `slack_default` exists) says which. Schedule: `DATAKIT_SCHEDULE_HEALTH`
(default `15 * * * *`, hourly). The same check from a shell: `make health`.
"""

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from include.catalog.dag_defaults import default_args, start_date
from include.catalog.schedules import HEALTH_DAG_ID, health_cron
from include.health import health_task
from include.settings import get_settings

settings = get_settings()

with DAG(
    HEALTH_DAG_ID,
    schedule=health_cron(settings),
    start_date=start_date(),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=[*settings.tags, "health"],
    default_args=default_args(),
):
    PythonOperator(
        task_id="check",
        python_callable=health_task,
        retries=0,  # a health check is an answer; the next scheduled one is the retry
    )
