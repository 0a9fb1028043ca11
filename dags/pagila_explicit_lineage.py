"""
### pagila_explicit_lineage: the explicit lineage pattern (the SDK's lineage operator)

For teams that prefer lineage as a visible step of the DAG rather than the automatic
listener. `build_store_revenue` writes `analytics.store_revenue` (from `store`, `staff`,
`payment`), `catalog_outputs` catalogues exactly that table, and `send_lineage` runs the
OpenMetadata SDK's `OpenMetadataLineageOperator` (configured from `openmetadata_default`)
at the end: it reads every task's inlets/outlets and sends DAG-level lineage under the
pipeline service `datakit_airflow`.

**Connections.** `pagila_postgres`, `openmetadata_default`. **Trigger** by hand (▶).
"""

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from airflow_openmetadata_lineage.operator import OpenMetadataLineageFromConnection

from include.catalog import refresh
from include.catalog.dag_defaults import START_DATE, default_args
from include.datasets import pagila
from include.settings import REPO_SQL, get_settings

settings = get_settings()

with DAG(
    "pagila_explicit_lineage",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["datakit", "etl", "pagila", "lineage", "example"],
    default_args=default_args(),
    template_searchpath=[str(REPO_SQL / "pagila")],
):
    build = SQLExecuteQueryOperator(
        task_id="build_store_revenue",
        conn_id=pagila.SERVICE,
        sql="store_revenue.sql",
        inlets=[pagila.table("store"), pagila.table("staff"), pagila.table("payment")],
        outlets=[pagila.table("store_revenue", schema="analytics")],
    )
    catalog = PythonOperator(
        task_id="catalog_outputs",
        python_callable=refresh.refresh_tables,
        op_kwargs={"params": {"asset_uris": [pagila.STORE_REVENUE.uri]}},
    )
    lineage = OpenMetadataLineageFromConnection(task_id="send_lineage")
    build >> catalog >> lineage
