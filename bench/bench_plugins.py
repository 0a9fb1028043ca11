"""Plugin load per process: what loading Airflow's plugins costs every task, CLI and component process.

Variants, each in a fresh process, rotated round-robin in one run:

* ``bare``: ``import airflow.sdk`` alone;
* ``after``: the same, then ``airflow.sdk.plugins_manager._get_plugins()`` (what the Task SDK's task
  runner does at the start of every task) with this project's plugins and installed entry points,
  the managed APIs' own entry point neutralised (``include/managed_apis/entry_point.py``);
* ``before``: the same, with ``openmetadata-managed-apis``' entry point live as the package ships
  it (a copy of its dist-info with the shipped ``entry_points.txt`` first on ``PYTHONPATH``).

And a short SQL task (``SELECT`` on a throwaway PostgreSQL through ``SQLExecuteQueryOperator``)
under ``airflow tasks test``, before and after, alternating. Target: plugins add <= 150 ms and
<= 30 MiB over bare Airflow.

    python -m bench.bench_plugins [--runs 5] [--task-runs 3]    # print only
    python -m bench.run_all --only plugins                     # measure and record in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.common import PY, airflow_env, median, migrate_airflow_db, mib, ms, secs, timed_child, verdict

ADDED_MS_TARGET = 150.0
ADDED_MIB_TARGET = 30.0

_LOAD = ("import sys, airflow.sdk\n"
         "from airflow.sdk import plugins_manager\n"
         "plugins, errors = plugins_manager._get_plugins()\n"
         "print(sorted(p.name for p in plugins), 'metadata' in sys.modules, "
         "'openmetadata_managed_apis' in sys.modules)\n")
_DAG = '''
from airflow.sdk import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("bench_plugins_sql", schedule=None):
    SQLExecuteQueryOperator(task_id="count", conn_id="bench_pg", sql="SELECT count(*) FROM pg_class")
'''


def shipped_dist_info(into: Path) -> Path:
    """A copy of openmetadata-managed-apis' dist-info with the entry points as shipped."""
    from include.managed_apis.entry_point import DISTRIBUTION, shipped_text

    dist = metadata.distribution(DISTRIBUTION)
    record = next(f for f in dist.files or [] if f.name == "RECORD")
    source = Path(dist.locate_file(record)).parent
    target = into / source.name
    shutil.copytree(source, target)
    entry_points = target / "entry_points.txt"
    entry_points.write_text(shipped_text(entry_points.read_text()))
    return into


def _variant_env(env: dict[str, str], shadow: Path | None) -> dict[str, str]:
    if shadow is None:
        return env
    return {**env, "PYTHONPATH": f"{shadow}:{env['PYTHONPATH']}"}


def run(runs: int = 5, task_runs: int = 3, env: dict[str, str] | None = None) -> dict[str, Any]:
    from tests.support.postgres import start_cluster

    env = dict(env or airflow_env())
    work = Path(tempfile.mkdtemp(prefix="bench-plugins-"))
    shadow = shipped_dist_info(work / "shadow")
    dags = work / "dags"
    dags.mkdir()
    (dags / "bench_plugins_sql.py").write_text(_DAG)
    cluster = start_cluster()
    try:
        task_env = {**env, "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                    "AIRFLOW_CONN_BENCH_PG": cluster.airflow_conn_json("postgres")}
        migrate_airflow_db(task_env)
        commands = {"bare": ([PY, "-c", "import airflow.sdk"], env),
                    "after": ([PY, "-c", _LOAD], env),
                    "before": ([PY, "-c", _LOAD], _variant_env(env, shadow))}
        samples: dict[str, list[dict[str, Any]]] = {k: [] for k in commands}
        checks: dict[str, str] = {}
        for _ in range(runs):
            for name, (cmd, variant_env) in commands.items():
                child = timed_child(cmd, env=variant_env, timeout=600)
                if child["returncode"] != 0:
                    raise RuntimeError(f"plugin load ({name}) failed:\n{child['stderr'][-3000:]}")
                samples[name].append({"seconds": child["seconds"], "maxrss_bytes": child["maxrss_bytes"]})
                if name != "bare":
                    checks[name] = child["stdout"].strip().splitlines()[-1]
        task = [PY, "-m", "airflow", "tasks", "test", "bench_plugins_sql", "count"]
        task_samples: dict[str, list[float]] = {"before": [], "after": []}
        for i in range(task_runs):
            for name in (("before", "after") if i % 2 == 0 else ("after", "before")):
                child = timed_child(task, env=_variant_env(task_env, shadow if name == "before" else None), timeout=900)
                if child["returncode"] != 0:
                    raise RuntimeError(f"airflow tasks test ({name}) failed:\n{child['stderr'][-3000:]}")
                task_samples[name].append(child["seconds"])
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    med = {k: {"seconds": median([s["seconds"] for s in v]), "maxrss_bytes": median([s["maxrss_bytes"] for s in v])}
           for k, v in samples.items()}
    added = {k: {"ms": (med[k]["seconds"] - med["bare"]["seconds"]) * 1000,
                 "mib": (med[k]["maxrss_bytes"] - med["bare"]["maxrss_bytes"]) / 2**20} for k in ("before", "after")}
    task_med = {k: median(v) for k, v in task_samples.items()}
    return {"runs": runs, "task_runs": task_runs, "samples": samples, "medians": med, "added": added,
            "checks": checks, "task_samples": task_samples, "task_medians_s": task_med,
            "ok": added["after"]["ms"] <= ADDED_MS_TARGET and added["after"]["mib"] <= ADDED_MIB_TARGET}


def headline(result: dict[str, Any]) -> str:
    after, before = result["added"]["after"], result["added"]["before"]
    return (f"| 5 | Plugin load per process: added over bare `import airflow.sdk` (median), after / before | "
            f"**{after['ms']:.0f} ms, {after['mib']:.0f} MiB** / {before['ms']:.0f} ms, {before['mib']:.0f} MiB | "
            f"<= 150 ms and <= 30 MiB | {verdict(result['ok'])} |")


def report(result: dict[str, Any] | None) -> str:
    if not result:
        return "## 5. Plugin load per process\n\nNot measured in this run (`python -m bench.bench_plugins --record`).\n"
    med, added, tasks = result["medians"], result["added"], result["task_medians_s"]
    def added_cells(name: str) -> str:
        if name == "bare":
            return " | "
        return f"{ms(added[name]['ms'] / 1000)} | {added[name]['mib']:.0f} MiB"

    rows = [f"| {name} | {secs(med[name]['seconds'])} | {mib(med[name]['maxrss_bytes'])} | {added_cells(name)} |"
            for name in ("bare", "after", "before")]
    return "\n".join([
        "## 5. Plugin load per process",
        "",
        "What every task process (the Task SDK's task runner), CLI command and Airflow component pays to load "
        "plugins: `airflow.sdk.plugins_manager._get_plugins()` with this project's plugins, in a fresh process, "
        "against a bare `import airflow.sdk`; **before**: `openmetadata-managed-apis`' own entry point live, as the "
        "package ships it; **after**: neutralised at install time, the managed APIs registered lazily by "
        "`plugins/datakit_managed_apis.py` (imported only when the API server mounts `/pluginsv2`). "
        f"Medians of {result['runs']} rotated runs.",
        "",
        "| variant | wall | peak RSS | added time | added RSS |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"SDK imported at plugin load: before `{result['checks'].get('before', '?')}`, after "
        f"`{result['checks'].get('after', '?')}` (plugins, `metadata` loaded, `openmetadata_managed_apis` loaded).",
        "",
        f"A short SQL task (`SQLExecuteQueryOperator`, one `SELECT` on PostgreSQL) under `airflow tasks test`, "
        f"median of {result['task_runs']} alternating runs: **{secs(tasks['before'])} before, "
        f"{secs(tasks['after'])} after** ({tasks['after'] / tasks['before']:.2f}x).",
        f"Target: plugins add <= 150 ms and <= 30 MiB over bare Airflow: {verdict(result['ok'])}.",
        "",
    ])


def main() -> None:
    from bench.common import use_bytecode_cache

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--task-runs", type=int, default=3)
    args = parser.parse_args()
    use_bytecode_cache()
    result = run(args.runs, args.task_runs)
    print(report(result))


if __name__ == "__main__":
    main()
