"""Table lineage from Airflow 3 tasks to OpenMetadata.

Install the distribution ``airflow-openmetadata-lineage`` and its listener is registered
(``airflow.plugins`` entry point): every task that succeeds sends its ``inlets`` x ``outlets``
to OpenMetadata as table lineage, annotated with the DAG as pipeline. Declare tables with::

    from airflow_openmetadata_lineage import om_table, table_asset

    SQLExecuteQueryOperator(
        ...,
        inlets=[om_table("warehouse.dw.public.raw_orders")],
        outlets=[om_table("warehouse.dw.public.orders"),
                 table_asset(scheme="postgres", hostport="db:5432", database="dw", schema="public",
                             table="orders", service="warehouse")],
    )

Public API (all light to import in DAG files: the standard library only until used):

- ``om_table`` / ``OMTable``: a table reference (FQN ``service.database.schema.table``);
- ``table_asset`` / ``table_asset_uri`` / ``parse_table_asset_uri`` / ``TableAssetRef`` /
  ``table_asset_service``: Airflow Assets that name tables (and carry their service), for
  outlets and data-aware schedules;
- ``asset_service_map``: the settings' Asset ``host:port/database`` -> service mapping;
- ``LineageConfig`` (every setting and its default), ``settings_table``;
- ``send_task_lineage``: send a task's edges on demand (e.g. after its tables are catalogued);
- ``LineageConfigError`` / ``UnresolvedReference``: errors naming the field and the fix;
- ``airflow_openmetadata_lineage.fqn``: FQN quoting as OpenMetadata does it;
- ``airflow_openmetadata_lineage.operator.OpenMetadataLineageFromConnection``: the explicit
  operator (extra ``sdk``).
"""

from airflow_openmetadata_lineage.assets import (
    TableAssetRef,
    asset_service_map,
    parse_table_asset_uri,
    table_asset,
    table_asset_service,
    table_asset_uri,
)
from airflow_openmetadata_lineage.config import LineageConfig, settings_table
from airflow_openmetadata_lineage.errors import LineageConfigError, LineageError, UnresolvedReference
from airflow_openmetadata_lineage.references import OMTable, om_table, xlet_fqn
from airflow_openmetadata_lineage.replay import send_task_lineage
from airflow_openmetadata_lineage.sender import SendReport

__version__ = "0.2.0"

__all__ = [
    "LineageConfig",
    "LineageConfigError",
    "LineageError",
    "OMTable",
    "SendReport",
    "TableAssetRef",
    "UnresolvedReference",
    "__version__",
    "asset_service_map",
    "om_table",
    "parse_table_asset_uri",
    "send_task_lineage",
    "settings_table",
    "table_asset",
    "table_asset_service",
    "table_asset_uri",
    "xlet_fqn",
]
