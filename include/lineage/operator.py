"""The explicit lineage pattern: the SDK's ``OpenMetadataLineageOperator``, configured from a connection.

``OpenMetadataLineageOperator`` takes a typed ``OpenMetadataConnection`` at construction,
which would force DAG files to import the SDK (~10 s per parse). This thin operator takes
the connection id instead and builds the SDK operator when it runs, against the same DAG:
everything else (reading the DAG's inlets/outlets, the pipeline, its statuses, the edges)
is the SDK's own ``AirflowLineageRunner``.

Lineage semantics are the SDK's: every inlet x every outlet *of the whole DAG*, per
``key`` (the listener, ``include.lineage.listener``, is per task). Both upsert, so a
deployment may run both; teams that want only explicit lineage set
``DATAKIT_LINEAGE_ENABLED=false``.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator


class OpenMetadataLineageFromConnection(BaseOperator):
    """Run the SDK's ``OpenMetadataLineageOperator`` for this DAG, server from ``openmetadata_conn_id``."""

    ui_color = "#7147e8"

    def __init__(self, *, openmetadata_conn_id: str = "openmetadata_default", service_name: str = "datakit_airflow",
                 only_keep_dag_lineage: bool = False, max_status: int = 10, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.openmetadata_conn_id = openmetadata_conn_id
        self.service_name = service_name
        self.only_keep_dag_lineage = only_keep_dag_lineage
        self.max_status = max_status

    def execute(self, context: Any) -> None:
        from airflow_provider_openmetadata.lineage.operator import OpenMetadataLineageOperator

        from include.openmetadata.server import get_server

        server = get_server(self.openmetadata_conn_id)
        sdk_operator = OpenMetadataLineageOperator(
            task_id=f"{self.task_id}__sdk",
            server_config=server.to_sdk_connection(),
            service_name=self.service_name,
            only_keep_dag_lineage=self.only_keep_dag_lineage,
            max_status=self.max_status,
        )
        # Bind to this DAG without registering a second task in it.
        sdk_operator._dag = self.dag
        sdk_operator.execute(context)
