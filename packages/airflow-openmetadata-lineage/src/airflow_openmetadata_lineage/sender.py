"""What one finished task sends to OpenMetadata: its pipeline, its table edges, its status.

- The pipeline service (``LineageConfig.pipeline_service``) is created when missing and
  left alone when it exists (the Airflow pipeline connector may own its settings).
- The pipeline (the DAG, with its tasks) is upserted.
- On success: one edge per ``Edge`` of the task (today: its declared inlet x outlet tables),
  annotated with the pipeline (``lineageDetails.pipeline``, ``source: PipelineLineage``) plus
  the edge's own details; upserts, so a re-run adds no duplicate. On failure: no edge (the
  outlets were not written).
- The task's state is merged into the run's ``PipelineStatus`` (keyed by the run's
  start time), so the pipeline's run history stays current.

A table that is not in the catalog yet is reported by FQN (ingest its source first);
it never fails anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from airflow_openmetadata_lineage.client import OMClient

_STATUS = {"success": "Successful", "failed": "Failed", "skipped": "Skipped"}


@dataclass(frozen=True)
class Edge:
    """One table -> table edge of a task. ``details`` is merged into ``lineageDetails``: room for
    what SQL-derived lineage knows (``sqlQuery``, ``columnsLineage``); declared edges have none."""

    source: str
    target: str
    details: tuple[tuple[str, Any], ...] = ()


def declared_edges(inlets: tuple[str, ...], outlets: tuple[str, ...]) -> tuple[Edge, ...]:
    """Every inlet x every outlet of a task, without self-edges."""
    return tuple(Edge(source, target) for source in inlets for target in outlets if source != target)


@dataclass(frozen=True)
class TaskRun:
    """Everything about one task instance the sender needs (gathered in the task's thread)."""

    dag_id: str
    task_id: str
    run_id: str
    state: str  # success | failed
    run_started_ms: int
    task_started_ms: int | None
    task_ended_ms: int
    edges: tuple[Edge, ...]
    tasks: tuple[dict[str, Any], ...]  # the DAG's tasks: name, downstreamTasks, taskType
    description: str | None = None
    schedule: str | None = None
    dag_url: str | None = None
    log_url: str | None = None


@dataclass
class SendReport:
    edges: list[tuple[str, str]] = field(default_factory=list)
    missing_tables: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # references left out, each with its fix
    pipeline_fqn: str | None = None
    seconds: float = 0.0


def ensure_pipeline(client: OMClient, service: str, run: TaskRun, airflow_url: str | None) -> dict[str, Any]:
    if client.get_by_name("services/pipelineServices", service) is None:
        client.put("services/pipelineServices", {
            "name": service,
            "serviceType": "Airflow",
            "description": "Airflow DAGs (created by the airflow-openmetadata-lineage listener).",
            "connection": {"config": {"type": "Airflow", "hostPort": airflow_url or "http://localhost:8080",
                                      "connection": {"type": "Backend"}}},
        })
    body: dict[str, Any] = {"name": run.dag_id, "service": service, "tasks": list(run.tasks)}
    if run.description:
        body["description"] = run.description
    if run.schedule:
        body["scheduleInterval"] = run.schedule
    if run.dag_url:
        body["sourceUrl"] = run.dag_url
    return client.put("pipelines", body)


def _table_ids(client: OMClient, fqns: list[str], report: SendReport) -> dict[str, str]:
    ids = {}
    for table_fqn in fqns:
        table = client.get_by_name("tables", table_fqn)
        if table is None:
            report.missing_tables.append(table_fqn)
        else:
            ids[table_fqn] = table["id"]
    return ids


def update_run_status(client: OMClient, pipeline: dict[str, Any], run: TaskRun) -> None:
    fqn = pipeline["fullyQualifiedName"]
    path = f"pipelines/{_quote(fqn)}/status"
    existing = client.get(path, {"startTs": run.run_started_ms, "endTs": run.run_started_ms}) or {}
    rows = existing.get("data", []) if isinstance(existing, dict) else []
    task_status: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("timestamp") == run.run_started_ms:
            task_status = {t["name"]: t for t in row.get("taskStatus") or []}
    mine: dict[str, Any] = {"name": run.task_id, "executionStatus": _STATUS.get(run.state, "Pending"),
                            "endTime": run.task_ended_ms}
    if run.task_started_ms:
        mine["startTime"] = run.task_started_ms
    if run.log_url:
        mine["logLink"] = run.log_url
    task_status[run.task_id] = mine
    states = {t["executionStatus"] for t in task_status.values()}
    all_tasks = {t["name"] for t in run.tasks}
    if "Failed" in states:
        overall = "Failed"
    elif all_tasks <= set(task_status) and states <= {"Successful", "Skipped"}:
        overall = "Successful"
    else:
        overall = "Pending"
    client.put(path, {"timestamp": run.run_started_ms, "executionStatus": overall,
                      "taskStatus": list(task_status.values())})


def send(client: OMClient, service: str, run: TaskRun, airflow_url: str | None = None, *,
         update_status: bool = True) -> SendReport:
    started = time.monotonic()
    report = SendReport()
    pipeline = ensure_pipeline(client, service, run, airflow_url)
    report.pipeline_fqn = pipeline["fullyQualifiedName"]
    if run.state == "success" and run.edges:
        tables = list(dict.fromkeys(name for edge in run.edges for name in (edge.source, edge.target)))
        ids = _table_ids(client, tables, report)
        for edge in run.edges:
            if edge.source not in ids or edge.target not in ids:
                continue
            details: dict[str, Any] = {
                "pipeline": {"id": pipeline["id"], "type": "pipeline"},
                "source": "PipelineLineage",
                "description": f"Airflow task {run.dag_id}.{run.task_id}",
            }
            details.update(dict(edge.details))
            client.put("lineage", {"edge": {
                "fromEntity": {"id": ids[edge.source], "type": "table"},
                "toEntity": {"id": ids[edge.target], "type": "table"},
                "lineageDetails": details,
            }})
            report.edges.append((edge.source, edge.target))
    if update_status:
        update_run_status(client, pipeline, run)
    report.seconds = time.monotonic() - started
    return report


def _quote(fqn: str) -> str:
    from urllib.parse import quote

    return quote(fqn, safe="")
