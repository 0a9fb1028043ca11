"""
### sync_descriptions_pagila: what stewards write in OpenMetadata becomes pagila's own comments

**What it does.** Reads from OpenMetadata (service **`pagila_postgres`**) the descriptions of
the database, its schemas, tables, views, materialized views and columns, reads pagila's
current comments (one catalog query), and writes `COMMENT ON DATABASE / SCHEMA / TABLE / VIEW /
MATERIALIZED VIEW / COLUMN` **only where the text differs**. Markdown is written as it is.
An empty description never erases a comment unless `allow_clear`.

**When.** After each successful nightly (or manual) run of `catalog_pagila` (Asset
`catalog_pagila.refreshed`), never at the same time (`catalog_idle` waits for it); not after
the 4-hourly critical refreshes. And by hand.

**Tasks.** `after_full_refresh`, `catalog_idle`, `preflight` (params, OpenMetadata, PostgreSQL),
`schema_batches`, `sync_descriptions` (one mapped task per batch of schemas,
`DATAKIT_DESCRIPTIONS_SCHEMA_BATCHES`). Each object is its own short transaction with a lock
timeout, written in parallel (`DATAKIT_DESCRIPTIONS_WORKERS` connections).

**Summary.** XCom and the task log hold one row per changed object with its **previous
comment** (to revert a run) and the new text; an object that fails (not the owner, dropped,
lock timeout) is named and the rest are written; the task then fails with the count.

**Trigger by hand.** Params: `dry_run` (report, write nothing), `allow_clear`,
`schema_filter` / `table_filter` (regular expressions).

**Connections.** `openmetadata_default`; `pagila_postgres`, or the login that owns the objects
named by `DATAKIT_DESCRIPTIONS_PAGILA_CONN_ID`. See docs/descriptions-sync.md.
"""

from airflow.sdk import DAG

from include.descriptions.dag import sync_dag_kwargs, sync_tasks

with DAG("sync_descriptions_pagila", **sync_dag_kwargs(doc_md=__doc__, catalog_dag_id="catalog_pagila",
                                                       extra_tags=("postgres", "pagila"))):
    sync_tasks(kind="postgres")
