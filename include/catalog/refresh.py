"""Data-aware catalog refresh: when a DAG updates a table Asset, catalogue exactly that table.

The ``catalog_refresh_assets`` DAG is scheduled on the Assets of the tables this datakit
writes (``include/datasets``). For each run:

1. ``refresh_tables``: the triggering Asset events (or, on a manual trigger, the
   ``asset_uris`` param) are mapped to their source connection (``asset_services``: the
   service the datakit's own table Assets carry, then the lineage package's settings), and each source is
   ingested with FQN filters that match exactly those tables (no soft deletes: a
   partial run must not delete what it did not look at);
2. ``replay_lineage``: the lineage of the tasks that wrote those Assets is sent again,
   now that their output tables exist in the catalog (the listener had to skip those
   edges when the tables were new).

This is the pattern for new datakits: give an ETL's outlets a table Asset, list the
Asset in ``include/datasets``, and the catalog and lineage follow after one run.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from airflow_openmetadata_lineage import TableAssetRef, parse_table_asset_uri
from airflow_openmetadata_lineage import fqn as fqn_lib

from include.errors import ConfigError
from include.sources.common import MetadataOptions

log = logging.getLogger(__name__)
KIND_OF_CONN_TYPE = {"postgres": "postgres", "mssql": "mssql"}


@dataclass(frozen=True)
class Producer:
    dag_id: str
    task_id: str
    run_id: str


def collect_events(triggering_asset_events: Any, params: Mapping[str, Any] | None) -> tuple[list[str], list[Producer]]:
    """Asset URIs to refresh and the tasks that produced them (events first, then the param)."""
    uris: dict[str, None] = {}
    producers: dict[Producer, None] = {}
    for key, events in (triggering_asset_events or {}).items():
        for event in events or []:
            asset = getattr(event, "asset", None)
            uri = getattr(asset, "uri", None) or getattr(key, "uri", None)
            if uri:
                uris.setdefault(uri)
            if getattr(event, "source_dag_id", None) and getattr(event, "source_task_id", None):
                producers.setdefault(Producer(event.source_dag_id, event.source_task_id, event.source_run_id or ""))
    for uri in (params or {}).get("asset_uris") or []:
        uris.setdefault(str(uri).strip())
    for item in (params or {}).get("producers") or []:
        dag_id, _, task_id = str(item).partition(".")
        if dag_id and task_id:
            producers.setdefault(Producer(dag_id, task_id, "manual"))
    return [u for u in uris if u], list(producers)


def asset_services() -> dict[str, str]:
    """``host:port/database -> connection id`` of table Asset URIs: the datakit's own Assets
    (``include/datasets``, each carrying its service, named after its connection), then the
    lineage package's settings (``OPENMETADATA_LINEAGE_ASSET_SERVICES`` / ``_ASSET_CONNECTIONS``).

    So an Asset's host:port names it and nothing more: the connection is read when the
    refresh runs, wherever it points.
    """
    from airflow_openmetadata_lineage import LineageConfig, asset_service_map, table_asset_service

    from include.datasets import pagila

    mapping: dict[str, str] = {}
    for asset in pagila.ASSETS:
        ref, service = parse_table_asset_uri(asset.uri), table_asset_service(asset)
        if ref is not None and service:
            mapping[ref.service_key] = service
    mapping.update(asset_service_map(LineageConfig.load()))
    return mapping


def plan(uris: Iterable[str], asset_services: Mapping[str, str]) -> dict[str, list[TableAssetRef]]:
    """``conn_id -> tables`` for the given Asset URIs; unmapped or non-table URIs are errors."""
    by_conn: dict[str, list[TableAssetRef]] = defaultdict(list)
    for uri in uris:
        ref = parse_table_asset_uri(uri)
        if ref is None:
            raise ConfigError("asset_uris", f"{uri!r} does not name a database table",
                              "use postgres://host:port/database/schema/table or mssql://...")
        conn_id = asset_services.get(ref.service_key)
        if conn_id is None:
            raise ConfigError(
                "asset_uris", f"{uri!r}: no source connection is mapped to {ref.service_key}",
                "declare the Asset in include/datasets with its service (table_asset(..., service=<conn id>)), "
                "or list the connection in OPENMETADATA_LINEAGE_ASSET_CONNECTIONS (its host:port/schema must "
                "match the URI), or map it in OPENMETADATA_LINEAGE_ASSET_SERVICES",
            )
        if ref not in by_conn[conn_id]:
            by_conn[conn_id].append(ref)
    return dict(by_conn)


def exact_options(service: str, tables: list[TableAssetRef]) -> MetadataOptions:
    """Options whose FQN filters match exactly ``tables`` of ``service``."""

    def exact(*parts: str) -> str:
        return f"^{re.escape(fqn_lib.build(*parts))}$"

    return MetadataOptions(
        use_fqn_for_filtering=True,
        database_includes=tuple(dict.fromkeys(exact(service, t.database) for t in tables)),
        schema_includes=tuple(dict.fromkeys(exact(service, t.database, t.schema) for t in tables)),
        schema_excludes=(),
        table_includes=tuple(exact(service, t.database, t.schema, t.table) for t in tables),
        include_stored_procedures=False,
        mark_deleted_tables=False,
        mark_deleted_stored_procedures=False,
    )


def refresh_tables(triggering_asset_events: Any = None, params: Mapping[str, Any] | None = None,
                   dag_run: Any = None) -> dict[str, Any]:
    """The ``refresh_tables`` task: ingest exactly the updated tables, per source."""
    from include.catalog.tasks import run_ingestion
    from include.connections import get_connection

    uris, producers = collect_events(triggering_asset_events, params)
    if not uris:
        log.info("no table Asset to refresh")
        return {"tables": [], "producers": [], "runs": []}
    mapping = asset_services()
    runs = []
    for conn_id, tables in plan(uris, mapping).items():
        conn = get_connection(conn_id)
        kind = KIND_OF_CONN_TYPE.get(conn.conn_type or "")
        if kind is None:
            raise ConfigError(f"{conn_id}.conn_type", f"{conn.conn_type!r} has no catalog source kind",
                              f"use one of {sorted(KIND_OF_CONN_TYPE)}")
        log.info("refreshing %d table(s) of %s: %s", len(tables), conn_id,
                 ", ".join(f"{t.schema}.{t.table}" for t in tables))
        summary = run_ingestion(kind, conn_id, exact_options(conn_id, tables),
                                label=getattr(dag_run, "dag_id", None) or "catalog_refresh_assets")
        runs.append(summary)
    return {
        "tables": [fqn_lib.build(conn, t.database, t.schema, t.table)
                   for conn, ts in plan(uris, mapping).items() for t in ts],
        "producers": [f"{p.dag_id}.{p.task_id}" for p in producers],
        "runs": runs,
    }


def replay_lineage(triggering_asset_events: Any = None, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``replay_lineage`` task: send the producing tasks' lineage again, now that outputs exist."""
    from airflow.configuration import conf
    from airflow.dag_processing.dagbag import DagBag
    from airflow_openmetadata_lineage import LineageConfig, send_task_lineage

    from include.settings import get_settings

    _, producers = collect_events(triggering_asset_events, params)
    config = LineageConfig.load()
    if not producers or not config.enabled:
        return {"edges": [], "missing_tables": []}
    bag = DagBag(conf.get("core", "dags_folder"))
    edges, missing = [], []
    for producer in producers:
        dag = bag.dags.get(producer.dag_id)
        task = dag.task_dict.get(producer.task_id) if dag else None
        if task is None:
            log.warning("producer %s.%s not found in the DAGs folder; its lineage is not replayed",
                        producer.dag_id, producer.task_id)
            continue
        report = send_task_lineage(task, run_id=producer.run_id, config=config,
                                   timeout_seconds=get_settings().client.read_timeout)
        for problem in report.unresolved:
            log.error("producer %s.%s: %s (skipped)", producer.dag_id, producer.task_id, problem)
        edges += [f"{a} -> {b}" for a, b in report.edges]
        missing += report.missing_tables
    for table in missing:
        log.warning("table %s is still not in the catalog; its edges were skipped. Fix: ingest its source", table)
    return {"edges": edges, "missing_tables": missing}
