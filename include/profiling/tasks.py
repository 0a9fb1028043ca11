"""Task callables of the profile DAGs: ``wait_for_catalog``, ``preflight``, ``profile``, ``classify``.

Each imports what it needs when it runs (the SDK takes ~10 s to import). The source comes
from the same Airflow connection and the same typed ``serviceConnection`` as the catalog DAG
(``include.catalog.tasks.source_kind``); only the SDK workflow differs.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from include.connections import get_connection
from include.profiling.options import ClassificationOptions, ProfilerOptions, options_with_params

log = logging.getLogger(__name__)


def _conf(dag_run: Any) -> Mapping[str, Any]:
    return (getattr(dag_run, "conf", None) or {}) if dag_run is not None else {}


def default_options(kind: str) -> tuple[ProfilerOptions, ClassificationOptions]:
    if kind == "mssql":
        from include.sources.mssql import SYSTEM_SCHEMAS

        return ProfilerOptions(schema_excludes=SYSTEM_SCHEMAS), ClassificationOptions()
    return ProfilerOptions(), ClassificationOptions()


def effective_options(kind: str, params: Mapping[str, Any] | None, dag_run: Any = None):
    profiler, classification = default_options(kind)
    return options_with_params(profiler, classification, params, _conf(dag_run))


def wait_for_catalog(catalog_dag_id: str, ti: Any = None, dag_run: Any = None) -> bool:
    """Sensor: True once the source's catalog DAG is idle and, for a scheduled run, its nightly run
    of the same night succeeded (profiles and tags attach to the tables that run catalogued)."""
    busy = ti.get_dr_count(dag_id=catalog_dag_id, states=["running", "queued"])
    if busy:
        log.info("waiting: %s has %s run(s) queued or running; profiling never overlaps it", catalog_dag_id, busy)
        return False
    run_type = str(getattr(dag_run, "run_type", "") or "").lower()
    if "scheduled" not in run_type:
        log.info("%s is idle (a %s run does not wait for the nightly)", catalog_dag_id, run_type or "manual")
        return True
    from croniter import croniter

    from include.catalog.schedules import nightly_cron as configured_nightly

    nightly_cron = configured_nightly()  # read when it runs: a typo there breaks the catalog DAGs only
    when = getattr(dag_run, "run_after", None) or dag_run.logical_date
    nightly = croniter(nightly_cron, when).get_prev(type(when)) if not croniter.match(nightly_cron, when) else when
    done = ti.get_dr_count(dag_id=catalog_dag_id, logical_dates=[nightly], states=["success"])
    if not done:
        log.info("waiting: the nightly run of %s at %s has not succeeded yet", catalog_dag_id, nightly.isoformat())
        return False
    log.info("the nightly run of %s at %s succeeded", catalog_dag_id, nightly.isoformat())
    return True


def preflight(kind: str, conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
              openmetadata_conn_id: str | None = None) -> dict[str, Any]:
    """Params, the spaCy model (when classifying), OpenMetadata, then the source: in seconds."""
    from include.catalog.tasks import source_kind
    from include.openmetadata.preflight import check_openmetadata
    from include.openmetadata.server import get_server

    spec = source_kind(kind)
    source = spec.from_connection(get_connection(conn_id))
    profiler, classification = effective_options(kind, params, dag_run)
    result: dict[str, Any] = {"sampling": profiler.sampling_rule(), "classification": classification.enabled}
    if classification.enabled:
        from include.profiling.spacy_model import check_spacy_model

        result["pii"] = check_spacy_model()
    result["openmetadata"] = check_openmetadata(get_server(openmetadata_conn_id)).as_dict()
    result["source"] = {"conn_id": conn_id, **spec.check(source)}
    return result


def _base_config(kind: str, conn_id: str, openmetadata_conn_id: str | None, service_name: str | None):
    from include.catalog.tasks import source_kind
    from include.openmetadata.server import get_server

    spec = source_kind(kind)
    source = spec.from_connection(get_connection(conn_id))
    server = get_server(openmetadata_conn_id)
    base = spec.build(source, server, spec.default_options(source), service_name=service_name)
    return source, server, base


def _finish(summary: dict[str, Any], conn_id: str, service_name: str | None, source: Any) -> dict[str, Any]:
    summary["source"] = {"conn_id": conn_id, "service": service_name or conn_id, "where": source.where}
    return summary


def profile(kind: str, conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
            openmetadata_conn_id: str | None = None, service_name: str | None = None,
            options: ProfilerOptions | None = None) -> dict[str, Any]:
    """The ``profile`` task: the SDK's ``ProfilerWorkflow`` over the source's tables.

    A table the profiler cannot read, or that takes longer than the per-table timeout, is a
    failure of that table: the others are profiled and sent, then the task fails naming it.
    """
    from include.profiling.config import build_profiler_config
    from include.workflow.runner import WorkflowFailed, run_workflow

    profiler = options or effective_options(kind, params, dag_run)[0]
    source, server, base = _base_config(kind, conn_id, openmetadata_conn_id, service_name)
    if kind == "postgres":
        from include.profiling import row_counts

        row_counts.apply(profiler.sample_from_rows)
    log.info("profiling %s: sampling %s; per-table timeout %s s; %s thread(s)", conn_id,
             profiler.sampling_rule(), profiler.timeout_seconds, profiler.threads)
    label = f"{getattr(dag_run, 'dag_id', None) or 'profile'}: profiler of {conn_id} at {source.where}"
    try:
        summary = run_workflow(build_profiler_config(base, profiler), label=label, server=server, kind="profiler")
    except WorkflowFailed as exc:
        raise WorkflowFailed(_name_failed_tables(str(exc), exc.summary, profiler.timeout_seconds), exc.summary) from None
    return _finish(summary, conn_id, service_name, source)


def _name_failed_tables(message: str, summary: dict[str, Any], timeout: int) -> str:
    """Put the tables that were not profiled, and why, on the message's first line.

    The SDK reports a table cut by its per-table timeout as an exception without text
    (``concurrent.futures.TimeoutError``): say what it was.
    """
    reasons = []
    for failure in summary.get("failures") or []:
        if failure.get("step") != "Profiler" or "." not in str(failure.get("name")) or " " in str(failure.get("name")):
            continue  # not a table: e.g. OpenMetadata lost mid-run (the runner's message says so)
        error = failure.get("error") or ""
        if error.rstrip().endswith(f"{failure['name']}:"):
            failure["error"] = (f"{error.rstrip()} cut: longer than the per-table timeout of {timeout} s "
                                f"(DATAKIT_PROFILER_TIMEOUT_SECONDS)")
            why = f"cut after the {timeout} s per-table timeout"
        else:
            why = error.rsplit(f"{failure['name']}:", 1)[-1].split(" [SQL:")[0].strip()[:200]
        reasons.append(f"{failure['name']} ({why})")
    if not reasons:
        return message
    return (f"{len(reasons)} table(s) not profiled, the others were: {'; '.join(reasons)}. Fix: grant SELECT to the "
            f"connection's login, or raise DATAKIT_PROFILER_TIMEOUT_SECONDS, or exclude the table (param table_filter)"
            f"\n{message}")


def classify(kind: str, conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
             openmetadata_conn_id: str | None = None, service_name: str | None = None) -> dict[str, Any]:
    """The ``classify`` task: the SDK's ``AutoClassificationWorkflow`` (PII tags, suggested)."""
    from include.profiling.config import build_classification_config
    from include.workflow.runner import run_workflow

    profiler, classification = effective_options(kind, params, dag_run)
    if not classification.enabled:
        log.info("PII classification is off for this run (param classification=false)")
        return {"status": "skipped", "reason": "param classification=false"}
    from include.profiling.spacy_model import check_spacy_model

    model = check_spacy_model()  # never let the SDK download it at run time
    source, server, base = _base_config(kind, conn_id, openmetadata_conn_id, service_name)
    label = f"{getattr(dag_run, 'dag_id', None) or 'profile'}: PII classification of {conn_id} at {source.where}"
    config = build_classification_config(base, classification, profiler)
    summary = run_workflow(config, label=label, server=server, kind="classification")
    summary["pii"] = {**model, "confidence": classification.confidence,
                      "store_sample_data": classification.store_sample_data}
    return _finish(summary, conn_id, service_name, source)
