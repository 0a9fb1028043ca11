"""Incremental refresh vs full, and a sharded full refresh vs unsharded, on the synthetic schema.

Per size (default 1,000 and 10,000 objects; ``bench/synthetic_schema.sql``, as bench_scale):

1. **full**: ``include.incremental.refresh.refresh(mode="full")`` into a fresh emulator (the
   fingerprints are taken too, as every refresh takes them);
2. **incremental, 0 % changed**: ``mode="auto"`` right after (must decide ``incremental``);
3. **incremental, 1 % changed**: a column added to 1 % of the tables (spread over the
   schemas), then ``mode="auto"``; the run must count exactly those tables as changed;
4. **sharded full, 2 shards**: into another fresh emulator, ``objects_per_shard`` = half the
   objects: the planning refresh, then both ``run_shard`` processes at once (two workers on this
   2-core machine), then ``finalize``; compared with step 1's unsharded full.

Every refresh runs in its own process (``python -m bench.bench_incremental child ...``), the
code path of the ``ingest_metadata`` task without Airflow's task machinery; the state store is
a JSON file the children share (in a DAG it is an Airflow Variable). *Time* = the refresh's wall
time in that process after imports (the SDK import, a constant, is timed apart); peak RSS =
that process's own ``VmHWM`` (``peak_rss``). The emulator runs in this process on its own threads;
its share = summed server-side handler time / wall time. Each variant runs once per size.
Targets (issue 16): at 10,000 tables, 1 % changed <= 10 % of the full refresh's time, 0 % <= 3 %,
peak RSS of the incremental runs no higher than the full refresh's.

    python -m bench.bench_incremental [--sizes 1000,10000]   (BENCH_INCREMENTAL_SIZES)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (PY, airflow_env, env_sizes, last_json_line, mib, openmetadata_conn_json, parse_sizes, secs,
                          verdict)

DEFAULT_SIZES = "1000,10000"
TARGET_1PCT = 0.10
TARGET_0PCT = 0.03


# ------------------------------------------------------------------------------------------ child


class FileStore:
    """The state store of the benchmark's children: one JSON file (a DAG uses an Airflow Variable)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def _all(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def load(self, key: str) -> str | None:
        return self._all().get(key)

    def save(self, key: str, value: str) -> None:
        values = self._all()
        values[key] = value
        self.path.write_text(json.dumps(values))

    def delete(self, key: str) -> None:
        values = self._all()
        values.pop(key, None)
        self.path.write_text(json.dumps(values))


def child(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench.bench_incremental child")
    parser.add_argument("action", choices=["refresh", "shard", "finalize"])
    parser.add_argument("conn_id")
    parser.add_argument("--store", required=True)
    parser.add_argument("--mode", default="auto")
    parser.add_argument("--objects-per-shard", type=int, default=0)
    parser.add_argument("--shard", default=None, help="JSON of one shard")
    parser.add_argument("--run-id", default="bench")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    import metadata.workflow.metadata  # noqa: F401  - the SDK import, timed apart

    from include.incremental import refresh as refresh_module

    imported = time.perf_counter()
    store = FileStore(args.store)
    if args.action == "refresh":
        result = refresh_module.refresh("postgres", args.conn_id, None, mode=args.mode, store=store, label="bench",
                                        objects_per_shard=args.objects_per_shard, run_id=args.run_id)
    elif args.action == "shard":
        result = refresh_module.run_shard("postgres", args.conn_id, json.loads(args.shard), label="bench")
    else:
        result = refresh_module.finalize(args.conn_id, store=store, run_id=args.run_id, label="bench")
    done = time.perf_counter()
    print(json.dumps({"import_s": imported - started, "run_s": done - imported, "peak_rss_bytes": peak_rss(),
                      "result": result}, default=str))


def peak_rss() -> int:
    """This process's own peak RSS: ``VmHWM`` (per address space, so it starts again at exec).

    Not ``ru_maxrss``: it survives exec, and a child spawned (vfork) by a parent that holds a big
    emulator would report the parent's size (a 0 % run after the full one showed 707 MiB that way).
    """
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ----------------------------------------------------------------------------------------- parent


def _spawn(cmd: list[str], env: dict[str, str], out: Path) -> tuple[subprocess.Popen, float, Any]:
    handle = out.open("w")
    return subprocess.Popen(cmd, env=env, stdout=handle, stderr=subprocess.STDOUT), time.perf_counter(), handle


def _reap(proc: subprocess.Popen, started: float, handle: Any, out: Path) -> dict[str, Any]:
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    handle.close()
    text = out.read_text()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(proc.args[:6])} failed ({proc.returncode}):\n{text[-4000:]}")
    result = last_json_line(text)
    return {"seconds": seconds, "maxrss_bytes": result.get("peak_rss_bytes") or usage.ru_maxrss * 1024, **result}


def run_children(cmds: list[list[str]], env: dict[str, str], workdir: Path) -> list[dict[str, Any]]:
    """Run ``cmds`` at once (each its own process); their results, with each one's own peak RSS."""
    started = [_spawn(cmd, env, workdir / f"child-{time.monotonic_ns()}-{i}.log") for i, cmd in enumerate(cmds)]
    return [_reap(proc, t0, handle, Path(handle.name)) for proc, t0, handle in started]


def _child_env(env: dict[str, str], cluster, database: str, conn_id: str, port: int) -> dict[str, str]:
    return {**env, f"AIRFLOW_CONN_{conn_id.upper()}": cluster.airflow_conn_json(database),
            "AIRFLOW_CONN_OPENMETADATA_DEFAULT": openmetadata_conn_json(port)}


def change_tables(cluster, database: str, share: float) -> int:
    """Add a column to ``share`` of the tables, spread over the schemas; returns how many."""
    names = cluster.psql("select format('%I.%I', table_schema, table_name) from information_schema.tables "
                         "where table_schema like 'bench_s%' and table_type = 'BASE TABLE' order by 1",
                         database=database).splitlines()
    count = max(1, math.floor(len(names) * share))
    step = len(names) / count
    picked = [names[int(i * step)] for i in range(count)]
    cluster.psql("".join(f"ALTER TABLE {n} ADD COLUMN bench_changed int;" for n in picked), database=database)
    return count


def measure(cluster, n: int, env: dict[str, str], workdir: Path) -> dict[str, Any]:
    from openmetadata_emulator import Emulator

    from bench.bench_scale import generate, shape

    database = f"inc_{n}"
    conn_id = f"bench_{database}"
    generate_s = generate(cluster, database, n)
    info = shape(cluster, database)
    store = workdir / f"state-{n}.json"
    base = [PY, "-m", "bench.bench_incremental", "child"]
    row: dict[str, Any] = {"size": n, "generate_s": generate_s, **info}

    def one(emulator, *args: str) -> dict[str, Any]:
        child_env = _child_env(env, cluster, database, conn_id, emulator.port)
        before = emulator.timing()["busy_seconds"]
        result = run_children([[*base, *args]], child_env, workdir)[0]
        result["emulator_busy_s"] = emulator.timing()["busy_seconds"] - before
        return result

    main = Emulator(port=0).start()
    try:
        full = one(main, "refresh", conn_id, "--store", str(store), "--mode", "full")
        zero = one(main, "refresh", conn_id, "--store", str(store), "--mode", "auto")
        changed = change_tables(cluster, database, 0.01)
        one_pct = one(main, "refresh", conn_id, "--store", str(store), "--mode", "auto")
        catalogued = main.store.count("tables")
    finally:
        main.stop()
    for name, result in (("full", full), ("zero", zero), ("one", one_pct)):
        refresh = result["result"]["refresh"]
        row[name] = {"s": result["run_s"], "rss": result["maxrss_bytes"], "mode": refresh["mode"],
                     "changed": refresh["changed"], "new": refresh["new"], "unchanged": refresh["unchanged"],
                     "fingerprint_s": refresh["fingerprint_seconds"], "emulator_s": result["emulator_busy_s"]}
        print(f"incremental: {n} objects, {name}: {secs(result['run_s'])}, {mib(result['maxrss_bytes'])}, "
              f"{refresh['mode']}", flush=True)
    row["changed_tables"] = changed
    row["catalogued"] = catalogued
    row["complete"] = catalogued == info["objects"]
    row["one_ok_changes"] = row["one"]["changed"] == changed and row["one"]["mode"] == "incremental"
    row["zero_ok_mode"] = row["zero"]["mode"] == "incremental" and row["zero"]["changed"] == 0

    # Sharded full (2 shards, both at once) into a fresh emulator, vs step 1's unsharded full.
    sharded_om = Emulator(port=0).start()
    shard_store = workdir / f"state-{n}-sharded.json"
    try:
        child_env = _child_env(env, cluster, database, conn_id, sharded_om.port)
        wall = time.perf_counter()
        plan = run_children([[*base, "refresh", conn_id, "--store", str(shard_store), "--mode", "full",
                              "--objects-per-shard", str(math.ceil((info["objects"] + 1) / 2)), "--run-id", "sharded"]],
                            child_env, workdir)[0]
        shards = plan["result"]["refresh"]["shards"]
        parallel_started = time.perf_counter()
        ran = run_children([[*base, "shard", conn_id, "--store", str(shard_store), "--shard", json.dumps(s)]
                            for s in shards], child_env, workdir)
        parallel_s = time.perf_counter() - parallel_started
        final = run_children([[*base, "finalize", conn_id, "--store", str(shard_store), "--run-id", "sharded"]],
                             child_env, workdir)[0]
        wall_s = time.perf_counter() - wall
        sharded_busy = sharded_om.timing()["busy_seconds"]
        sharded_catalogued = sharded_om.store.count("tables")
    finally:
        sharded_om.stop()
    # (+ 1: the empty public schema counts as one object, so 2 shards hold everything.)
    # The comparable work: planning (fingerprints) + the shards' workflows + finalize, each after imports.
    work_s = plan["run_s"] + max(r["run_s"] for r in ran) + final["run_s"]
    row["sharded"] = {"shards": len(shards), "work_s": work_s, "wall_s": wall_s, "parallel_s": parallel_s,
                      "plan_s": plan["run_s"], "shard_s": [r["run_s"] for r in ran], "finalize_s": final["run_s"],
                      "rss": max(r["maxrss_bytes"] for r in ran), "emulator_s": sharded_busy,
                      "emulator_share": sharded_busy / (len(shards) * parallel_s) if parallel_s else 0.0,
                      "catalogued": sharded_catalogued, "finalized": final["result"].get("finalized")}
    row["sharded_ratio"] = work_s / full["run_s"]
    row["zero_ratio"] = zero["run_s"] / full["run_s"]
    row["one_ratio"] = one_pct["run_s"] / full["run_s"]
    row["rss_ok"] = max(zero["maxrss_bytes"], one_pct["maxrss_bytes"]) <= full["maxrss_bytes"]
    print(f"incremental: {n} objects, sharded {len(shards)}: {secs(work_s)} vs {secs(full['run_s'])} "
          f"({row['sharded_ratio']:.2f}x)", flush=True)
    return row


def run(sizes: list[int], env: dict[str, str] | None = None) -> dict[str, Any]:
    from tests.support.postgres import start_cluster

    env = env or airflow_env()
    workdir = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    cluster = start_cluster()
    rows = []
    try:
        pg_version = cluster.psql("show server_version")
        for n in sizes:
            rows.append(measure(cluster, n, env, workdir))
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
    at_target = [r for r in rows if r["size"] >= 10_000]
    return {"pg_version": pg_version, "rows": rows,
            "targets_at": at_target[-1]["size"] if at_target else None,
            "one_ok": (at_target[-1]["one_ratio"] <= TARGET_1PCT) if at_target else None,
            "zero_ok": (at_target[-1]["zero_ratio"] <= TARGET_0PCT) if at_target else None,
            "rss_ok": all(r["rss_ok"] for r in rows),
            "correct": all(r["one_ok_changes"] and r["zero_ok_mode"] and r["complete"] for r in rows)}


def report(result: dict[str, Any]) -> str:
    lines = [
        "## 6. Incremental refresh and sharded full refresh (synthetic catalogs)",
        "",
        f"`bench/bench_incremental.py`, PostgreSQL {result['pg_version']}, the synthetic schema of section 3. "
        "Each refresh in its own process (`include.incremental.refresh`, the `ingest_metadata` task's code "
        "path), into the emulator; *time* = the refresh after imports (fingerprints included), peak RSS = that "
        "process's own `VmHWM`. 0 % = a refresh right after the full one; 1 % = a column added to 1 % of the "
        "tables first. Sharded = the planning refresh + 2 `run_shard` processes at once (2 workers on these "
        "2 cores) + `finalize`, into a fresh emulator. One run per variant.",
        "",
        "| objects | full | incremental 0 % | ratio | incremental 1 % (changed) | ratio | fingerprints | "
        "peak RSS full / 0 % / 1 % |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['objects']:,} | {secs(r['full']['s'])} | {secs(r['zero']['s'])} | **{r['zero_ratio'] * 100:.1f} %** | "
            f"{secs(r['one']['s'])} ({r['one']['changed']}) | **{r['one_ratio'] * 100:.1f} %** | "
            f"{secs(r['one']['fingerprint_s'])} | {mib(r['full']['rss'])} / {mib(r['zero']['rss'])} / "
            f"{mib(r['one']['rss'])} |")
    lines += ["", "| objects | unsharded full | sharded (shards) | ratio | plan / shards / finalize | "
                  "emulator share (parallel phase) | peak RSS of a shard |", "|---:|---:|---:|---:|---|---:|---:|"]
    for r in result["rows"]:
        s = r["sharded"]
        lines.append(
            f"| {r['objects']:,} | {secs(r['full']['s'])} | {secs(s['work_s'])} ({s['shards']}) | "
            f"**{r['sharded_ratio']:.2f}x** | "
            f"{secs(s['plan_s'])} / {', '.join(secs(x) for x in s['shard_s'])} / {secs(s['finalize_s'])} | "
            f"{s['emulator_share'] * 100:.1f} % | {mib(s['rss'])} |")
    if result["targets_at"]:
        lines += ["", f"Targets at {result['targets_at']:,} objects: 1 % changed <= 10 % of the full refresh: "
                      f"{verdict(result['one_ok'])}; 0 % <= 3 %: {verdict(result['zero_ok'])}; peak RSS no higher "
                      f"than the full refresh's: {verdict(result['rss_ok'])}."]
    else:
        lines += ["", "Targets (at 10,000 objects) not measured: sizes stopped below 10,000."]
    lines += ["", "Correctness in the run: the 0 % run decided `incremental` and changed nothing, the 1 % run "
                  f"counted exactly the altered tables, every object was catalogued: "
                  f"{'yes' if result['correct'] else '**no**'}. The emulator answers from memory, a real server "
                  "from a database and a search index: with a real server, a full refresh's share of server "
                  "time grows, so the ratios above are conservative for incremental and optimistic for sharding."]
    return "\n".join(lines) + "\n"


def headline(result: dict[str, Any]) -> list[str]:
    """Rows for run_all's headline table (``| # | benchmark | headline | target | verdict |``)."""
    rows = [r for r in result["rows"]]
    if not rows:
        return []
    r = rows[-1]
    at = f"{r['objects']:,} tables"
    met = (lambda ok: verdict(ok)) if r["size"] >= 10_000 else (lambda ok: "not measured at 10,000")
    return [
        f"| 6 | Incremental refresh, 1 % changed / full ({at}) | **{r['one_ratio'] * 100:.1f} %** "
        f"({secs(r['one']['s'])} vs {secs(r['full']['s'])}) | <= 10 % at 10,000 | {met(r['one_ratio'] <= TARGET_1PCT)} |",
        f"| 6 | Incremental refresh, 0 % changed / full ({at}) | **{r['zero_ratio'] * 100:.1f} %** "
        f"({secs(r['zero']['s'])}) | <= 3 % at 10,000 | {met(r['zero_ratio'] <= TARGET_0PCT)} |",
        f"| 6 | Incremental refresh: peak RSS vs the full refresh's ({at}) | **{mib(max(r['zero']['rss'], r['one']['rss']))}"
        f"** vs {mib(r['full']['rss'])} | not higher | {verdict(r['rss_ok'])} |",
        f"| 6 | Sharded full refresh, 2 shards at once / unsharded ({at}) | **{r['sharded_ratio']:.2f}x** "
        f"(emulator {r['sharded']['emulator_share'] * 100:.0f} % busy per shard) | report | measured |",
    ]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(sys.argv[2:])
        return
    from bench.common import use_bytecode_cache

    use_bytecode_cache()
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=None)
    parser.add_argument("--json", default=None, help="also write the result here")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes) if args.sizes else env_sizes("BENCH_INCREMENTAL_SIZES", DEFAULT_SIZES)
    result = run(sizes)
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
