"""What the sender needs from a finished task instance: its edges, its DAG, its run (no I/O).

Where a task's edges come from is one function, ``task_lineage``: today the task's declared
``inlets`` x ``outlets``. SQL-derived lineage (the tables a task's SQL reads and writes) would be
a second source here, with the rule for a task that has both stated in one place; the sender
and the listener's bounds stay as they are.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_openmetadata_lineage.assets import AssetServices
from airflow_openmetadata_lineage.config import LineageConfig
from airflow_openmetadata_lineage.errors import UnresolvedReference
from airflow_openmetadata_lineage.resolve import resolve_xlets
from airflow_openmetadata_lineage.sender import Edge, TaskRun, declared_edges


@dataclass(frozen=True)
class TaskLineage:
    """A task's resolved tables and edges, and the references that could not be resolved."""

    inlets: tuple[str, ...]
    outlets: tuple[str, ...]
    edges: tuple[Edge, ...]
    unresolved: tuple[UnresolvedReference, ...]

    @property
    def has_tables(self) -> bool:
        return bool(self.inlets or self.outlets)


def has_declared_lineage(task: Any) -> bool:
    """Cheap test, before any setting or connection is read: does the task declare inlets/outlets?"""
    return bool(task is not None and (getattr(task, "inlets", None) or getattr(task, "outlets", None)))


def task_lineage(task: Any, *, dag_id: str, task_id: str, services: AssetServices) -> TaskLineage:
    """The edges of one task: its declared inlets x outlets (each bad reference apart)."""
    common = {"dag_id": dag_id, "task_id": task_id, "services": services}
    inlets, bad_in = resolve_xlets(getattr(task, "inlets", None), direction="inlets", **common)
    outlets, bad_out = resolve_xlets(getattr(task, "outlets", None), direction="outlets", **common)
    return TaskLineage(tuple(inlets), tuple(outlets), declared_edges(tuple(inlets), tuple(outlets)),
                       tuple(bad_in + bad_out))


def _ms(moment: Any) -> int | None:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return int(moment.timestamp() * 1000)
    return None


def task_run(task_instance: Any, state: str, config: LineageConfig, lineage: TaskLineage) -> TaskRun:
    """The ``TaskRun`` of a RuntimeTaskInstance (or anything with the same attributes)."""
    task = task_instance.task
    dag = task.dag
    dag_id, task_id = task_instance.dag_id, task_instance.task_id
    server_context = getattr(task_instance, "_ti_context_from_server", None)  # RuntimeTaskInstance
    context_run = getattr(server_context, "dag_run", None) or getattr(task_instance, "dag_run", None)
    run_start = (
        _ms(getattr(context_run, "start_date", None))
        or _ms(getattr(context_run, "run_after", None))
        or _ms(getattr(task_instance, "start_date", None))
        or int(time.time() * 1000)
    )
    base = config.airflow_base_url
    schedule = getattr(dag, "schedule", None)
    return TaskRun(
        dag_id=dag_id,
        task_id=task_id,
        run_id=task_instance.run_id,
        state=state,
        run_started_ms=run_start,
        task_started_ms=_ms(getattr(task_instance, "start_date", None)),
        task_ended_ms=int(time.time() * 1000),
        edges=lineage.edges,
        tasks=tuple(
            {"name": t.task_id, "downstreamTasks": sorted(t.downstream_task_ids), "taskType": type(t).__name__}
            for t in dag.tasks
        ),
        description=getattr(dag, "description", None),
        schedule=schedule if isinstance(schedule, str) else None,
        dag_url=f"{base}/dags/{dag_id}" if base else None,
        log_url=f"{base}/dags/{dag_id}/runs/{task_instance.run_id}/tasks/{task_id}" if base else None,
    )
