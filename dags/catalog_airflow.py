"""
### catalog_airflow: keep OpenMetadata's view of this Airflow's DAGs true

**What it does.** Reads this Airflow's DAGs from its own metadata database through
the OpenMetadata ingestion SDK's Airflow connector and upserts them into OpenMetadata
under the pipeline service **`datakit_airflow`** (the same service the lineage listener
writes to): one pipeline per DAG with its tasks and their dependencies, schedule,
owners and tags (classification `AirflowTags`), the last 10 runs of each DAG with every
task's state, and table lineage from tasks' `om_table(...)` inlets/outlets (tables that
are already in the catalog). Pipelines of DAGs that no longer exist (DAG file deleted,
`is_stale` in Airflow) are soft-deleted.
Runs nightly (02:00, `DATAKIT_SCHEDULE_NIGHTLY`); run the database catalog DAGs first
so lineage finds its tables.

**Tasks.** `preflight` checks, in seconds, that OpenMetadata answers with a compatible
version and accepts the token, and that the metadata database is reachable and is
Airflow's (it has the `dag` and `serialized_dag` tables); `ingest_metadata` then runs the
workflow and pushes a summary (records, warnings, errors per step) to XCom.

**Trigger by hand.** Click *Trigger* (▶) without configuration: this DAG has no params.
DAG filters and the number of runs per DAG are extras of the connection
(`pipeline_filter`, `pipeline_exclude`, `number_of_status`).

**Connections.** `airflow_metadata_db`: Airflow's metadata database, conn_type
postgres (or mysql / sqlite). Under `astro dev start` it is host `postgres`, port 5432,
login `postgres`, password `postgres`, schema `postgres`. And `openmetadata_default`
(http: schema, host, port, password = ingestion-bot JWT). See README > Configuration.
"""

from airflow.sdk import DAG

from include.catalog.dag_defaults import catalog_dag_kwargs
from include.settings import get_settings
from include.sources.airflow_tasks import airflow_catalog_tasks

# The database params (schema_filter, ...) mean nothing for pipelines: no params.
kwargs = {**catalog_dag_kwargs(doc_md=__doc__, extra_tags=("airflow", "pipelines")), "params": {}}

with DAG("catalog_airflow", **kwargs):
    airflow_catalog_tasks(conn_id=get_settings().conn_ids.airflow_metadata_db)
