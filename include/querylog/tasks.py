"""Task callables of the query_log DAGs: ``preflight``, ``lineage``, ``usage``.

Lineage and usage come from the database's own query log, read by the SDK's sources
(``postgres-lineage`` / ``postgres-usage`` read ``pg_stat_statements``; ``mssql-lineage`` /
``mssql-usage`` SQL Server's query statistics): what ran outside Airflow shows up too.
"""

from __future__ import annotations

import logging
import tempfile
from typing import Any, Mapping

from include.connections import get_connection
from include.querylog.options import QueryLogOptions, options_with_params

log = logging.getLogger(__name__)


def _conf(dag_run: Any) -> Mapping[str, Any]:
    return (getattr(dag_run, "conf", None) or {}) if dag_run is not None else {}


def effective_options(params: Mapping[str, Any] | None, dag_run: Any = None) -> QueryLogOptions:
    return options_with_params(QueryLogOptions(), params, _conf(dag_run))


def preflight(kind: str, conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
              openmetadata_conn_id: str | None = None) -> dict[str, Any]:
    """Params, OpenMetadata, the source, then its query log (``pg_stat_statements``)."""
    from include.catalog.tasks import source_kind
    from include.openmetadata.preflight import check_openmetadata
    from include.openmetadata.server import get_server
    from include.settings import get_settings

    spec = source_kind(kind)
    source = spec.from_connection(get_connection(conn_id))
    options = effective_options(params, dag_run)
    result: dict[str, Any] = {"options": {"days": options.days, "lineage": options.lineage, "usage": options.usage,
                                          "filter": options.filter_condition(kind)}}
    result["openmetadata"] = check_openmetadata(get_server(openmetadata_conn_id)).as_dict()
    result["source"] = {"conn_id": conn_id, **spec.check(source)}
    if kind == "postgres":
        from include.querylog.preflight import check_pg_stat_statements

        result["query_log"] = check_pg_stat_statements(source, timeout=get_settings().client.preflight_timeout)
    return result


def _run(kind: str, conn_id: str, which: str, params, dag_run, openmetadata_conn_id, service_name) -> dict[str, Any]:
    from include.profiling.tasks import _base_config
    from include.querylog.config import build_lineage_config, build_usage_config
    from include.workflow.runner import run_workflow

    options = effective_options(params, dag_run)
    if not getattr(options, which):
        log.info("%s is off for this run (param %s=false)", which, which)
        return {"status": "skipped", "reason": f"param {which}=false"}
    source, server, base = _base_config(kind, conn_id, openmetadata_conn_id, service_name)
    label = f"{getattr(dag_run, 'dag_id', None) or 'query_log'}: {which} from the query log of {conn_id} at {source.where}"
    if which == "lineage":
        summary = run_workflow(build_lineage_config(base, kind, options), label=label, server=server, kind="metadata")
    else:
        with tempfile.TemporaryDirectory(prefix="datakit-usage-") as stage:
            summary = run_workflow(build_usage_config(base, kind, options, stage), label=label, server=server,
                                   kind="usage")
    summary["source"] = {"conn_id": conn_id, "service": service_name or conn_id, "where": source.where}
    return summary


def lineage(kind: str, conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
            openmetadata_conn_id: str | None = None, service_name: str | None = None) -> dict[str, Any]:
    return _run(kind, conn_id, "lineage", params, dag_run, openmetadata_conn_id, service_name)


def usage(kind: str, conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
          openmetadata_conn_id: str | None = None, service_name: str | None = None) -> dict[str, Any]:
    return _run(kind, conn_id, "usage", params, dag_run, openmetadata_conn_id, service_name)
