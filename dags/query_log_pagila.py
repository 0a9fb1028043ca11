"""
### query_log_pagila: lineage and usage from what really ran on pagila

**What it does.** After the nightly `catalog_pagila` has succeeded, reads PostgreSQL's own
query log (`pg_stat_statements`) with the OpenMetadata SDK's **lineage** workflow
(`postgres-lineage`: edges between tables from `INSERT ... SELECT`, `CREATE TABLE ... AS
SELECT`, ..., each with its SQL and column lineage where the SDK parses it) and **usage**
workflow (`postgres-usage`: how often each table was read, the queries, frequently joined
tables). SQL that ran outside Airflow (psql sessions, BI tools, cron jobs) shows up too.

**Tasks.** `wait_for_catalog` (never at the same time as `catalog_pagila`) > `preflight`
(params, OpenMetadata, PostgreSQL, and that `pg_stat_statements` is loaded, created and
readable: its message says how to enable it) > `lineage` > `usage`.

**Defaults** (`include/querylog/options.py`): at most `DATAKIT_QUERY_LOG_LIMIT` (10,000)
statements; the datakit's own catalog statements excluded (and the SDK's, by their header);
`DATAKIT_QUERY_LOG_EXCLUDE` adds a regex. `pg_stat_statements` has no timestamps: it holds
what ran since its last reset (`DATAKIT_QUERY_LOG_DAYS` applies to SQL Server).

**Trigger by hand.** Params `lineage`, `usage` (on/off), `days`.
**Schedule.** `DATAKIT_SCHEDULE_QUERY_LOG` (`30 2 * * *`), then waits for the nightly catalog run.
**Connections.** `pagila_postgres` (its login needs `pg_read_all_stats` to read others' statements),
`openmetadata_default`.
"""

from airflow.sdk import DAG

from include.profiling.dag_shape import depth_dag_kwargs, query_log_tasks
from include.querylog.options import dag_params
from include.settings import get_settings

with DAG("query_log_pagila", **depth_dag_kwargs(which="query_log", doc_md=__doc__, extra_tags=("postgres", "pagila"),
                                                params=dag_params())):
    query_log_tasks(kind="postgres", conn_id=get_settings().conn_ids.pagila, catalog_dag_id="catalog_pagila")
