"""Task callables of the database catalog DAGs: ``preflight`` and ``ingest`` per source kind.

Each imports what it needs when it runs (the SDK takes ~10 s to import), so DAG files
that reference these functions parse in milliseconds. A source kind is three functions:
connection -> validated source, source -> reachability checks, source -> workflow config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from include.connections import get_connection
from include.settings import get_settings
from include.sources.common import MetadataOptions, options_with_params

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceKind:
    name: str
    from_connection: Callable[[Any], Any]
    check: Callable[[Any], dict[str, Any]]
    build: Callable[..., Any]
    default_options: Callable[[Any], MetadataOptions]


def _postgres() -> SourceKind:
    from include.sources import postgres

    def check(source) -> dict[str, Any]:
        version = postgres.check_postgres_reachable(source, timeout=get_settings().client.preflight_timeout)
        log.info("PostgreSQL %s at %s reachable", version, source.where)
        return {"where": source.where, "version": version}

    return SourceKind("postgres", postgres.postgres_from_connection, check, postgres.build_postgres_workflow,
                      lambda source: MetadataOptions())


def _mssql() -> SourceKind:
    from include.kerberos.preflight import check_odbc_driver, check_tcp, check_ticket
    from include.sources import mssql

    def check(source) -> dict[str, Any]:
        # Cheapest and most likely to be wrong first: the ticket, then the driver, then the network.
        ticket = check_ticket()
        check_odbc_driver(source.driver)
        check_tcp(source.host, source.port, timeout=get_settings().client.preflight_timeout)
        return {"where": source.where, "principal": str(ticket.principal),
                "ticket_expires": ticket.expires_at.isoformat(), "driver": source.driver}

    return SourceKind("mssql", mssql.mssql_from_connection, check, mssql.build_mssql_workflow,
                      lambda source: source.metadata_options())


def _airflow() -> SourceKind:
    from include.sources import airflow
    from include.sources.airflow_db import check_metadata_db

    def check(source) -> dict[str, Any]:
        found = check_metadata_db(source, timeout=get_settings().client.preflight_timeout)
        log.info("Airflow metadata DB at %s reachable, %s DAGs", source.where, found["dags"])
        return found

    return SourceKind("airflow", airflow.airflow_db_from_connection, check, airflow.build_airflow_workflow,
                      lambda source: source.pipeline_options())


_KINDS: dict[str, Callable[[], SourceKind]] = {"postgres": _postgres, "mssql": _mssql, "airflow": _airflow}


def source_kind(name: str) -> SourceKind:
    try:
        return _KINDS[name]()
    except KeyError:
        raise ValueError(f"unknown source kind {name!r}; known: {', '.join(sorted(_KINDS))}") from None


def _conf(dag_run: Any) -> Mapping[str, Any]:
    return (getattr(dag_run, "conf", None) or {}) if dag_run is not None else {}


def preflight(kind: str, conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
              openmetadata_conn_id: str | None = None) -> dict[str, Any]:
    """Fail fast, naming what is wrong: params, OpenMetadata (URL, version, token), the source."""
    from include.openmetadata.preflight import check_openmetadata
    from include.openmetadata.server import get_server

    spec = source_kind(kind)
    source = spec.from_connection(get_connection(conn_id))
    options_with_params(spec.default_options(source), params, _conf(dag_run))
    server = get_server(openmetadata_conn_id)
    om = check_openmetadata(server)
    return {"openmetadata": om.as_dict(), "source": {"conn_id": conn_id, **spec.check(source)}}


def run_ingestion(kind: str, conn_id: str, options: MetadataOptions | None = None, *, label: str,
                  openmetadata_conn_id: str | None = None, service_name: str | None = None) -> dict[str, Any]:
    """Build the typed workflow config for one source and run it; returns the run summary."""
    from include.openmetadata.server import get_server
    from include.workflow.runner import run_workflow

    spec = source_kind(kind)
    source = spec.from_connection(get_connection(conn_id))
    effective = (options or spec.default_options(source)).validated()
    server = get_server(openmetadata_conn_id)
    config = spec.build(source, server, effective, service_name=service_name)
    summary = run_workflow(config, label=f"{label}: {conn_id} at {source.where}", server=server)
    summary["source"] = {"conn_id": conn_id, "service": service_name or conn_id, "where": source.where}
    return summary


def ingest(kind: str, conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
           openmetadata_conn_id: str | None = None, service_name: str | None = None,
           options: MetadataOptions | None = None) -> dict[str, Any]:
    """The ``ingest_metadata`` task: the DAG's options with the trigger's params applied."""
    spec = source_kind(kind)
    base = options or spec.default_options(spec.from_connection(get_connection(conn_id)))
    effective = options_with_params(base, params, _conf(dag_run))
    return run_ingestion(kind, conn_id, effective, label=getattr(dag_run, "dag_id", None) or "catalog",
                         openmetadata_conn_id=openmetadata_conn_id, service_name=service_name)


def kerberos_report(conn_id: str, sdk_test: bool = True) -> dict[str, Any]:
    """The Kerberos/SQL Server diagnostic report, printed to the task log; fails when a check fails."""
    from include.kerberos.diagnose import diagnose

    report = diagnose(conn_id=conn_id, sdk_test=sdk_test)
    print(report.text)  # noqa: T201 - the report is the task's output
    report.raise_for_failures()
    return report.to_dict()
