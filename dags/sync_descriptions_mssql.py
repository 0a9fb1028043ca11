"""
### sync_descriptions_mssql: OpenMetadata descriptions become SQL Server's MS_Description (Kerberos)

**What it does.** Reads from OpenMetadata (service **`mssql_corp`**) the descriptions of the
database, schemas, tables, views and columns, reads the current `MS_Description` extended
properties (one query), and sets only those that differ with `sys.sp_addextendedproperty` /
`sys.sp_updateextendedproperty` (every name and text a bound parameter). An empty description
never removes a property unless `allow_clear` (`sys.sp_dropextendedproperty`). A description
over 3,750 characters (the property's limit) is reported, not truncated.

**When.** After each successful nightly (or manual) run of `catalog_mssql` (Asset
`catalog_mssql.refreshed`), never at the same time; and by hand.

**No passwords.** The connection is catalog_mssql's: the Kerberos ticket the sidecar shares
(`KRB5CCNAME`), ODBC trusted connection. `preflight` checks ticket, driver and network.

**Params, summary, failures.** As `sync_descriptions_pagila`: `dry_run`, `allow_clear`,
`schema_filter`, `table_filter`; previous values in XCom and the log; failures named.
Connection: `mssql_corp` or `DATAKIT_DESCRIPTIONS_MSSQL_CONN_ID`. See docs/descriptions-sync.md.
"""

from airflow.sdk import DAG

from include.descriptions.dag import sync_dag_kwargs, sync_tasks

with DAG("sync_descriptions_mssql", **sync_dag_kwargs(doc_md=__doc__, catalog_dag_id="catalog_mssql",
                                                      extra_tags=("mssql", "kerberos"))):
    sync_tasks(kind="mssql")
