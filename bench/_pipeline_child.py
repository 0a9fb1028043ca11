"""Children of bench_pipeline and bench_scale: one measured run in a fresh process.

    python -m bench._pipeline_child dag DAG_ID [--only TASK_ID] [--warm]
        One real Airflow run of the DAG with ``dag.test()`` (the in-process executor and the
        isolated metadata DB, like tests/support/airflow_run.py). ``--only`` runs the subset of
        the DAG made of that task (``dag.partial_subset``). ``--warm`` first makes the process
        what a worker that has run a task before is: it imports the SDK (timed: ``sdk_import_s``,
        the one import every ingestion pays) and runs the DAG's ``preflight`` task once (which loads
        the plugins and builds the in-process Execution API: one-time costs of a process). Prints,
        as the last line, JSON with the phases, each task instance's duration and the ingest
        task's summary.

    python -m bench._pipeline_child ingest CONN_ID [--threads N] [--service NAME]
        ``include.catalog.tasks.run_ingestion("postgres", CONN_ID, MetadataOptions(threads=N))``
        - the ingest task's code path without Airflow's task machinery. The SDK is imported
        first and timed apart, so ``ingest_s`` is the workflow alone.

    python -m bench._pipeline_child cli CONFIG.json
        The SDK's own CLI, ``metadata ingest -c CONFIG.json``, exactly as ``.venv/bin/metadata``
        runs it (``metadata.cmd.metadata``), with its import (``import_s``) and its run
        (``run_s``: config load, workflow creation, execution, stop) timed apart.
        ``--with-sdk-fixes``: the same CLI with the datakit's SDK fixes applied first, so
        Airflow's own overhead can be compared with the same SDK work on both sides.

    python -m bench._pipeline_child config CONN_ID OUT.json
        The workflow config the ingest task builds (the project's builder), dumped as JSON for
        ``metadata ingest -c``, with the two secrets (database password, JWT) written in:
        ``model_dump`` masks them.

``--sdk-as-is`` (dag, ingest): replace ``include.workflow.sdk_fixes.apply`` with a no-op, to
measure the datakit as it was before those fixes (before/after in docs/benchmarks.md).
``--no-heap-freeze`` (dag, ingest): run the workflow without ``runner.frozen_heap`` (before that fix).

Connections come from ``AIRFLOW_CONN_*`` in the environment; the parent sets them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import warnings

_T0 = time.perf_counter()


def _rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _warm_up(dag) -> dict:
    started = time.perf_counter()
    import metadata.workflow.metadata  # noqa: F401  - the SDK import, timed apart

    imported = time.perf_counter()
    # A worker that has run a task before: the DAG's cheap first task, once.
    warm = dag.partial_subset(task_ids=["preflight"], include_upstream=False, include_downstream=False)
    state = str(warm.test().state)
    return {"sdk_import_s": imported - started, "warm_up_s": time.perf_counter() - imported, "warm_up_state": state}


def run_dag(dag_id: str, only: str | None, warm: bool) -> dict:
    from airflow.dag_processing.dagbag import DagBag

    from bench.common import REPO

    bag = DagBag(dag_folder=str(REPO / "dags" / f"{dag_id}.py"))
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    dag = bag.dags[dag_id]
    full = dag
    if only:
        dag = dag.partial_subset(task_ids=[only], include_upstream=False, include_downstream=False)
    startup = time.perf_counter() - _T0
    phases = _warm_up(full) if warm else {}
    parsed = time.perf_counter()
    profile = os.environ.get("BENCH_PROFILE")  # a cProfile dump of the timed part, to find where time goes
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        dag_run = profiler.runcall(dag.test)
        profiler.dump_stats(profile)
    else:
        dag_run = dag.test()
    finished = time.perf_counter()
    tis = {ti.task_id: {"state": str(ti.state), "seconds": (ti.end_date - ti.start_date).total_seconds()
                        if ti.start_date and ti.end_date else None} for ti in dag_run.get_task_instances()}
    summary = None
    if "ingest_metadata" in tis:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            row = session.execute(select(XComModel.value).where(
                XComModel.dag_id == dag_id, XComModel.run_id == dag_run.run_id,
                XComModel.task_id == "ingest_metadata", XComModel.key == "return_value")).first()
        if row is not None:
            summary = XComModel.deserialize_value(type("R", (), {"value": row[0]})())
    return {"state": str(dag_run.state), "startup_s": startup, **phases, "dag_test_s": finished - parsed,
            "tasks": tis, "summary": summary}


def run_ingest(conn_id: str, threads: int, service: str | None) -> dict:
    started = time.perf_counter()
    import metadata.workflow.metadata  # noqa: F401  - the SDK import, timed apart

    from include.catalog.tasks import run_ingestion
    from include.sources.common import MetadataOptions

    imported = time.perf_counter()
    summary = run_ingestion("postgres", conn_id, MetadataOptions(threads=threads), label="bench",
                            service_name=service)
    done = time.perf_counter()
    return {"state": summary["status"], "startup_s": started - _T0, "import_s": imported - started,
            "ingest_s": done - imported, "summary": summary}


def dump_config(conn_id: str, out: str) -> dict:
    from include.catalog.tasks import source_kind
    from include.connections import get_connection
    from include.openmetadata.server import get_server

    spec = source_kind("postgres")
    source = spec.from_connection(get_connection(conn_id))
    server = get_server()
    config = spec.build(source, server, spec.default_options(source).validated())
    data = config.model_dump(mode="json", exclude_none=True, by_alias=True)
    data["source"]["serviceConnection"]["config"]["authType"]["password"] = source.password
    data["workflowConfig"]["openMetadataServerConfig"]["securityConfig"]["jwtToken"] = server.jwt
    with open(out, "w") as handle:
        json.dump(data, handle, indent=2)
    return {"state": "success", "path": out}


def run_cli(config: str, with_fixes: bool = False) -> dict:
    started = time.perf_counter()
    from metadata.cmd import metadata

    imported = time.perf_counter()
    if with_fixes:
        from include.workflow import sdk_fixes

        with open(config) as handle:
            sdk_fixes.apply(json.load(handle)["source"]["type"])
    code = 0
    try:
        metadata(["ingest", "-c", config])
    except SystemExit as exc:  # the CLI exits non-zero on a failed workflow
        code = exc.code or 0
    done = time.perf_counter()
    return {"state": "success" if code == 0 else f"failed ({code})", "import_s": imported - started,
            "run_s": done - imported}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("dag", "ingest", "config", "cli"))
    parser.add_argument("target")
    parser.add_argument("out", nargs="?")
    parser.add_argument("--only")
    parser.add_argument("--warm", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--service")
    parser.add_argument("--sdk-as-is", action="store_true")
    parser.add_argument("--with-sdk-fixes", action="store_true")
    parser.add_argument("--no-heap-freeze", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.sdk_as_is:
        from include.workflow import sdk_fixes

        sdk_fixes.apply = lambda *args, **kwargs: None
    if args.no_heap_freeze:
        from contextlib import nullcontext

        from include.workflow import runner

        runner.frozen_heap = nullcontext
    if args.mode == "dag":
        result = run_dag(args.target, args.only, args.warm)
    elif args.mode == "cli":
        result = run_cli(args.target, args.with_sdk_fixes)
    elif args.mode == "config":
        result = dump_config(args.target, args.out)
    else:
        result = run_ingest(args.target, args.threads, args.service)
    result["process_s"] = time.perf_counter() - _T0
    result["maxrss_bytes"] = _rss()
    print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
