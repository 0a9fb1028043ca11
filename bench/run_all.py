"""``make bench``: every benchmark in one run, written to docs/benchmarks.md (and bench/results/latest.json).

    python -m bench.run_all            # measure everything, then render
    python -m bench.run_all --render   # only re-render docs/benchmarks.md from bench/results/latest.json
    python -m bench.run_all --only listener,plugins   # re-measure these sections alone, keep the rest

Knobs (environment): ``BENCH_SIZES`` (scale sizes, default 1000,2000,5000,10000),
``BENCH_THREAD_SIZES`` (threads=1 vs 4 at, default 2000; empty: skip), ``BENCH_THREAD_REPS`` (2),
``BENCH_PARSE_SAMPLES`` (5), ``BENCH_PARSE_COLD_SAMPLES`` (2), ``BENCH_PIPELINE_RUNS`` (5),
``BENCH_LISTENER_RUNS`` (30), ``BENCH_PLUGIN_RUNS`` (5), ``BENCH_PLUGIN_TASK_RUNS`` (3), ``BENCH_INCREMENTAL_SIZES`` (1000,10000), ``BENCH_SYNC_SIZE`` (10000), ``BENCH_PROFILE_RUNS`` (2), ``BENCH_PROFILE_TABLES`` (1000),
``BENCH_PROFILE_THREADS`` (1,2,4), ``BENCH_BEFORE_AFTER=1`` (also re-measure the before/after of the
datakit's SDK fixes, ~8 min; otherwise the last recorded one is shown), ``BENCH_OUTPUT``
(default docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.bench_scale import DEFAULT_SIZES
from bench.common import (REPO, airflow_env, env_sizes, machine, migrate_airflow_db, secs, verdict, versions,
                          warm_bytecode)


DOC = REPO / "docs" / "benchmarks.md"
LATEST = REPO / "bench" / "results" / "latest.json"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").strip() or default)


def headline(parse: dict, pipeline: dict, scale: dict, listener: dict, plugins: dict | None = None) -> list[str]:
    worst = parse["worst"]
    doubling = scale["doubling"]
    worst_doubling = max(doubling, key=lambda d: d["per_doubling"]) if doubling else None
    biggest = scale["biggest"]
    rows = [
        "| # | benchmark | headline | target | verdict |",
        "|---|---|---:|---|---|",
        f"| 1 | DAG parse cost: worst DAG file / baseline DAG importing the SDK | "
        f"**{worst['ratio'] * 100:.2f} %** (`{worst['file']}`, {worst['median_s'] * 1000:.0f} ms vs "
        f"{parse['baseline_median_s']:.2f} s) | every file < 3 % | {verdict(parse['ok'])} |",
        f"| 2 | Pipeline overhead: Airflow ingest task / SDK CLI (pagila, work after imports) | "
        f"**{pipeline['ratio']:.2f}x** ({secs(pipeline['airflow_s'])} vs {secs(pipeline['cli_s'])}); vs the CLI with "
        f"the same SDK fixes (Airflow's overhead alone): **{pipeline['overhead_ratio']:.2f}x**; preflight apart: "
        f"{secs(pipeline['med']['full']['preflight_task_s'])} | <= 1.15x | {verdict(pipeline['ok'])} |",
    ]
    if worst_doubling is not None:
        rows.append(
            f"| 3 | Scale: time per doubling of tables (worst pair) | **{worst_doubling['per_doubling']:.2f}x** "
            f"({worst_doubling['from']:,} -> {worst_doubling['to']:,}) | <= 2.2x | {verdict(scale['doubling_ok'])} |")
    if biggest is not None:
        rss = (verdict(scale["rss_ok"]) if scale["rss_ok"] is not None
               else "not measured (sizes stop below 10,000)")
        rows.append(f"| 3 | Scale: peak RSS of the ingesting process at {biggest['objects']:,} tables | "
                    f"**{biggest['maxrss_bytes'] / 2**20:.0f} MiB** | < 1.5 GiB at 10,000 | {rss} |")
        rows.append(f"| 3 | Scale: emulator's share of ingestion wall time (max) | "
                    f"**{scale['max_emulator_share'] * 100:.1f} %** | not the bottleneck | "
                    f"{verdict(scale['max_emulator_share'] < 0.5)} |")
    rows.append(
        f"| 4 | Lineage listener: added per task, healthy / down / slow (median) | "
        f"**{listener['medians_ms']['healthy']:.1f} ms** / {listener['medians_ms']['down']:.0f} ms / "
        f"{listener['medians_ms']['slow']:.0f} ms | <= 50 ms healthy; <= 2.5 s down | "
        f"{verdict(listener['ok'])} |")
    if plugins:
        from bench import bench_plugins

        rows.append(bench_plugins.headline(plugins))
    return rows


def extra_headline(results: dict[str, Any]) -> list[str]:
    """Headline rows of the sections added after the first full run (absent until measured)."""
    from bench import bench_incremental

    rows = []
    sql = results.get("listener_sql")
    if sql:
        m = sql["medians_ms"]
        rows.append(f"| 4b | Lineage listener, SQL task with automatic lineage: added per task, pagila healthy / "
                    f"~200-line healthy / down / slow (median) | **{m['pagila/healthy']:.1f} ms** / "
                    f"{m['long/healthy']:.1f} ms / {m['pagila/down']:.0f} ms / {m['pagila/slow']:.0f} ms | "
                    f"<= 50 ms healthy (pagila); <= 2.5 s down/slow | {verdict(sql['ok'])} |")
    if results.get("incremental"):
        rows += bench_incremental.headline(results["incremental"])
    sync = results.get("sync")
    if sync:
        ok = sync["ratio_zero"] < 0.10 and sync["ratio_changed"] < 0.15
        rows.append(f"| 7 | Description sync / metadata refresh of {sync['shape']['objects']:,} objects: "
                    f"0 % / {sync['changed_fraction']:.0%} changed | **{sync['ratio_zero'] * 100:.1f} %** / "
                    f"**{sync['ratio_changed'] * 100:.1f} %** | < 10 % / < 15 % | {verdict(ok)} |")
    if results.get("profile"):
        from bench import bench_profile

        rows += bench_profile.headline(results["profile"])
    return rows


FINDINGS = """## Findings (measured here, not changed by the benchmarks)

* **The SDK was imported by every Airflow process that loads plugins** (fixed; section 5).
  `openmetadata-managed-apis` registers an Airflow plugin through an entry point whose module imports
  `metadata` (the SDK) at import, and Airflow loads plugins in every component and at the start of
  every task. The datakit now neutralises that entry point at install time and registers the managed
  APIs itself, imported only when the API server mounts `/pluginsv2`. Sections 1-4 were measured
  before the fix: their cold runs include that import.
* **`dag.test()` re-syncs the whole DAG folder on every call** (`sync_bag_to_db`: parse and serialize
  every file in dags/), a test-harness cost included in section 2's Airflow time (a deployed Airflow
  does this in the DAG processor, not per task).
* **No bytecode on this machine.** `PYTHONDONTWRITEBYTECODE=1` is set and the venv holds no `.pyc`
  files (uv does not compile bytecode unless asked: `uv pip install --compile-bytecode`), so every
  process recompiles every module it imports - in a profile, 15 s of a 20 s SDK import. A deployed
  image has bytecode; the benchmarks give their processes a private bytecode cache
  (`PYTHONPYCACHEPREFIX`, warmed first) so they measure the datakit, not the compiler.
* **Per-request proxy lookup.** The SDK's `requests` session looks up proxy settings from the
  environment for every request (`get_environ_proxies`, ~8 % of an ingestion's profile). Left alone:
  turning it off would ignore a deployment's proxy settings.
"""


def render(results: dict[str, Any]) -> str:
    """The page, from the results' JSON form (bench/results/latest.json)."""
    wall_s = results["wall_s"]
    from bench import (bench_before_after, bench_incremental, bench_listener_sql, bench_parse, bench_pipeline,
                       bench_plugins, bench_profile, bench_scale, bench_sync, listener_summary)

    m, v = results["machine"], results["versions"]
    parts = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`python -m bench.run_all`) on **{results['date']}**; the whole run took "
        f"**{wall_s / 60:.1f} min**. Re-run it after changing dags/, include/ or the pinned versions.",
        *_alone_note(results.get("alone") or {}),
        "",
        f"* Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}; load average at start "
        f"{m['loadavg_at_start']} - **other work ran on this machine at the same time**.",
        f"* Versions: Python {v['python']}, Airflow {v['airflow']}, openmetadata-ingestion {v['openmetadata-ingestion']}, "
        f"PostgreSQL {v.get('postgresql', '?')}; OpenMetadata = the API emulator (packages/openmetadata-emulator).",
        "* Method: every comparison is measured in ONE run with its variants alternating or interleaved "
        "(A, B, B, A, ... or round-robin), reported as medians and ratios of medians, so the load of the shared "
        "2-core machine hits all variants alike. Absolute seconds vary between runs; the ratios are the result. "
        "Every measured program runs in its own fresh process. Processes use a private, pre-warmed bytecode "
        "cache (see Findings).",
        f"* Sizes: scale {', '.join(f'{x:,}' for x in results['config']['sizes'])} tables "
        "(`BENCH_SIZES=1000,2000 make bench` shortens the run).",
        "",
        "## Results",
        "",
        *headline(results["parse"], results["pipeline"], results["scale"], results["listener"],
                  results.get("plugins")),
        *extra_headline(results),
        "",
        bench_parse.report(results["parse"]),
        bench_pipeline.report(results["pipeline"]),
        bench_scale.report(results["scale"]),
        listener_summary.report(results["listener"]),
        bench_listener_sql.report(results["listener_sql"]) if results.get("listener_sql") else "",
        bench_plugins.report(results.get("plugins")),
        bench_incremental.report(results["incremental"]) if results.get("incremental") else "",
        bench_sync.report(results["sync"]) if results.get("sync") else "",
        bench_profile.report(results["profile"]) if results.get("profile") else "",
        bench_before_after.report(results.get("before_after"), results["scale"], results["pipeline"]),
        FINDINGS,
        "## Reproduce",
        "",
        "```bash",
        "make bench                                  # everything, writes this file (~30 min on 2 cores)",
        "BENCH_SIZES=1000,2000 make bench            # shorter scale series",
        "BENCH_BEFORE_AFTER=1 make bench             # also re-measure the before/after of the SDK fixes",
        ".venv/bin/python -m bench.run_all --only listener,plugins   # re-measure sections alone, keep the rest",
        ".venv/bin/python -m bench.bench_parse       # one benchmark alone (also bench_pipeline, bench_scale,",
        ".venv/bin/python -m bench.bench_listener    #   bench_before_after, bench_listener)",
        "```",
        "",
    ]
    return "\n".join(parts)


def main() -> None:
    from bench.common import use_bytecode_cache

    use_bytecode_cache()
    if "--render" in sys.argv[1:]:
        output = Path(os.environ.get("BENCH_OUTPUT") or DOC)
        output.write_text(render(json.loads(LATEST.read_text())))
        print(f"rendered {output} from {LATEST}")
        return
    started = time.perf_counter()
    config = {
        "sizes": env_sizes("BENCH_SIZES", DEFAULT_SIZES),
        "thread_sizes": env_sizes("BENCH_THREAD_SIZES", "2000"),
        "thread_reps": _int("BENCH_THREAD_REPS", 2),
        "parse_samples": _int("BENCH_PARSE_SAMPLES", 5),
        "parse_cold_samples": _int("BENCH_PARSE_COLD_SAMPLES", 2),
        "pipeline_runs": _int("BENCH_PIPELINE_RUNS", 5),
        "listener_runs": _int("BENCH_LISTENER_RUNS", 30),
        "plugin_runs": _int("BENCH_PLUGIN_RUNS", 5),
        "plugin_task_runs": _int("BENCH_PLUGIN_TASK_RUNS", 3),
        "incremental_sizes": env_sizes("BENCH_INCREMENTAL_SIZES", "1000,10000"),
        "sync_size": _int("BENCH_SYNC_SIZE", 10000),
        "profile_runs": _int("BENCH_PROFILE_RUNS", 2),
        "profile_tables": _int("BENCH_PROFILE_TABLES", 1000),
        "profile_threads": env_sizes("BENCH_PROFILE_THREADS", "1,2,4"),
        "before_after": os.environ.get("BENCH_BEFORE_AFTER", "").strip().lower() in ("1", "true", "yes"),
    }
    only = _only(sys.argv[1:])
    output = Path(os.environ.get("BENCH_OUTPUT") or DOC)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if only:
        results: dict[str, Any] = json.loads(LATEST.read_text())
        results.setdefault("alone", {})
    else:
        results = {"date": now, "machine": machine(), "config": config, "alone": {}}
    env = airflow_env()

    def step(name: str) -> None:
        print(f"[bench {time.perf_counter() - started:6.0f} s] {name}", flush=True)

    step("setup: Airflow metadata DB, bytecode cache")
    migrate_airflow_db(env)
    warm = warm_bytecode(env)
    if not only:
        results["bytecode_warm_s"] = warm
    sections = _sections(config, env)
    for key, (title, measure) in sections.items():
        if only and key not in only:
            continue
        step(title)
        results[key] = measure()
        if only:
            results["alone"][key] = now
    if not only:
        results["versions"] = versions(results["pipeline"]["pg_version"].split(" ")[0])
        results["wall_s"] = time.perf_counter() - started
    # The results first (a renderer bug must not lose 25 minutes of measurements), then the page
    # rendered from their JSON form - exactly what ``--render`` and tests/bench re-render.
    LATEST.parent.mkdir(parents=True, exist_ok=True)
    LATEST.write_text(json.dumps(results, indent=1, default=str) + "\n")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(json.loads(LATEST.read_text())))
    step(f"done: {output} ({(time.perf_counter() - started) / 60:.1f} min)")
    print("\n".join(headline(results["parse"], results["pipeline"], results["scale"], results["listener"],
                              results.get("plugins"))))


def _alone_note(alone: dict[str, str]) -> list[str]:
    if not alone:
        return []
    listed = ", ".join(f"`{key}` on {date}" for key, date in sorted(alone.items()))
    return ["", f"Re-measured alone since (`python -m bench.run_all --only <sections>`, same method, same "
                f"machine; the other sections are from the full run): {listed}."]


def _only(argv: list[str]) -> set[str]:
    """``--only listener,plugins``: re-measure these sections alone, keep the others' recorded results."""
    for i, arg in enumerate(argv):
        if arg == "--only" and i + 1 < len(argv):
            return {name.strip() for name in argv[i + 1].split(",") if name.strip()}
        if arg.startswith("--only="):
            return {name.strip() for name in arg.split("=", 1)[1].split(",") if name.strip()}
    return set()


def _sections(config: dict[str, Any], env: dict[str, str]) -> dict[str, tuple[str, Any]]:
    """Every benchmark, in run order: result key -> (progress title, measure())."""
    from bench import (bench_before_after, bench_incremental, bench_listener_sql, bench_parse, bench_pipeline,
                       bench_plugins, bench_profile, bench_scale, bench_sync, listener_summary)

    return {
        "parse": ("1 DAG parse cost", lambda: bench_parse.run(config["parse_samples"], config["parse_cold_samples"],
                                                                env=env)),
        "pipeline": ("2 pipeline overhead (pagila: Airflow task vs CLI)", lambda: bench_pipeline.run(
            config["pipeline_runs"], full_runs=3, cold_runs=2, script_runs=2, env=env, migrated=True)),
        "listener": ("4 lineage listener", lambda: listener_summary.run(config["listener_runs"], env=env)),
        "plugins": ("5 plugin load per process (managed APIs' entry point live vs neutralised)",
                    lambda: bench_plugins.run(config["plugin_runs"], config["plugin_task_runs"], env=env)),
        "before_after": ("before/after of the SDK fixes",
                         lambda: bench_before_after.run(env=env, migrated=True) if config["before_after"]
                         else bench_before_after.load()),
        "scale": ("3 scale", lambda: bench_scale.run(config["sizes"], 1, config["thread_sizes"],
                                                     config["thread_reps"], env=env)),
        "listener_sql": ("4b lineage listener, SQL tasks (automatic lineage)",
                         lambda: bench_listener_sql.run(config["listener_runs"], env=env)),
        "incremental": ("6 incremental refresh and sharded full refresh",
                        lambda: bench_incremental.run(config["incremental_sizes"], env=env)),
        "sync": ("7 description sync vs metadata refresh", lambda: bench_sync.run(config["sync_size"], 0.01, env=env)),
        "profile": ("8 profiling and PII classification", lambda: bench_profile.run(
            config["profile_runs"], config["profile_tables"], 10000, config["profile_threads"])),
    }


if __name__ == "__main__":
    main()
