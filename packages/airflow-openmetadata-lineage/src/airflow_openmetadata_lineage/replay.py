"""Send a task's lineage on demand (outside the listener): e.g. again, once its new tables are catalogued.

The listener skips an edge whose table is not in the catalog yet (a table the task just
created). A data-aware catalog refresh ingests those tables and then calls
``send_task_lineage`` for the tasks that wrote them, so the edges exist after one run.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from airflow_openmetadata_lineage.config import LineageConfig
from airflow_openmetadata_lineage.sender import SendReport


def send_task_lineage(task: Any, *, run_id: str = "manual", config: LineageConfig | None = None,
                      timeout_seconds: float | None = None, update_status: bool = False) -> SendReport:
    """Send the edges of ``task`` (an operator of a parsed DAG) now, as the listener would on success.

    A SQL task without declared inlets and outlets sends the lineage of its SQL (rendered from
    its template files; a template that needs a run's context renders without it).
    Blocking, with HTTP timeouts of ``timeout_seconds`` (default: the setting). Raises
    ``OpenMetadataUnavailable`` when OpenMetadata does not answer usably; references that
    cannot be resolved are in ``SendReport.unresolved`` (their edges are left out).
    """
    from airflow_openmetadata_lineage.assets import AssetServices
    from airflow_openmetadata_lineage.client import OMClient
    from airflow_openmetadata_lineage.connection import get_endpoint
    from airflow_openmetadata_lineage.gather import task_lineage, task_run
    from airflow_openmetadata_lineage.sender import send

    config = config or LineageConfig.load()
    dag_id = task.dag.dag_id
    # A SQL task without declared edges: its SQL is rendered (template files, Jinja without a run
    # context) and parsed as the listener does after a run.
    lineage = task_lineage(task, dag_id=dag_id, task_id=task.task_id, services=AssetServices(config),
                           config=config, render_sql=True)
    instance = SimpleNamespace(task=task, dag_id=dag_id, task_id=task.task_id, run_id=run_id, dag_run=None,
                               start_date=None)
    run = task_run(instance, "success", config, lineage)
    client = OMClient(get_endpoint(config.openmetadata_conn_id), timeout=timeout_seconds or config.timeout_seconds)
    try:
        report = send(client, config.pipeline_service, run, config.airflow_base_url, update_status=update_status)
    finally:
        client.close()
    report.unresolved.extend(str(problem) for problem in lineage.unresolved)
    report.unresolved.extend(lineage.problems)
    return report
