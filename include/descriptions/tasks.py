"""Task callables of ``sync_descriptions_pagila`` and ``sync_descriptions_mssql``.

``after_full_refresh`` -> ``catalog_idle`` -> ``preflight`` -> ``schema_batches`` ->
``sync_descriptions`` (mapped over the batches). Each imports what it needs when it runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from include.connections import get_connection
from include.descriptions.settings import sync_settings
from include.settings import get_settings

log = logging.getLogger(__name__)

# catalog_critical_refresh triggers its runs with trigger_run_id "critical__{{ run_id }}".
CRITICAL_RUN_PREFIX = "critical__"


@dataclass(frozen=True)
class SyncTarget:
    """One database to sync: its kind, the catalog DAG and OpenMetadata service, the write connection."""

    kind: str  # postgres | mssql
    catalog_dag_id: str
    service: str
    conn_id: str


def target(kind: str) -> SyncTarget:
    settings, sync = get_settings(), sync_settings()
    if kind == "postgres":
        return SyncTarget("postgres", "catalog_pagila", settings.conn_ids.pagila, sync.pagila_conn_id)
    if kind == "mssql":
        return SyncTarget("mssql", "catalog_mssql", settings.conn_ids.mssql, sync.mssql_conn_id)
    raise ValueError(f"unknown sync kind {kind!r}: use postgres or mssql")


def _conf(dag_run: Any) -> Mapping[str, Any]:
    return (getattr(dag_run, "conf", None) or {}) if dag_run is not None else {}


def _source(spec: SyncTarget):
    if spec.kind == "postgres":
        from include.sources.postgres import postgres_from_connection

        return postgres_from_connection(get_connection(spec.conn_id))
    from include.sources.mssql import mssql_from_connection

    return mssql_from_connection(get_connection(spec.conn_id))


# ---------------------------------------------------------------------------- gates


def after_full_refresh(triggering_asset_events: Any = None) -> bool:
    """Run after a nightly or manual catalog run; skip after a critical refresh (every 4 h).

    A run triggered by hand (no asset events) always continues.
    """
    groups = triggering_asset_events.values() if hasattr(triggering_asset_events, "values") else []
    events = [event for group in groups for event in group]
    if not events:
        return True
    full = [e for e in events if not str(getattr(e, "source_run_id", "") or "").startswith(CRITICAL_RUN_PREFIX)]
    if not full:
        log.info("triggered by a critical refresh only (%s): the sync runs after the nightly full refresh",
                 ", ".join(str(getattr(e, "source_run_id", "")) for e in events))
        return False
    return True


def catalog_idle(kind: str, ti: Any = None) -> bool:
    """Sensor: True when no run of the source's catalog DAG is running (never at the same time)."""
    dag_id = target(kind).catalog_dag_id
    running = ti.get_dr_count(dag_id=dag_id, states=["running"])
    if running:
        log.info("waiting: %s is running; comments are written when it has ended", dag_id)
        return False
    return True


# ---------------------------------------------------------------------------- preflight and batches


def preflight(kind: str, params: Mapping[str, Any] | None = None, dag_run: Any = None) -> dict[str, Any]:
    """Params, OpenMetadata (version, token), and the database, in seconds; errors say what to fix."""
    from include.descriptions.sync import options_from_params
    from include.openmetadata.preflight import check_openmetadata
    from include.openmetadata.server import get_server

    spec = target(kind)
    options = options_from_params(params, _conf(dag_run))
    source = _source(spec)
    om = check_openmetadata(get_server())
    timeout = get_settings().client.preflight_timeout
    if spec.kind == "postgres":
        from include.sources.postgres import check_postgres_reachable

        checked = {"version": check_postgres_reachable(source, timeout=timeout)}
    else:
        from include.catalog.tasks import source_kind

        checked = source_kind("mssql").check(source)
    return {"openmetadata": om.as_dict(), "source": {"conn_id": spec.conn_id, "where": source.where, **checked},
            "service": spec.service, "options": options.__dict__ | {"schema_filter": list(options.schema_filter),
                                                                    "table_filter": list(options.table_filter)}}


def schema_batches(kind: str, params: Mapping[str, Any] | None = None, dag_run: Any = None) -> list[dict[str, Any]]:
    """The work split by schema for ``sync_descriptions`` (``DATAKIT_DESCRIPTIONS_SCHEMA_BATCHES``).

    One batch (the default): the whole database in one task. N batches: the catalogued schemas
    dealt round-robin into N tasks; the first also syncs the database's own description.
    """
    from include.descriptions.sync import options_from_params

    count = sync_settings().schema_batches
    if count == 1:
        return [{"batch": "1/1", "schemas": None, "include_database": True}]
    from include.descriptions.catalog import schema_names
    from include.openmetadata.server import get_server

    spec = target(kind)
    options = options_from_params(params, _conf(dag_run))
    names = schema_names(get_server(), spec.service, _source(spec).database, list(options.schema_filter))
    groups = [names[i::count] for i in range(min(count, len(names)))] or [[]]
    return [{"batch": f"{i + 1}/{len(groups)}", "schemas": group, "include_database": i == 0}
            for i, group in enumerate(groups)]


# ---------------------------------------------------------------------------- the sync


def sync_descriptions(kind: str, batch: Mapping[str, Any], params: Mapping[str, Any] | None = None,
                      dag_run: Any = None, ti: Any = None) -> dict[str, Any]:
    """Sync one batch; the summary goes to XCom (``return_value``, also when the task fails)."""
    from include.descriptions.report import raise_for_failures
    from include.descriptions.sync import (
        mssql_backend,
        options_from_params,
        postgres_backend,
        sync_database,
    )
    from include.openmetadata.server import get_server

    spec, settings = target(kind), sync_settings()
    options = options_from_params(params, _conf(dag_run))
    source = _source(spec)
    make = postgres_backend if spec.kind == "postgres" else mssql_backend
    backend = make(source, lock_timeout_ms=settings.lock_timeout_ms)
    label = f"{getattr(dag_run, 'dag_id', None) or 'sync_descriptions'} [{batch.get('batch', '1/1')}]"
    summary = sync_database(backend, get_server(), service=spec.service, database=source.database, options=options,
                            workers=settings.workers, schemas=batch.get("schemas"),
                            include_database=bool(batch.get("include_database", True)), label=label)
    summary["source"] = {"conn_id": spec.conn_id, "where": source.where}
    if summary["counts"]["failed"] and ti is not None:
        ti.xcom_push(key="return_value", value=summary)  # nothing is lost: the previous comments stay readable
    raise_for_failures(summary)
    return summary
