"""
### pagila_film_revenue_auto: the same ETL as `pagila_film_revenue`, with no lineage annotation

The same two tasks and SQL files as `pagila_film_revenue`, without `inlets`/`outlets`. The
lineage listener (`airflow-openmetadata-lineage`, extra `sql`) parses the SQL each task ran and
sends to OpenMetadata an edge from every table it read to every table it wrote, with the SQL
and the column lineage (e.g. `analytics.film_revenue.revenue` <- `public.payment.amount`).

**New tables.** `analytics.*` are not in the catalog after the first run: their edges are
skipped with a warning until a catalog run (or `catalog_refresh_assets`, triggered by hand
with `asset_uris` and `producers` = `pagila_film_revenue_auto.build_film_revenue`, ...) has
catalogued them; the refresh replays these tasks' SQL lineage. To have the refresh triggered
by the run itself, give a task its table Asset as outlet (`outlets=[pagila.FILM_REVENUE]`): a
task that declares outlets only still gets its SQL lineage.

**Opt out** of the automatic lineage: DAG tag `openmetadata_lineage:no_sql`, or
`params={"openmetadata_sql_lineage": False}` on the DAG or a task.

**Connection.** `pagila_postgres`. **Trigger** by hand (▶).
"""

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG

from include.catalog.dag_defaults import START_DATE, default_args
from include.datasets import pagila
from include.settings import REPO_SQL

with DAG(
    "pagila_film_revenue_auto",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["datakit", "etl", "pagila", "lineage"],
    default_args=default_args(),
    template_searchpath=[str(REPO_SQL / "pagila")],
):
    film_revenue = SQLExecuteQueryOperator(task_id="build_film_revenue", conn_id=pagila.SERVICE, sql="film_revenue.sql")
    category_revenue = SQLExecuteQueryOperator(task_id="build_category_revenue", conn_id=pagila.SERVICE,
                                               sql="category_revenue.sql")
    film_revenue >> category_revenue
