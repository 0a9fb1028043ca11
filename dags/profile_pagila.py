"""
### profile_pagila: what is in pagila's tables, and which columns hold personal data

**What it does.** After the nightly `catalog_pagila` has succeeded, runs the OpenMetadata
SDK's own **profiler** (`DatabaseServiceProfilerPipeline`: row counts, nulls, distinct values,
min/max, quartiles per column) over the `pagila_postgres` service, then the SDK's
**auto-classification** (`DatabaseServiceAutoClassificationPipeline`): columns that look like
personal data get `PII.Sensitive` / `PII.NonSensitive` as *suggested* tags for a steward to confirm.

**Tasks.** `wait_for_catalog` (never at the same time as `catalog_pagila`; a scheduled run waits
for that night's catalog run to succeed) > `preflight` (params, the spaCy model, OpenMetadata,
PostgreSQL, in seconds) > `profile` > `classify`. Summaries (tables, errors) go to the log and XCom.

**Defaults** (`include/profiling/options.py`, one place): table and column metrics; views
excluded; per-table timeout `DATAKIT_PROFILER_TIMEOUT_SECONDS` (600 s) and
`DATAKIT_PROFILER_THREADS` (2); tables under 1,000,000 rows profiled whole, larger ones
sampled (10 %, from 100,000,000 rows 1 %); **no sample data stored** (copies of data may hold
PII); PII confidence `DATAKIT_PII_CONFIDENCE` (80). A table that cannot be read or exceeds the
timeout is named in the failure; the others are profiled.

**Trigger by hand.** Optional params: `schema_filter` / `table_filter` (regular expressions),
`include_views`, `sample_percent` or `sample_rows`, `classification` (on/off),
`store_sample_data` (opt in). Empty = the defaults.

**Schedule.** `DATAKIT_SCHEDULE_PROFILE` (`30 2 * * *`), then waits for the nightly catalog run.
**Connections.** `pagila_postgres`, `openmetadata_default` (as `catalog_pagila`).
"""

from airflow.sdk import DAG

from include.profiling.dag_shape import depth_dag_kwargs, profile_tasks
from include.profiling.options import dag_params
from include.settings import get_settings

with DAG("profile_pagila", **depth_dag_kwargs(which="profile", doc_md=__doc__, extra_tags=("postgres", "pagila"),
                                              params=dag_params())):
    profile_tasks(kind="postgres", conn_id=get_settings().conn_ids.pagila, catalog_dag_id="catalog_pagila")
