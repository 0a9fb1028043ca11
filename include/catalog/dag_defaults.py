"""The shape every catalog DAG shares: schedule, retries, alerts, owner, tags, params, concurrency.

DAG files stay declarations; this module is imported at parse time, so it stays light
(standard library, ``airflow.sdk`` and the datakit's light modules only).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from include.catalog.exclusive import DEPTH_DAGS, WAIT_POKE_SECONDS, WAIT_TIMEOUT, wait_for_depth
from include.catalog.schedules import nightly_cron, schedule_timezone, scope_param
from include.incremental.airflow_tasks import (finalize_task, ingest_task, mode_param, preflight_task, shard_list,
                                                  shard_task)
from include.notifications import failure_alert
from include.settings import get_settings
from include.sources.common import dag_params

# A fixed past start date: no catch-up runs (catchup=False), stable across parses.
START_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)


def start_date() -> datetime:
    """``START_DATE`` in the schedule config's timezone: a DAG's crons run in its start date's zone."""
    tz = schedule_timezone()
    if tz == "UTC":
        return START_DATE
    import pendulum

    return datetime(2026, 1, 1, tzinfo=pendulum.timezone(tz))


def default_args() -> dict[str, Any]:
    """``default_args`` of every datakit DAG: retries, timeout, owner, and the failure alert."""
    return {**get_settings().tasks.as_default_args(), "on_failure_callback": [failure_alert]}


def catalog_dag_kwargs(*, doc_md: str, extra_tags: tuple[str, ...] = (), schedule: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``DAG(...)`` of a catalog DAG (nightly full refresh)."""
    settings = get_settings()
    return {
        # Only the settings this DAG uses are validated here: a typo in the critical subset
        # fails catalog_critical_refresh's import, not the nightly catalog.
        "schedule": schedule or nightly_cron(settings),
        "start_date": start_date(),
        "catchup": False,
        # One run of a source at a time: two workflows upserting the same service would race on
        # soft deletes. Critical refreshes are runs of this same DAG (see
        # include.catalog.schedules), so they wait for the nightly, and it for them.
        "max_active_runs": 1,
        "default_args": default_args(),
        "tags": [*settings.tags, *extra_tags],
        "params": {**dag_params(), "scope": scope_param(), "mode": mode_param()},
        "doc_md": doc_md,
        "render_template_as_native_obj": False,
    }


def database_catalog_tasks(*, kind: str, conn_id: str):
    """``preflight >> ingest_metadata`` for one database source, inside the current DAG.

    A catalog DAG with depth DAGs (``include.catalog.exclusive.DEPTH_DAGS``) starts with
    ``wait_for_depth``: it never refreshes while the source is profiled or its query log read.

    Both read the run's ``scope``: ``full`` (nightly, manual) or ``critical`` (the critical
    subset of the schedule config, triggered by ``catalog_critical_refresh``), and ``mode``
    (``auto``, ``full``, ``incremental``: ``include.incremental``). With ``DATAKIT_OBJECTS_PER_SHARD``
    set: ``ingest_metadata >> shard_list >> ingest_shard`` (mapped over schema groups) ``>>
    finalize_refresh``, a big full refresh spread over the workers.
    """
    from airflow.providers.standard.operators.python import PythonOperator

    check = PythonOperator(
        task_id="preflight",
        python_callable=preflight_task,
        op_kwargs={"kind": kind, "conn_id": conn_id},
        # A failed preflight is an answer (what to fix), not a flake: no retries.
        retries=0,
    )
    ingest = PythonOperator(
        task_id="ingest_metadata",
        python_callable=ingest_task,
        op_kwargs={"kind": kind, "conn_id": conn_id},
    )
    check >> ingest
    if check.dag_id in DEPTH_DAGS:
        from airflow.providers.standard.sensors.python import PythonSensor

        # Never while the source is profiled or its query log read (include/catalog/exclusive.py).
        wait = PythonSensor(task_id="wait_for_depth", python_callable=wait_for_depth,
                            op_kwargs={"catalog_dag_id": check.dag_id}, mode="reschedule",
                            poke_interval=WAIT_POKE_SECONDS, timeout=WAIT_TIMEOUT.total_seconds())
        wait >> check
    if get_settings().refresh.objects_per_shard > 0:
        # Airflow maps only over a task's return value: ``shard_list`` returns what ingest_metadata pushed.
        listed = PythonOperator(task_id="shard_list", python_callable=shard_list, retries=0)
        shards = PythonOperator.partial(task_id="ingest_shard", python_callable=shard_task).expand(
            op_kwargs=listed.output)
        # none_failed: runs after the shards, or when there were none (incremental or small run).
        final = PythonOperator(task_id="finalize_refresh", python_callable=finalize_task,
                               op_kwargs={"conn_id": conn_id}, trigger_rule="none_failed")
        ingest >> listed >> shards >> final
    return check, ingest
