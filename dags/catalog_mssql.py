"""
### catalog_mssql: keep OpenMetadata's view of the corporate SQL Server true (Kerberos)

**What it does.** Reads the structure of the SQL Server database of connection
**`mssql_corp`** (schemas, tables, views, columns, keys, stored procedures) through
the OpenMetadata ingestion SDK (`mssql+pyodbc`, trusted connection) and upserts it
under the database service `mssql_corp`. Runs nightly (`DATAKIT_SCHEDULE_NIGHTLY`).

**No passwords.** Authentication is the Kerberos ticket that the *kerberos sidecar*
copies from the host into the shared volume (`KRB5CCNAME`, default
`FILE:/krb5/cache/krb5cc`). The connection has no login and no password.

**Tasks.** `wait_for_depth` waits while `profile_mssql` or `query_log_mssql` is working
(never refresh a source while it is profiled). `preflight` fails fast with what to do: no ticket cache (is the sidecar
running?), cache unreadable (mode/owner needed), ticket expired or expiring soon
(run `kinit` on the host), ODBC driver not registered (lists the registered ones),
SQL Server host:port unreachable. Then `ingest_metadata` runs the workflow.
For a full report run the `kerberos_diagnostics` DAG or
`python -m include.kerberos.diagnose`.

**After it.** A successful refresh (its last task) updates the Asset `catalog_mssql.refreshed`;
`sync_descriptions_mssql` (descriptions back into the database) is scheduled on it.

**Trigger by hand.** Click *Trigger* (▶). Optional params: `schema_filter`,
`table_filter`, `include_views`, `mark_deleted_tables`, and `scope`: `full` (default) or
`critical`, the FQN patterns of `mssql` in `DATAKIT_CRITICAL_SUBSET` (no soft deletes). When
`mssql` is in that subset, `catalog_critical_refresh` triggers such a run every 4 hours; it
waits for a running nightly (`max_active_runs=1`).

**Incremental.** `mode`: `auto` (default) ingests only the tables whose fingerprint (one catalog
query: columns, types, defaults, constraints, comments, view definition, partitioning) changed
since the last successful refresh and soft-deletes the dropped ones; a full refresh runs weekly
(`DATAKIT_SCHEDULE_FULL_REFRESH`, Sunday), without usable fingerprints, or with `mode` `full`.
The `ingest_metadata` summary says which mode ran, why, and how many tables were unchanged,
changed, new and deleted. Fingerprints: the Airflow Variable `datakit_refresh_state__<service>`
(delete it to force a full refresh). With `DATAKIT_OBJECTS_PER_SHARD` set, a bigger full
refresh is split into `ingest_shard` tasks (dynamic task mapping over groups of whole schemas).

**Connection extras** of `mssql_corp`: `driver` (default `ODBC Driver 18 for SQL
Server`), `encrypt` (true), `trust_server_certificate` (false),
`ingest_all_databases` (false), `database_filter` / `schema_filter` / `table_filter`.
"""

from airflow.sdk import DAG

from include.catalog.dag_defaults import catalog_dag_kwargs, database_catalog_tasks
from include.catalog.refreshed import emit_when_refreshed
from include.settings import get_settings

with DAG("catalog_mssql", **catalog_dag_kwargs(doc_md=__doc__, extra_tags=("mssql", "kerberos"))) as dag:
    database_catalog_tasks(kind="mssql", conn_id=get_settings().conn_ids.mssql)
emit_when_refreshed(dag)  # sync_descriptions_mssql runs after a refresh (include/catalog/refreshed.py)
