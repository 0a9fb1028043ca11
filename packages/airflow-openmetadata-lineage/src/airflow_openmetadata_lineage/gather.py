"""What the sender needs from a finished task instance: its edges, its DAG, its run (no I/O).

Where a task's edges come from is one function, ``task_lineage``, and the rule is here:

- a task that declares **both** ``inlets`` and ``outlets`` gets exactly its declared edges
  (inlets x outlets); its SQL is not parsed (declared lineage wins; an INFO line says so for a
  SQL task). Never a union of the two;
- any other SQL task (``sql_lineage.is_sql_task``) gets the edges of the SQL it ran, with
  ``sqlQuery`` and ``columnsLineage`` (``sql_lineage.py``), unless the automatic part is off
  (setting ``sql_lineage``, the DAG tag ``openmetadata_lineage:no_sql``, the DAG or task param
  ``openmetadata_sql_lineage: False``) or the parser is not installed. A task that declares
  one side only (e.g. a table Asset outlet for data-aware scheduling) has no declared edge,
  so its SQL lineage is used (an INFO line says so);
- anything else: its declared inlets x outlets, as before.
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
    origin: str = "declared"  # declared | sql
    notes: tuple[str, ...] = ()  # INFO: which rule applied
    problems: tuple[str, ...] = ()  # WARNING: statements that could not be parsed, ...

    @property
    def has_tables(self) -> bool:
        return bool(self.inlets or self.outlets or self.edges)


def has_declared_lineage(task: Any) -> bool:  # noqa: D401
    """Cheap test, before any setting or connection is read: does the task declare inlets/outlets?"""
    return bool(task is not None and (getattr(task, "inlets", None) or getattr(task, "outlets", None)))


def declares_both(task: Any) -> bool:
    return bool(getattr(task, "inlets", None) and getattr(task, "outlets", None))


def wants_sql_lineage(task: Any, config: LineageConfig) -> bool:
    """Cheap (no parse, no I/O): will ``task_lineage`` parse this task's SQL (if it succeeds)?"""
    from airflow_openmetadata_lineage.sql_lineage import is_sql_task, opt_out_reason, parser_missing

    return (config.sql_lineage and is_sql_task(task) and not declares_both(task)
            and opt_out_reason(task) is None and parser_missing() is None)


def task_lineage(task: Any, *, dag_id: str, task_id: str, services: AssetServices,
                 config: LineageConfig | None = None, parse_sql: bool = True,
                 render_sql: bool = False) -> TaskLineage:
    """The edges of one task, by the rule of the module doc (each bad reference apart).

    ``parse_sql=False``: never parse (a failed task: no edge is sent anyway);
    ``render_sql``: the task comes from a parsed DAG, not a run (render its SQL templates first).
    """
    from airflow_openmetadata_lineage.sql_lineage import is_sql_task, opt_out_reason, parser_missing, sql_lineage

    config = config or LineageConfig.load()
    common = {"dag_id": dag_id, "task_id": task_id, "services": services}
    inlets, bad_in = resolve_xlets(getattr(task, "inlets", None), direction="inlets", **common)
    outlets, bad_out = resolve_xlets(getattr(task, "outlets", None), direction="outlets", **common)
    unresolved = tuple(bad_in + bad_out)
    declared = TaskLineage(tuple(inlets), tuple(outlets), declared_edges(tuple(inlets), tuple(outlets)), unresolved)
    if not is_sql_task(task):
        return declared
    if declares_both(task):
        if config.sql_lineage:
            return _with(declared, notes=("declares inlets and outlets: its declared edges are sent, its SQL is "
                                          "not parsed (declared lineage wins)",))
        return declared
    reason = ("the setting sql_lineage is false" if not config.sql_lineage
              else opt_out_reason(task) or parser_missing())
    if reason is not None:
        return declared
    if not parse_sql:
        return TaskLineage((), (), (), unresolved, origin="sql")
    notes = []
    if inlets or outlets or unresolved:
        side = "inlets" if getattr(task, "inlets", None) else "outlets"
        notes.append(f"declares {side} only (no declared edge): the lineage of its SQL is sent")
    try:
        found = sql_lineage(task, services=services, render=render_sql)
    except Exception as exc:
        return TaskLineage((), (), (), unresolved, origin="sql", notes=tuple(notes), problems=(
            f"its SQL was not parsed: {type(exc).__name__}: {str(exc)[:300]}; no lineage from SQL for this run",))
    notes.append(f"{len(found.edges)} edge(s) from its SQL ({found.statements} statement(s))")
    return TaskLineage((), (), found.edges, unresolved, origin="sql", notes=tuple(notes),
                       problems=tuple(found.problems))


def _with(lineage: TaskLineage, **changes: Any) -> TaskLineage:
    from dataclasses import replace

    return replace(lineage, **changes)


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
