"""Task callables of the database catalog DAGs.

Each imports what it needs when it runs (the SDK takes ~10 s to import), so DAG files
that reference these functions parse in milliseconds.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from include.connections import get_connection
from include.settings import get_settings
from include.sources.common import MetadataOptions, options_with_params

log = logging.getLogger(__name__)


def _conf(dag_run: Any) -> Mapping[str, Any]:
    return (getattr(dag_run, "conf", None) or {}) if dag_run is not None else {}


def _postgres(conn_id: str):
    from include.sources.postgres import postgres_from_connection

    return postgres_from_connection(get_connection(conn_id))


def preflight_postgres(conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
                       openmetadata_conn_id: str | None = None) -> dict[str, Any]:
    """Fail fast, naming what is wrong: params, OpenMetadata (URL, version, token), the database."""
    from include.openmetadata.preflight import check_openmetadata
    from include.openmetadata.server import get_server
    from include.sources.postgres import check_postgres_reachable

    options_with_params(MetadataOptions(), params, _conf(dag_run))
    server = get_server(openmetadata_conn_id)
    source = _postgres(conn_id)
    om = check_openmetadata(server)
    pg_version = check_postgres_reachable(source, timeout=get_settings().client.preflight_timeout)
    log.info("PostgreSQL %s at %s reachable", pg_version, source.where)
    return {"openmetadata": om.as_dict(), "source": {"conn_id": conn_id, "where": source.where, "version": pg_version}}


def ingest_postgres(conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
                    openmetadata_conn_id: str | None = None, service_name: str | None = None,
                    options: MetadataOptions | None = None, label: str | None = None) -> dict[str, Any]:
    """Build the typed workflow config and run it; returns the run summary (XCom)."""
    from include.openmetadata.server import get_server
    from include.sources.postgres import build_postgres_workflow
    from include.workflow.runner import run_workflow

    effective = options_with_params(options or MetadataOptions(), params, _conf(dag_run))
    server = get_server(openmetadata_conn_id)
    source = _postgres(conn_id)
    config = build_postgres_workflow(source, server, effective, service_name=service_name)
    summary = run_workflow(
        config,
        label=label or f"{getattr(dag_run, 'dag_id', 'catalog')}: {conn_id}",
        client_arguments=server.client_arguments(),
    )
    summary["source"] = {"conn_id": conn_id, "service": service_name or conn_id, "where": source.where}
    return summary
