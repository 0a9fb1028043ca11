"""The shape of the catalog-depth DAGs (profile_*, query_log_*): schedule, defaults, tasks.

Imported at parse time: standard library, ``airflow.sdk`` and the datakit's light modules only.

**When they run.** After the source's nightly metadata refresh, never at the same time as it:
each DAG is scheduled on its own cron (below, one place) and starts with ``wait_for_catalog``,
a sensor (reschedule mode: it holds no worker slot while waiting) that passes once the
source's catalog DAG has no queued or running run and, for a scheduled run, that night's
nightly run has succeeded. A manual run only waits for a running catalog run to end. The
catalog DAG, in turn, starts with ``wait_for_depth`` (``include.catalog.exclusive``): it waits
while a depth DAG's work task runs.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from include.catalog.dag_defaults import default_args, start_date
from include.catalog.exclusive import WAIT_POKE_SECONDS, WAIT_TIMEOUT
from include.errors import ConfigError
from include.settings import get_settings

# Cron of each depth DAG (timezone: DATAKIT_SCHEDULE_TIMEZONE), overridable by environment.
SCHEDULE_ENV = {"profile": ("DATAKIT_SCHEDULE_PROFILE", "30 2 * * *"),
                "query_log": ("DATAKIT_SCHEDULE_QUERY_LOG", "30 2 * * *")}


def depth_cron(which: str) -> str:
    from croniter import croniter

    env, default = SCHEDULE_ENV[which]
    value = os.environ.get(env, "").strip() or default
    if not croniter.is_valid(value):
        raise ConfigError(env, f"{value!r} is not a cron expression", 'use five fields, e.g. "30 2 * * *"')
    return value


def depth_dag_kwargs(*, which: str, doc_md: str, extra_tags: tuple[str, ...], params: dict[str, Any]) -> dict[str, Any]:
    settings = get_settings()
    return {
        "schedule": depth_cron(which),
        "start_date": start_date(),
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(),
        "tags": [*settings.tags, which.replace("_", "-"), *extra_tags],
        "params": params,
        "doc_md": doc_md,
        "render_template_as_native_obj": False,
    }


def wait_and_preflight(*, catalog_dag_id: str, preflight: Callable[..., Any], op_kwargs: dict[str, Any]):
    """``wait_for_catalog >> preflight`` inside the current DAG; returns the preflight task."""
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.providers.standard.sensors.python import PythonSensor

    from include.profiling.tasks import wait_for_catalog

    wait = PythonSensor(
        task_id="wait_for_catalog",
        python_callable=wait_for_catalog,
        op_kwargs={"catalog_dag_id": catalog_dag_id},
        mode="reschedule",
        poke_interval=WAIT_POKE_SECONDS,
        timeout=WAIT_TIMEOUT.total_seconds(),
    )
    check = PythonOperator(task_id="preflight", python_callable=preflight, op_kwargs=op_kwargs, retries=0)
    wait >> check
    return check


def _depth_tasks(tasks, work: tuple[str, str], *, kind: str, conn_id: str, catalog_dag_id: str):
    """``wait_for_catalog >> preflight >> work[0] >> work[1]``: each task calls the function of
    ``tasks`` (a task-callable module) with its own name."""
    from airflow.providers.standard.operators.python import PythonOperator

    op_kwargs = {"kind": kind, "conn_id": conn_id}
    check = wait_and_preflight(catalog_dag_id=catalog_dag_id, preflight=tasks.preflight, op_kwargs=op_kwargs)
    first, second = (PythonOperator(task_id=name, python_callable=getattr(tasks, name), op_kwargs=op_kwargs)
                     for name in work)
    check >> first >> second
    return check, first, second


def profile_tasks(*, kind: str, conn_id: str, catalog_dag_id: str):
    """``wait_for_catalog >> preflight >> profile >> classify`` for one database source."""
    from include.profiling import tasks

    return _depth_tasks(tasks, ("profile", "classify"), kind=kind, conn_id=conn_id, catalog_dag_id=catalog_dag_id)


def query_log_tasks(*, kind: str, conn_id: str, catalog_dag_id: str):
    """``wait_for_catalog >> preflight >> lineage >> usage`` for one database source."""
    from include.querylog import tasks

    return _depth_tasks(tasks, ("lineage", "usage"), kind=kind, conn_id=conn_id, catalog_dag_id=catalog_dag_id)
