"""Airflow 3's lineage backend: a listener that sends each finished task's lineage to OpenMetadata.

Registered by the ``airflow.plugins`` entry point (``plugin.py``). It runs in the task's
process on the worker, so it is built never to hurt the task:

- **kill switch**: ``OPENMETADATA_LINEAGE_ENABLED=false`` -> returns at once, no call at all;
- **no lineage, no work**: a task without inlets/outlets that runs no SQL costs two attribute
  tests;
- **lineage from SQL**: a SQL task without declared edges gets the edges of the SQL it ran
  (``sql_lineage.py``; kill switch ``sql_lineage``, DAG/task opt-out); the parse runs in the
  bounded thread too;
- **bounded**: the sending runs in a daemon thread joined for at most ``timeout_seconds``
  (default 3 s); the HTTP timeouts are no longer than that;
- **contained**: every exception is caught; OpenMetadata down, slow or answering 5xx gives one
  warning line per task, never a traceback, never a changed task state;
- **actionable**: a reference that cannot be resolved (a dict, an unmapped Asset) is one ERROR
  line naming ``dag.task.inlets[i]`` and the fix, and the task's other edges are still sent;
  a table missing from the catalog is a WARNING naming its FQN and the fix.

On task failure no edge is sent (the outlets were not written), but the task's Failed state
is recorded in the pipeline's run status.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from airflow.listeners import hookimpl

log = logging.getLogger("airflow_openmetadata_lineage")
PREFIX = "openmetadata lineage: task"


def handle(task_instance: Any, state: str) -> None:
    """Send one task's lineage within the configured time; never raises."""
    started = time.monotonic()
    name = f"{getattr(task_instance, 'dag_id', '?')}.{getattr(task_instance, 'task_id', '?')}"
    try:
        from airflow_openmetadata_lineage.gather import has_declared_lineage
        from airflow_openmetadata_lineage.sql_lineage import is_sql_task

        task = getattr(task_instance, "task", None)
        declared = has_declared_lineage(task)
        if not declared and not is_sql_task(task):
            return
        from airflow_openmetadata_lineage.config import LineageConfig
        from airflow_openmetadata_lineage.connection import get_endpoint
        from airflow_openmetadata_lineage.gather import wants_sql_lineage

        config = LineageConfig.load()
        if not config.enabled or not (declared or wants_sql_lineage(task, config)):
            return
        server = get_endpoint(config.openmetadata_conn_id)
        budget = max(0.1, config.timeout_seconds - (time.monotonic() - started))
        outcome: dict[str, Any] = {}
        # Parsing the SQL and sending both run in the thread: the bound covers both.
        worker = threading.Thread(target=_gather_and_send,
                                  args=(task_instance, state, name, server, budget, config, outcome),
                                  name=f"openmetadata-lineage-{name}", daemon=True)
        worker.start()
        worker.join(budget)
        if worker.is_alive():
            _too_slow(name, server.api_url, config.timeout_seconds)
            return
        _report(name, outcome, server.api_url, config.timeout_seconds)
    except Exception as exc:  # the listener must never change a task's outcome
        log.warning("%s %s: lineage not sent: %s: %s", PREFIX, name, type(exc).__name__, str(exc)[:300])


def _gather_and_send(task_instance: Any, state: str, name: str, server: Any, budget: float, config: Any,
                     outcome: dict[str, Any]) -> None:
    from airflow_openmetadata_lineage.assets import AssetServices
    from airflow_openmetadata_lineage.client import OMClient
    from airflow_openmetadata_lineage.gather import task_lineage, task_run
    from airflow_openmetadata_lineage.sender import send

    try:
        lineage = task_lineage(task_instance.task, dag_id=task_instance.dag_id, task_id=task_instance.task_id,
                               services=AssetServices(config), config=config, parse_sql=state == "success")
        for problem in lineage.unresolved:
            log.error("%s %s: %s (this reference is skipped; the task's other edges are sent)", PREFIX, name, problem)
        for note in lineage.notes:
            log.info("%s %s: %s", PREFIX, name, note)
        for problem in lineage.problems:
            log.warning("%s %s: %s (the task is not affected; its other statements count)", PREFIX, name, problem)
        if not lineage.has_tables and not (lineage.origin == "sql" and state == "failed"):
            return
        run = task_run(task_instance, state, config, lineage)
    except Exception as exc:
        outcome["error"] = exc
        return
    client = OMClient(server, timeout=budget)
    try:
        outcome["report"] = send(client, config.pipeline_service, run, config.airflow_base_url)
    except Exception as exc:
        outcome["error"] = exc
    finally:
        client.close()


def _too_slow(name: str, api_url: str, bound: float) -> None:
    log.warning("%s %s: OpenMetadata at %s did not finish within %.1f s; lineage not sent "
                "(the task is not affected)", PREFIX, name, api_url, bound)


def _report(name: str, outcome: dict[str, Any], api_url: str, bound: float) -> None:
    from airflow_openmetadata_lineage.client import OpenMetadataTimeout, OpenMetadataUnavailable

    error = outcome.get("error")
    if error is not None:
        # The HTTP timeout and the join share one budget: whichever fires first, one message.
        if isinstance(error, OpenMetadataTimeout):
            _too_slow(name, api_url, bound)
        elif isinstance(error, OpenMetadataUnavailable):
            log.warning("%s %s: OpenMetadata unavailable: %s; lineage not sent (the task is not affected)",
                        PREFIX, name, error)
        else:
            log.warning("%s %s: lineage not sent: %s: %s", PREFIX, name, type(error).__name__, str(error)[:300])
        return
    report = outcome.get("report")
    if report is None:
        return
    log_send_report(name, report, api_url)


def log_send_report(name: str, report: Any, api_url: str) -> None:
    """One WARNING per table missing from the catalog, then one INFO line with the count."""
    for table_fqn in report.missing_tables:
        log.warning("%s %s: table %s is not in the OpenMetadata catalog yet; its edges were skipped. "
                    "Fix: ingest its source first (e.g. trigger its catalog DAG)", PREFIX, name, table_fqn)
    log.info("%s %s: %d edge(s) sent to %s under pipeline %s in %.0f ms", PREFIX, name, len(report.edges),
             api_url, report.pipeline_fqn, report.seconds * 1000)


@hookimpl
def on_task_instance_success(previous_state: Any, task_instance: Any) -> None:
    handle(task_instance, "success")


@hookimpl
def on_task_instance_failed(previous_state: Any, task_instance: Any, error: Any) -> None:
    handle(task_instance, "failed")
