"""
### catalog_refresh_assets: catalogue exactly the tables a DAG just wrote

Scheduled on the table Assets of `include/datasets` (today: pagila's
`analytics.film_revenue` and `analytics.category_revenue`). When a DAG updates one,
`refresh_tables` ingests exactly those tables into OpenMetadata (FQN filters, no soft
deletes) and `replay_lineage` sends the lineage of the tasks that wrote them, which the
lineage listener had to skip while the tables were not catalogued yet.

**Trigger by hand** with `asset_uris` (e.g. `postgres://pagila-db:5432/pagila/analytics/film_revenue`)
and optionally `producers` (`dag_id.task_id`) to refresh tables and replay lineage now.

**No overlap with a full run.** `wait_for_source_catalogs` first waits (rescheduling, no
worker slot held) while the catalog DAG of a table's source runs (e.g. `catalog_pagila`'s
nightly): a full run soft-deletes the tables it did not list, which would include a table
created and catalogued while it ran.
"""

from datetime import timedelta

from airflow.providers.standard.operators.python import PythonOperator
from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG, AssetAny, Param

from include.catalog import refresh
from include.catalog.dag_defaults import START_DATE, default_args
from include.catalog.schedules import source_catalogs_idle
from include.datasets import pagila
from include.settings import get_settings

settings = get_settings()

with DAG(
    "catalog_refresh_assets",
    schedule=AssetAny(*pagila.PRODUCED),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=[*settings.tags, "assets", "lineage"],
    default_args=default_args(),
    params={
        "asset_uris": Param([], type="array", items={"type": "string"}, title="Table Asset URIs",
                            description="Manual run: the tables to catalogue, one URI per line."),
        "producers": Param([], type="array", items={"type": "string"}, title="Producing tasks",
                           description="Manual run: dag_id.task_id whose lineage to replay."),
    },
):
    wait = PythonSensor(
        task_id="wait_for_source_catalogs",
        python_callable=source_catalogs_idle,
        mode="reschedule",
        poke_interval=60,
        # Longer than a full run may take (its execution_timeout), then fail loudly.
        timeout=(settings.tasks.execution_timeout + timedelta(minutes=30)).total_seconds(),
    )
    tables = PythonOperator(task_id="refresh_tables", python_callable=refresh.refresh_tables)
    lineage = PythonOperator(task_id="replay_lineage", python_callable=refresh.replay_lineage)
    wait >> tables >> lineage
