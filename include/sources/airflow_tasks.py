"""Task callables and tasks of ``catalog_airflow`` (this Airflow's DAGs as OpenMetadata pipelines).

Imported by the DAG file: light at module level (the SDK is imported by the tasks when they run).
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from include.errors import ConfigError
from include.sources.airflow import SOURCE_TYPE, airflow_db_from_connection, default_service_name
from include.sources.airflow_db import stale_dag_ids

log = logging.getLogger(__name__)


def reject_trigger_conf(dag_run: Any, dag_id: str = "catalog_airflow") -> None:
    """This DAG takes no trigger configuration: the database params of the other DAGs do not apply."""
    conf = (getattr(dag_run, "conf", None) or {}) if dag_run is not None else {}
    if conf:
        key = sorted(conf)[0]
        raise ConfigError(
            f"params.{key}",
            f"{getattr(dag_run, 'dag_id', None) or dag_id} takes no trigger configuration (got {sorted(conf)})",
            "trigger it without configuration; DAG filters and the number of run statuses are extras of "
            "the airflow_metadata_db connection (pipeline_filter, pipeline_exclude, number_of_status)",
        )


def preflight_task(conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
                   openmetadata_conn_id: str | None = None) -> dict[str, Any]:
    """``preflight`` of ``catalog_airflow``: no trigger conf, OpenMetadata, the metadata DB."""
    from include.catalog import tasks

    reject_trigger_conf(dag_run)
    return tasks.preflight(SOURCE_TYPE, conn_id, params=params, dag_run=dag_run,
                           openmetadata_conn_id=openmetadata_conn_id)


def ingest_task(conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
                openmetadata_conn_id: str | None = None, service_name: str | None = None) -> dict[str, Any]:
    """``ingest_metadata`` of ``catalog_airflow``: the SDK's Airflow connector into the pipeline service."""
    from include.catalog import tasks
    from include.connections import get_connection
    from include.settings import get_settings

    reject_trigger_conf(dag_run)
    source = airflow_db_from_connection(get_connection(conn_id))
    stale = stale_dag_ids(source, timeout=get_settings().client.preflight_timeout)
    if stale:
        log.info("%d DAG(s) whose files are gone are excluded, so their pipelines are soft-deleted: %s",
                 len(stale), ", ".join(stale))
    summary = tasks.ingest(SOURCE_TYPE, conn_id, params=params, dag_run=dag_run,
                           openmetadata_conn_id=openmetadata_conn_id,
                           service_name=service_name or default_service_name(),
                           options=source.options.excluding(stale))
    summary["stale_dags"] = stale
    return summary


def airflow_catalog_tasks(*, conn_id: str):
    """``preflight >> ingest_metadata`` for this Airflow's DAGs, inside the current DAG.

    The pipeline kind's counterpart of ``include.catalog.dag_defaults.database_catalog_tasks``:
    same task ids and retries, but callables that refuse trigger configuration and
    report the pipeline service (not the connection id) as the service.
    """
    from airflow.providers.standard.operators.python import PythonOperator

    check = PythonOperator(
        task_id="preflight",
        python_callable=preflight_task,
        op_kwargs={"conn_id": conn_id},
        # A failed preflight is an answer (what to fix), not a flake: no retries.
        retries=0,
    )
    ingest = PythonOperator(
        task_id="ingest_metadata",
        python_callable=ingest_task,
        op_kwargs={"conn_id": conn_id},
    )
    check >> ingest
    return check, ingest
