"""The explicit lineage pattern: the SDK's ``OpenMetadataLineageOperator``, configured from a connection.

Needs the ``sdk`` extra: ``pip install "airflow-openmetadata-lineage[sdk]"``.

``OpenMetadataLineageOperator`` takes a typed ``OpenMetadataConnection`` at construction, which
would force DAG files to import the SDK (~10 s per parse). This operator takes a connection id
instead and builds the SDK operator when it runs, against the same DAG: everything else
(reading the DAG's inlets/outlets, the pipeline, its statuses, the edges) is the SDK's own.

Lineage semantics are the SDK's: every inlet x every outlet *of the whole DAG*, per ``key``
(the listener is per task). Both upsert, so a deployment may run both; teams that want only
explicit lineage set ``OPENMETADATA_LINEAGE_ENABLED=false``.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from airflow_openmetadata_lineage.connection import OpenMetadataEndpoint


def to_sdk_connection(endpoint: OpenMetadataEndpoint) -> Any:
    """The SDK's ``OpenMetadataConnection`` for ``endpoint`` (imports the SDK: call in tasks only)."""
    try:
        from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
            AuthProvider,
            OpenMetadataConnection,
        )
        from metadata.generated.schema.security.client.openMetadataJWTClientConfig import (
            OpenMetadataJWTClientConfig,
        )
        from metadata.generated.schema.security.ssl.verifySSLConfig import VerifySSL
    except ImportError as exc:
        raise ImportError(
            f"OpenMetadataLineageFromConnection needs the OpenMetadata SDK ({exc}). "
            'Fix: pip install "airflow-openmetadata-lineage[sdk]"'
        ) from None

    # The SDK's names: "no-ssl" leaves verification to requests (system CAs), "ignore" turns it
    # off, "validate" checks against the given CA bundle.
    kwargs: dict[str, Any] = {"verifySSL": VerifySSL.no_ssl}
    if endpoint.verify_ssl is False:
        kwargs["verifySSL"] = VerifySSL.ignore
    elif isinstance(endpoint.verify_ssl, str):
        from metadata.generated.schema.security.ssl.validateSSLClientConfig import ValidateSslClientConfig

        kwargs["verifySSL"] = VerifySSL.validate
        kwargs["sslConfig"] = ValidateSslClientConfig(caCertificate=endpoint.verify_ssl)
    return OpenMetadataConnection(
        hostPort=endpoint.api_url,
        authProvider=AuthProvider.openmetadata,
        securityConfig=OpenMetadataJWTClientConfig(jwtToken=endpoint.jwt),
        **kwargs,
    )


class OpenMetadataLineageFromConnection(BaseOperator):
    """Run the SDK's ``OpenMetadataLineageOperator`` for this DAG, server from ``openmetadata_conn_id``.

    ``service_name`` defaults to the setting ``pipeline_service`` (the listener's), read when
    the task runs.
    """

    ui_color = "#7147e8"

    def __init__(self, *, openmetadata_conn_id: str | None = None, service_name: str | None = None,
                 only_keep_dag_lineage: bool = False, max_status: int = 10, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.openmetadata_conn_id = openmetadata_conn_id
        self.service_name = service_name
        self.only_keep_dag_lineage = only_keep_dag_lineage
        self.max_status = max_status

    def execute(self, context: Any) -> None:
        from airflow_provider_openmetadata.lineage.operator import OpenMetadataLineageOperator

        from airflow_openmetadata_lineage.config import LineageConfig
        from airflow_openmetadata_lineage.connection import get_endpoint

        config = LineageConfig.load()
        endpoint = get_endpoint(self.openmetadata_conn_id or config.openmetadata_conn_id)
        sdk_operator = OpenMetadataLineageOperator(
            task_id=f"{self.task_id}__sdk",
            server_config=to_sdk_connection(endpoint),
            service_name=self.service_name or config.pipeline_service,
            only_keep_dag_lineage=self.only_keep_dag_lineage,
            max_status=self.max_status,
        )
        # Bind to this DAG without registering a second task in it.
        sdk_operator._dag = self.dag
        sdk_operator.execute(context)
