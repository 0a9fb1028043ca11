"""The shape every catalog DAG shares: schedule, retries, owner, tags, params, concurrency.

DAG files stay declarations; this module is imported at parse time, so it stays light
(standard library and ``airflow.sdk`` only).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from include.settings import get_settings
from include.sources.common import dag_params

# A fixed past start date: no catch-up runs (catchup=False), stable across parses.
START_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)


def catalog_dag_kwargs(*, doc_md: str, extra_tags: tuple[str, ...] = (), schedule: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``DAG(...)`` of a database catalog DAG."""
    settings = get_settings()
    return {
        "schedule": schedule or settings.schedules.nightly,
        "start_date": START_DATE,
        "catchup": False,
        # One run of a source at a time: two workflows upserting the same service
        # would race on soft deletes.
        "max_active_runs": 1,
        "default_args": settings.tasks.as_default_args(),
        "tags": [*settings.tags, *extra_tags],
        "params": dag_params(),
        "doc_md": doc_md,
        "render_template_as_native_obj": False,
    }


def database_catalog_tasks(*, kind: str, conn_id: str):
    """``preflight >> ingest_metadata`` for one database source, inside the current DAG."""
    from airflow.providers.standard.operators.python import PythonOperator

    from include.catalog import tasks

    check = PythonOperator(
        task_id="preflight",
        python_callable=tasks.preflight,
        op_kwargs={"kind": kind, "conn_id": conn_id},
        # A failed preflight is an answer (what to fix), not a flake: no retries.
        retries=0,
    )
    ingest = PythonOperator(
        task_id="ingest_metadata",
        python_callable=tasks.ingest,
        op_kwargs={"kind": kind, "conn_id": conn_id},
    )
    check >> ingest
    return check, ingest
