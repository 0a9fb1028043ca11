"""
### profile_mssql: profiles and PII tags of the corporate SQL Server (Kerberos)

The same as `profile_pagila` for the `mssql_corp` service: after the nightly `catalog_mssql`
has succeeded, the SDK's **profiler** then its **PII auto-classification**, reading SQL Server
through pyodbc with the Kerberos ticket the sidecar shares (no password anywhere).

**Tasks.** `wait_for_catalog` > `preflight` (params, the spaCy model, OpenMetadata, then the
Kerberos ticket, the ODBC driver and the TCP port) > `profile` > `classify`.
Defaults, params and schedule: as `profile_pagila` (`include/profiling/options.py`);
system schemas (`sys`, `INFORMATION_SCHEMA`, `guest`, `db_*`, `cdc`) are excluded.
**Connections.** `mssql_corp` (see README > Kerberos for SQL Server), `openmetadata_default`.
"""

from airflow.sdk import DAG

from include.profiling.dag_shape import depth_dag_kwargs, profile_tasks
from include.profiling.options import dag_params
from include.settings import get_settings

with DAG("profile_mssql", **depth_dag_kwargs(which="profile", doc_md=__doc__, extra_tags=("mssql", "kerberos"),
                                             params=dag_params())):
    profile_tasks(kind="mssql", conn_id=get_settings().conn_ids.mssql, catalog_dag_id="catalog_mssql")
