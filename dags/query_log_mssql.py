"""
### query_log_mssql: lineage and usage from SQL Server's query statistics (Kerberos)

The same as `query_log_pagila` for the `mssql_corp` service: the SDK's `mssql-lineage` and
`mssql-usage` sources read SQL Server's cached query statistics (`sys.dm_exec_query_stats`
with their text) for the last `DATAKIT_QUERY_LOG_DAYS` (1) days, through pyodbc with the
Kerberos ticket the sidecar shares. The login needs `VIEW SERVER STATE`.

**Tasks.** `wait_for_catalog` > `preflight` (params, OpenMetadata, the Kerberos ticket, the
ODBC driver, the TCP port) > `lineage` > `usage`. Params and schedule: as `query_log_pagila`.
**Connections.** `mssql_corp`, `openmetadata_default`.
"""

from airflow.sdk import DAG

from include.profiling.dag_shape import depth_dag_kwargs, query_log_tasks
from include.querylog.options import dag_params
from include.settings import get_settings

with DAG("query_log_mssql", **depth_dag_kwargs(which="query_log", doc_md=__doc__, extra_tags=("mssql", "kerberos"),
                                               params=dag_params())):
    query_log_tasks(kind="mssql", conn_id=get_settings().conn_ids.mssql, catalog_dag_id="catalog_mssql")
