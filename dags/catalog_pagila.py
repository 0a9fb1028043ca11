"""
### catalog_pagila: keep OpenMetadata's view of the pagila PostgreSQL database true

**What it does.** Reads the structure of the `pagila` database (schemas, tables,
partitions, views, materialized views, columns, keys, stored procedures, tags)
through the OpenMetadata ingestion SDK and upserts it into OpenMetadata under the
database service **`pagila_postgres`**. Tables dropped in PostgreSQL are
soft-deleted in the catalog. Runs nightly (02:00, `DATAKIT_SCHEDULE_NIGHTLY`).

**Tasks.** `wait_for_depth` waits while `profile_pagila` or `query_log_pagila` is working
(never refresh a source while it is profiled), then `preflight` checks, in seconds, that the trigger params are valid,
that OpenMetadata answers with a compatible version and accepts the token, and
that PostgreSQL accepts the login; `ingest_metadata` then runs the workflow and
pushes a summary (records, warnings, errors per step) to XCom.

**Critical refresh.** Every 4 hours `catalog_critical_refresh` triggers this DAG with
`{"scope": "critical"}`: only the critical tables of the schedule config
(`DATAKIT_CRITICAL_SUBSET`, default `payment*` and `rental`), no soft deletes. It is a run
of this DAG, so it never runs at the same time as the nightly (`max_active_runs=1`).

**After it.** A successful refresh (its last task) updates the Asset `catalog_pagila.refreshed`;
`sync_descriptions_pagila` (descriptions back into the database) is scheduled on it.

**Trigger by hand.** Click *Trigger* (▶). Optional params:
`schema_filter` / `table_filter` (regular expressions, one per line),
`include_views`, `mark_deleted_tables`. Leave them empty for the nightly defaults.
`scope`: `full` (default) or `critical` (the critical subset; then leave the others empty).

**Incremental.** `mode`: `auto` (default) ingests only the tables whose fingerprint (one catalog
query: columns, types, defaults, constraints, comments, view definition, partitioning) changed
since the last successful refresh and soft-deletes the dropped ones; a full refresh runs weekly
(`DATAKIT_SCHEDULE_FULL_REFRESH`, Sunday), without usable fingerprints, or with `mode` `full`.
The `ingest_metadata` summary says which mode ran, why, and how many tables were unchanged,
changed, new and deleted. Fingerprints: the Airflow Variable `datakit_refresh_state__<service>`
(delete it to force a full refresh). With `DATAKIT_OBJECTS_PER_SHARD` set, a bigger full
refresh is split into `ingest_shard` tasks (dynamic task mapping over groups of whole schemas).

**Connections.** `pagila_postgres` (postgres: host, port, login, password,
schema = database) and `openmetadata_default` (http: schema, host, port,
password = ingestion-bot JWT). See README > Configuration.
"""

from airflow.sdk import DAG

from include.catalog.dag_defaults import catalog_dag_kwargs, database_catalog_tasks
from include.catalog.refreshed import emit_when_refreshed
from include.settings import get_settings

with DAG("catalog_pagila", **catalog_dag_kwargs(doc_md=__doc__, extra_tags=("postgres", "pagila"))) as dag:
    database_catalog_tasks(kind="postgres", conn_id=get_settings().conn_ids.pagila)
emit_when_refreshed(dag)  # sync_descriptions_pagila runs after a refresh (include/catalog/refreshed.py)
