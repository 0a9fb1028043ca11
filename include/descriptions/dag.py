"""The shape of both description-sync DAGs: schedule, params, tasks. Light at import.

``after_full_refresh`` (skip after a critical refresh) -> ``catalog_idle`` (sensor: the
catalog DAG is not running) -> ``preflight`` (params, OpenMetadata, the database) ->
``schema_batches`` -> ``sync_descriptions`` (dynamic task mapping over the batches).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from include.catalog.dag_defaults import default_args, start_date
from include.catalog.refreshed import catalog_refreshed_asset
from include.settings import get_settings


def sync_params() -> dict[str, Any]:
    from airflow.sdk import Param

    patterns = {"type": ["null", "array"], "items": {"type": "string"}}
    return {
        "dry_run": Param(False, type="boolean", title="Dry run",
                         description="Report what would change (the same table), write nothing."),
        "allow_clear": Param(False, type="boolean", title="Allow clear",
                             description="An empty description in OpenMetadata removes the database's comment "
                                         "(off: an empty description never erases a comment)."),
        "schema_filter": Param(None, title="Schema filter", description="Regular expressions of schemas to "
                               "sync, one per line (empty: all). A filtered run leaves the database's own "
                               "comment alone.", **patterns),
        "table_filter": Param(None, title="Table filter", description="Regular expressions of tables, views "
                              "and materialized views to sync (empty: all).", **patterns),
    }


def sync_dag_kwargs(*, doc_md: str, catalog_dag_id: str, extra_tags: tuple[str, ...] = ()) -> dict[str, Any]:
    settings = get_settings()
    return {
        # Data-aware: after each successful ingest of the catalog DAG (the nightly, a manual
        # run; after_full_refresh skips the 4-hourly critical refreshes).
        "schedule": [catalog_refreshed_asset(catalog_dag_id)],
        "start_date": start_date(),
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(),
        "tags": [*settings.tags, "descriptions", *extra_tags],
        "params": sync_params(),
        "doc_md": doc_md,
    }


def sync_tasks(*, kind: str):
    """The tasks, inside the current DAG."""
    from airflow.providers.standard.operators.python import (
        PythonOperator,
        ShortCircuitOperator,
    )
    from airflow.providers.standard.sensors.python import PythonSensor

    from include.descriptions import tasks

    gate = ShortCircuitOperator(task_id="after_full_refresh", python_callable=tasks.after_full_refresh)
    idle = PythonSensor(task_id="catalog_idle", python_callable=tasks.catalog_idle, op_kwargs={"kind": kind},
                        mode="reschedule", poke_interval=60, timeout=timedelta(hours=3).total_seconds())
    check = PythonOperator(task_id="preflight", python_callable=tasks.preflight, op_kwargs={"kind": kind},
                           retries=0)
    batches = PythonOperator(task_id="schema_batches", python_callable=tasks.schema_batches,
                             op_kwargs={"kind": kind})
    sync = PythonOperator.partial(task_id="sync_descriptions", python_callable=tasks.sync_descriptions,
                                  map_index_template="{{ task.op_kwargs['batch']['batch'] }}").expand(
        op_kwargs=batches.output.map(lambda batch: {"kind": kind, "batch": batch}))
    gate >> idle >> check >> batches
    return gate, idle, check, batches, sync
