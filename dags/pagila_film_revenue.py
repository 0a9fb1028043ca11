"""
### pagila_film_revenue: revenue per film and per category (an ETL with lineage)

Builds two reporting tables in pagila's `analytics` schema with plain SQL through the
postgres provider:

- `build_film_revenue`: `film`, `inventory`, `rental`, `payment` -> `analytics.film_revenue`
- `build_category_revenue`: `analytics.film_revenue`, `film_category`, `category` -> `analytics.category_revenue`

**Lineage.** Each task declares its tables as `inlets`/`outlets` (`include.datasets.pagila`:
`om_table` references and table Assets; each task's references carry their own `key`, so
the SDK's DAG-level readers (catalog_airflow, the lineage operator) pair each task's
inlets with its own outlets and never draw film_revenue -> film_revenue). The datakit's lineage listener sends
inlets x outlets to OpenMetadata when a task succeeds. The Assets also trigger
`catalog_refresh_assets`, which catalogues exactly these output tables and then replays the
lineage of the tasks that wrote them: after one run, OpenMetadata knows the new tables and
their upstream edges, with no manual step.

**Connection.** `pagila_postgres`. **Trigger** by hand (▶) or daily at 03:00.
"""

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG

from include.catalog.dag_defaults import START_DATE, default_args
from include.datasets import pagila
from include.settings import REPO_SQL, get_settings

settings = get_settings()

with DAG(
    "pagila_film_revenue",
    schedule="0 3 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["datakit", "etl", "pagila", "lineage"],
    default_args=default_args(),
    template_searchpath=[str(REPO_SQL / "pagila")],
):
    film_revenue = SQLExecuteQueryOperator(
        task_id="build_film_revenue",
        conn_id=pagila.SERVICE,
        sql="film_revenue.sql",
        inlets=[pagila.table(t, key="film_revenue") for t in ("film", "inventory", "rental", "payment")],
        outlets=[pagila.table("film_revenue", schema="analytics", key="film_revenue"), pagila.FILM_REVENUE],
    )
    category_revenue = SQLExecuteQueryOperator(
        task_id="build_category_revenue",
        conn_id=pagila.SERVICE,
        sql="category_revenue.sql",
        inlets=[pagila.table("film_revenue", schema="analytics", key="category_revenue"),
                pagila.table("film_category", key="category_revenue"), pagila.table("category", key="category_revenue")],
        outlets=[pagila.table("category_revenue", schema="analytics", key="category_revenue"), pagila.CATEGORY_REVENUE],
    )
    film_revenue >> category_revenue
