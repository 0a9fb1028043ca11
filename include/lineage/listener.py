"""The lineage backend of Airflow 3: a listener that sends finished tasks' lineage to OpenMetadata.

Registered by ``plugins/datakit_lineage.py``. It runs in the task's process on the worker,
so it is built never to hurt the task:

- **kill switch**: ``DATAKIT_LINEAGE_ENABLED=false`` -> returns at once, no call at all;
- **no lineage, no work**: a task without inlets/outlets costs one config read;
- **bounded**: the sending runs in a daemon thread joined for at most
  ``timeout_seconds`` (default 3 s); the HTTP timeouts are no longer than that;
- **contained**: every exception is caught; OpenMetadata down, slow or answering 5xx
  gives one warning line per task, never a traceback, never a changed task state;
- **actionable**: a dict inlet (lost by Airflow 3) is an ERROR line naming the task and
  the fix; a table missing from the catalog is a WARNING naming its FQN and the fix.

On task failure no edge is sent (the outlets were not written), but the task's Failed
state is recorded in the pipeline's run status.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any

from airflow.listeners import hookimpl

log = logging.getLogger("datakit.lineage")


def _ms(moment: Any) -> int | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return int(moment.timestamp() * 1000)
    return None


def task_run(task_instance: Any, state: str, config, asset_services) -> Any:
    """Gather what the sender needs from the RuntimeTaskInstance (cheap, no I/O but conf lookups)."""
    from include.lineage.sender import TaskRun
    from include.lineage.xlets import resolve_xlets

    task = task_instance.task
    dag = task.dag
    dag_id, task_id = task_instance.dag_id, task_instance.task_id
    common = {"dag_id": dag_id, "task_id": task_id, "asset_services": asset_services}
    inlets = resolve_xlets(task.inlets, direction="inlets", **common)
    outlets = resolve_xlets(task.outlets, direction="outlets", **common)
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
        inlets=tuple(inlets),
        outlets=tuple(outlets),
        tasks=tuple(
            {"name": t.task_id, "downstreamTasks": sorted(t.downstream_task_ids), "taskType": type(t).__name__}
            for t in dag.tasks
        ),
        description=getattr(dag, "description", None),
        schedule=schedule if isinstance(schedule, str) else None,
        dag_url=f"{base}/dags/{dag_id}" if base else None,
        log_url=f"{base}/dags/{dag_id}/runs/{task_instance.run_id}/tasks/{task_id}" if base else None,
    )


def _has_xlets(task_instance: Any) -> bool:
    task = getattr(task_instance, "task", None)
    return bool(task is not None and (getattr(task, "inlets", None) or getattr(task, "outlets", None)))


def handle(task_instance: Any, state: str) -> None:
    """Send one task's lineage within the configured time; never raises."""
    started = time.monotonic()
    name = f"{getattr(task_instance, 'dag_id', '?')}.{getattr(task_instance, 'task_id', '?')}"
    try:
        from include.lineage.config import LineageConfig, asset_service_map
        from include.lineage.xlets import XletError

        config = LineageConfig.load()
        if not config.enabled or not _has_xlets(task_instance):
            return
        xlets = list(task_instance.task.inlets or []) + list(task_instance.task.outlets or [])
        needs_assets = any(hasattr(x, "uri") for x in xlets)
        try:
            run = task_run(task_instance, state, config, asset_service_map(config) if needs_assets else {})
        except XletError as exc:
            log.error("datakit lineage: task %s: %s", name, exc)
            return
        if not run.inlets and not run.outlets:
            return
        from include.openmetadata.server import get_server

        server = get_server(config.openmetadata_conn_id)
        budget = max(0.1, config.timeout_seconds - (time.monotonic() - started))
        outcome: dict[str, Any] = {}
        worker = threading.Thread(
            target=_send_in_thread, args=(server, budget, config, run, outcome),
            name=f"datakit-lineage-{name}", daemon=True,
        )
        worker.start()
        worker.join(budget)
        if worker.is_alive():
            _too_slow(name, server.api_url, config.timeout_seconds)
            return
        _report(name, outcome, server.api_url, config.timeout_seconds)
    except Exception as exc:  # the listener must never change a task's outcome
        log.warning("datakit lineage: task %s: lineage not sent: %s: %s", name, type(exc).__name__, str(exc)[:300])


def _send_in_thread(server, budget: float, config, run, outcome: dict) -> None:
    from include.lineage.client import OMClient
    from include.lineage.sender import send

    client = OMClient(server, timeout=budget)
    try:
        outcome["report"] = send(client, config.pipeline_service, run, config.airflow_base_url)
    except Exception as exc:
        outcome["error"] = exc
    finally:
        client.close()


def _too_slow(name: str, api_url: str, bound: float) -> None:
    log.warning("datakit lineage: task %s: OpenMetadata at %s did not finish within %.1f s; "
                "lineage not sent (the task is not affected)", name, api_url, bound)


def _report(name: str, outcome: dict, api_url: str, bound: float) -> None:
    from include.lineage.client import OpenMetadataTimeout, OpenMetadataUnavailable

    error = outcome.get("error")
    if error is not None:
        # The HTTP timeout and the join share one budget: whichever fires first, one message.
        if isinstance(error, OpenMetadataTimeout):
            _too_slow(name, api_url, bound)
        elif isinstance(error, OpenMetadataUnavailable):
            log.warning("datakit lineage: task %s: OpenMetadata unavailable: %s; lineage not sent "
                        "(the task is not affected)", name, error)
        else:
            log.warning("datakit lineage: task %s: lineage not sent: %s: %s", name, type(error).__name__,
                        str(error)[:300])
        return
    report = outcome.get("report")
    if report is None:
        return
    for table_fqn in report.missing_tables:
        log.warning("datakit lineage: task %s: table %s is not in the OpenMetadata catalog yet; its edges were "
                    "skipped. Fix: ingest its source first (e.g. trigger its catalog_* DAG)", name, table_fqn)
    log.info("datakit lineage: task %s: %d edge(s) sent to %s under pipeline %s in %.0f ms", name,
             len(report.edges), api_url, report.pipeline_fqn, report.seconds * 1000)


@hookimpl
def on_task_instance_success(previous_state, task_instance):
    handle(task_instance, "success")


@hookimpl
def on_task_instance_failed(previous_state, task_instance, error):
    handle(task_instance, "failed")
