"""DAG parse cost: each file in dags/ versus a DAG file that imports the OpenMetadata SDK at module level.

One sample = one fresh interpreter (``bench._parse_child``) that has already imported Airflow,
``airflow.sdk``, ``DagBag``, the plugins and - as Airflow's DAG processor does by default
(``parsing_pre_import_modules``) - the ``airflow.*`` modules the file imports; it times only
``DagBag(<file>)``. A second, "cold" series skips that pre-import (the file also pays for the
Airflow providers it names). Samples are interleaved: round 1 parses every file and the
baseline once, then round 2, ... so machine load hits every file alike. Reported: the median
per file and its ratio to the baseline's median in the same mode.
Target: every DAG file < 3 % of the baseline. The files: every ``dags/*.py`` of this repository
and every DAG file of a project rendered from ``template/`` with its default answers (parsed with
that project, not this repository, on its import path). A child that finds a module the file
imports (other than ``airflow.*``) already loaded before its timer fails the run: the DAG
processor pre-imports ``airflow.*`` only, so the file must pay for the rest.

    python -m bench.bench_parse [--samples 5] [--cold-samples 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.common import PY, REPO, airflow_env, last_json_line, median, ms, timed_child, verdict

TARGET = 0.03

BASELINE = '''"""Baseline: a trivial DAG whose file imports the OpenMetadata SDK at module level."""
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from metadata.workflow.metadata import MetadataWorkflow  # noqa: F401  (the anti-pattern)

with DAG("baseline_sdk_at_module_level", schedule=None):
    PythonOperator(task_id="noop", python_callable=lambda: None)
'''


BASE = "BASELINE (SDK at module level)"
TEMPLATE = REPO / "template"
CHILD = Path(__file__).resolve().with_name("_parse_child.py")


def template_dag_files(root: Path) -> dict[str, Path]:
    """Render ``template/`` with its default answers into ``root``; its DAG files, by report name."""
    if not (TEMPLATE / "copier.yml").is_file():
        return {}
    from copier import run_copy

    run_copy(str(TEMPLATE), str(root), defaults=True, unsafe=True, quiet=True)
    return {f"template: {p.name}": p for p in sorted((root / "dags").glob("*.py")) if not p.name.startswith("_")}


def run(samples: int = 5, cold_samples: int = 3, env: dict[str, str] | None = None) -> dict[str, Any]:
    env = env or airflow_env()
    baseline_dir = Path(tempfile.mkdtemp(prefix="bench-parse-baseline-"))
    baseline = baseline_dir / "baseline_sdk_dag.py"
    baseline.write_text(BASELINE)
    files = {p.name: p for p in sorted((REPO / "dags").glob("*.py")) if not p.name.startswith("_")}
    rendered = baseline_dir / "template-project"
    template_files = template_dag_files(rendered)
    files.update(template_files)
    files[BASE] = baseline
    # A rendered template project is its own import root: its include/, not this repository's.
    envs = {name: {**env, "PYTHONPATH": str(rendered)} for name in template_files}
    modes = {"processor": [], "cold": ["--cold"]}
    times: dict[str, dict[str, list[float]]] = {mode: {name: [] for name in files} for mode in modes}
    dags: dict[str, list[str]] = {}
    errors: dict[str, Any] = {}
    for i in range(max(samples, cold_samples)):
        for mode, flags in modes.items():
            if i >= (samples if mode == "processor" else cold_samples):
                continue
            for name, path in files.items():
                # Run as a script: sys.path[0] is bench/, so the import root is PYTHONPATH alone.
                child = timed_child([PY, str(CHILD), str(path), *flags], env=envs.get(name, env), timeout=300)
                if child["returncode"] != 0:
                    raise RuntimeError(f"parsing {path} failed:\n{child['stderr'][-3000:]}")
                result = last_json_line(child["stdout"])
                if result.get("preloaded"):
                    raise RuntimeError(f"parsing {path}: {result['preloaded']} were imported before the timer; "
                                       "the DAG processor pre-imports airflow.* only (fix bench/_parse_child.py)")
                times[mode][name].append(result["seconds"])
                dags[name] = result["dags"]
                if result["errors"]:
                    errors[name] = result["errors"]
    shutil.rmtree(baseline_dir, ignore_errors=True)
    base = median(times["processor"][BASE])
    cold_base = median(times["cold"][BASE]) if cold_samples else float("nan")
    rows = []
    for name, values in times["processor"].items():
        if name == BASE:
            continue
        ratio = median(values) / base
        cold = times["cold"][name]
        rows.append({"file": name, "dags": dags[name], "median_s": median(values), "min_s": min(values),
                     "max_s": max(values), "ratio": ratio, "ok": ratio < TARGET and not errors.get(name),
                     "cold_median_s": median(cold) if cold else float("nan"),
                     "cold_ratio": median(cold) / cold_base if cold else float("nan")})
    worst = max(rows, key=lambda r: r["ratio"])
    return {"samples": samples, "cold_samples": cold_samples, "baseline_median_s": base,
            "baseline_samples_s": times["processor"][BASE], "cold_baseline_median_s": cold_base, "rows": rows,
            "errors": errors, "worst": worst, "ok": all(r["ok"] for r in rows)}


def report(result: dict[str, Any]) -> str:
    lines = [
        "## 1. DAG parse cost",
        "",
        "Each sample is a fresh interpreter that has already imported Airflow, `airflow.sdk`, `DagBag`, "
        "the plugins and - as Airflow's DAG processor does by default (`parsing_pre_import_modules`) - "
        "the `airflow.*` modules the file imports; only `DagBag(<file>)` is timed (the file's import and "
        f"the bagging of its DAGs), after a full garbage collection (a collection of Airflow's import heap, "
        "~100 ms, would otherwise land on whichever file triggers it). "
        f"{result['samples']} samples per file, interleaved (round-robin over "
        "all files and the baseline), median. The baseline is a trivial DAG whose file does "
        "`from metadata.workflow.metadata import MetadataWorkflow` at module level. The *cold* columns "
        f"({result['cold_samples']} samples) skip the pre-import of `airflow.*` modules, so the file "
        "also pays for the providers it uses (SQL operators, ...): the worst case.",
        "",
        f"Baseline median: **{ms(result['baseline_median_s'])}** "
        f"(samples: {', '.join(f'{s:.2f}' for s in result['baseline_samples_s'])} s; cold: "
        f"{ms(result['cold_baseline_median_s'])}). Target: every file < 3 % of it.",
        "",
        "| DAG file | DAGs | median | min - max | % of baseline | target < 3 % | cold median | cold % |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(f"| `{r['file']}` | {', '.join(r['dags'])} | {ms(r['median_s'])} | "
                     f"{ms(r['min_s'])} - {ms(r['max_s'])} | {r['ratio'] * 100:.2f} % | {verdict(r['ok'])} | "
                     f"{ms(r['cold_median_s'])} | {r['cold_ratio'] * 100:.2f} % |")
    if result["errors"]:
        lines += ["", f"Import errors: `{json.dumps(result['errors'])[:1000]}`"]
    return "\n".join(lines) + "\n"


def main() -> None:
    from bench.common import use_bytecode_cache

    use_bytecode_cache()
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--cold-samples", type=int, default=3)
    args = parser.parse_args()
    result = run(args.samples, args.cold_samples)
    print(report(result))
    print(json.dumps({"worst_file": result["worst"]["file"], "worst_ratio": round(result["worst"]["ratio"], 4),
                      "baseline_median_s": round(result["baseline_median_s"], 3), "ok": result["ok"]}))


if __name__ == "__main__":
    main()
