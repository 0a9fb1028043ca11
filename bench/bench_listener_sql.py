"""Lineage listener overhead for a SQL task with automatic lineage (issue 13): parse + send,
OpenMetadata healthy / down / slow vs disabled, for a pagila-sized statement and a ~200-line one.

Measured in one run, the scenarios alternating so machine noise hits them alike:
``listener.handle`` on a real ``SQLExecuteQueryOperator`` (postgres connection, no inlets or
outlets) whose rendered SQL is ``include/sql/pagila/film_revenue.sql`` (5 statements) or a
generated ~200-line ``WITH ... INSERT ... SELECT`` over 8 tables; against the OpenMetadata
API emulator seeded with those tables and their columns (healthy), a closed port (down), a
10 s delay (slow, cut at the listener's bound) and with the kill switch on (disabled).
Also the parse + mapping alone (``sql_lineage``, no HTTP). Every table is schema-qualified,
so no database query is made (the default schema is asked only for unqualified tables): no
PostgreSQL is needed.

    python -m bench.bench_listener_sql [--runs 30]

For ``bench/run_all.py``: ``run(runs, env)`` runs it in a child process and returns its medians
and verdicts (healthy <= 50 ms for the pagila statement; down/slow <= 2.5 s); ``report(result)``
is its Markdown section.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))

REPO = Path(__file__).resolve().parents[1]
CONN = "bench_pg"
SOURCES = {f"src_{i}": ["id"] + [f"c{j}" for j in range(12)] for i in range(8)}
PAGILA = {"film": ["film_id", "title"], "inventory": ["inventory_id", "film_id"],
          "rental": ["rental_id", "inventory_id"], "payment": ["payment_id", "rental_id", "amount"]}


def long_statement() -> str:
    """~200 lines: 4 CTEs, 8 joined tables, 60 target columns."""
    lines = ["WITH"]
    for i in range(4):
        lines += [f"  agg_{i} AS (", "    SELECT s.id,"]
        lines += [f"           sum(s.c{j}) AS t{j}," for j in range(11)]
        lines += ["           max(s.c11) AS t11", f"    FROM public.src_{i} s", "    GROUP BY s.id",
                  f"  ){',' if i < 3 else ''}"]
    targets = [f"col_{k}" for k in range(60)]
    lines += ["INSERT INTO analytics.wide (", *[f"    {t}," for t in targets[:-1]], f"    {targets[-1]}", ")", "SELECT"]
    exprs = []
    for k in range(60):
        i, j = k % 8, k % 12
        source = f"a{i}.t{j}" if i < 4 else f"coalesce(x{i}.c{j}, 0)"
        exprs.append(f"    {source} AS col_{k}")
    lines += [",\n".join(exprs), "FROM agg_0 a0"]
    lines += [f"JOIN agg_{i} a{i} ON a{i}.id = a0.id" for i in range(1, 4)]
    lines += [f"LEFT JOIN public.src_{i} x{i}\n  ON x{i}.id = a0.id\n  AND x{i}.c0 IS NOT NULL" for i in range(4, 8)]
    lines += ["WHERE a0.t0 > 0", "  AND a1.t1 IS NOT NULL", ";"]
    return "\n".join(lines)


def seed(api: str) -> None:
    import requests

    def put(path: str, body: dict) -> None:
        requests.put(f"{api}/v1/{path}", json=body, timeout=5).raise_for_status()

    put("services/databaseServices", {"name": CONN, "serviceType": "Postgres", "connection": {
        "config": {"type": "Postgres", "username": "u", "hostPort": "db:5432", "database": "pagila"}}})
    put("databases", {"name": "pagila", "service": CONN})
    tables = {"public": {**PAGILA, **SOURCES},
              "analytics": {"film_revenue": ["film_id", "title", "rentals", "revenue", "refreshed_at"],
                            "wide": [f"col_{k}" for k in range(60)]}}
    for schema, by_name in tables.items():
        put("databaseSchemas", {"name": schema, "database": f"{CONN}.pagila"})
        for name, columns in by_name.items():
            put("tables", {"name": name, "databaseSchema": f"{CONN}.pagila.{schema}",
                           "columns": [{"name": c, "dataType": "INT"} for c in columns]})


def task_instance(sql: str, dag_id: str):
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
    from airflow.sdk import DAG

    with DAG(dag_id, schedule=None):
        task = SQLExecuteQueryOperator(task_id="build", conn_id=CONN, sql=sql)
    return SimpleNamespace(task=task, dag_id=dag_id, task_id="build", run_id="bench", start_date=None,
                           _ti_context_from_server=None)


def set_om(port: int) -> None:
    os.environ["AIRFLOW_CONN_OPENMETADATA_DEFAULT"] = json.dumps(
        {"conn_type": "http", "schema": "http", "host": "127.0.0.1", "port": port, "password": "bench"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    from bench.bench_listener import closed_port

    os.environ[f"AIRFLOW_CONN_{CONN.upper()}"] = json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": closed_port(), "schema": "pagila", "login": "u"})
    import_started = time.perf_counter()
    import openlineage_sql  # noqa: F401

    import_ms = (time.perf_counter() - import_started) * 1000
    from airflow_openmetadata_lineage import listener
    from airflow_openmetadata_lineage.assets import AssetServices
    from airflow_openmetadata_lineage.sql_lineage import sql_lineage
    from openmetadata_emulator import Emulator

    healthy = Emulator(port=0)
    healthy.start()
    slow = Emulator(port=0)
    slow.start()
    slow.faults.add("*", r"/v1/", delay=10.0)
    seed(healthy.url)
    port_of = lambda emulator: int(emulator.url.split(":")[2].split("/")[0])  # noqa: E731
    ports = {"healthy": port_of(healthy), "down": closed_port(), "slow": port_of(slow), "disabled": closed_port()}
    timeout = float(os.environ.setdefault("OPENMETADATA_LINEAGE_TIMEOUT_SECONDS", "2"))
    statements = {"pagila": (REPO / "include/sql/pagila/film_revenue.sql").read_text(), "long": long_statement()}
    instances = {name: task_instance(sql, f"bench_sql_{name}") for name, sql in statements.items()}
    samples: dict[str, list[float]] = {f"{s}/{n}": [] for s in statements for n in (*ports, "parse only")}
    edges: dict[str, int] = {}
    for name, ti in instances.items():  # warm imports once, and check the edges are found
        set_om(ports["healthy"])
        os.environ["OPENMETADATA_LINEAGE_ENABLED"] = "true"
        listener.handle(ti, "success")
        found = sql_lineage(ti.task, services=AssetServices(mapping={}))
        edges[name] = len(found.edges)
        assert found.edges and not found.problems, (name, found.problems)
    for i in range(args.runs):
        for name, ti in instances.items():
            started = time.perf_counter()
            sql_lineage(ti.task, services=AssetServices(mapping={}))
            samples[f"{name}/parse only"].append(time.perf_counter() - started)
            for scenario, port in ports.items():
                if scenario == "slow" and i >= 5:
                    continue  # each slow run costs the full bound: 5 are enough for a median
                set_om(port)
                os.environ["OPENMETADATA_LINEAGE_ENABLED"] = "false" if scenario == "disabled" else "true"
                started = time.perf_counter()
                listener.handle(ti, "success")
                samples[f"{name}/{scenario}"].append(time.perf_counter() - started)
    healthy.stop()
    slow.stop()
    print(f"listener added time per SQL task with automatic lineage (median of {args.runs} runs; slow: 5), "
          f"timeout {timeout:g} s; openlineage_sql import {import_ms:.1f} ms (once per process)")
    for name in statements:
        lines = statements[name].count("\n") + 1
        base = statistics.median(samples[f"{name}/disabled"])
        print(f" {name}: {lines} lines, {edges[name]} edges")
        for key, values in samples.items():
            if not key.startswith(f"{name}/"):
                continue
            median = statistics.median(values)
            print(f"  {key.split('/')[1]:10s} median {median * 1000:8.2f} ms   "
                  f"p90 {sorted(values)[max(0, int(len(values) * 0.9) - 1)] * 1000:8.2f} ms   "
                  f"added vs disabled {(median - base) * 1000:8.2f} ms")
    print(json.dumps({key: round(statistics.median(v) * 1000, 2) for key, v in samples.items()}))


def run(runs: int = 30, env: dict[str, str] | None = None) -> dict[str, Any]:
    """This benchmark in a child process (``run_all``'s way): medians, its text, verdicts."""
    from bench.listener_summary import BOUND_TARGET_MS, HEALTHY_TARGET_MS, run_child  # the listener's, one place

    child, medians, env = run_child("bench_listener_sql", runs, env, timeout=1800)
    text = [line for line in child["stdout"].splitlines()
            if line.startswith(("listener added time", " pagila", " long", "  "))]
    healthy_ok = medians["pagila/healthy"] <= HEALTHY_TARGET_MS
    bound_ok = all(medians[f"{s}/{n}"] <= BOUND_TARGET_MS for s in ("pagila", "long") for n in ("down", "slow"))
    return {"runs": runs, "timeout_s": float(env["OPENMETADATA_LINEAGE_TIMEOUT_SECONDS"]), "medians_ms": medians,
            "text": "\n".join(text), "healthy_ok": healthy_ok, "bound_ok": bound_ok, "ok": healthy_ok and bound_ok,
            "seconds": child["seconds"]}


def report(result: dict[str, Any]) -> str:
    from bench.common import verdict

    m = result["medians_ms"]
    rows = [f"| {s} | {m[f'{s}/healthy']:.1f} ms | {m[f'{s}/down']:.1f} ms | {m[f'{s}/slow']:.0f} ms | "
            f"{m[f'{s}/disabled']:.2f} ms | {m[f'{s}/parse only']:.1f} ms |" for s in ("pagila", "long")]
    return "\n".join([
        "## 4b. Lineage listener: SQL task with automatic lineage (parse + send)",
        "",
        "`python -m bench.bench_listener_sql`: `listener.handle` on a `SQLExecuteQueryOperator` with no "
        "inlets/outlets, its SQL `film_revenue.sql` (pagila) or a generated ~200-line statement, scenarios "
        f"alternating in one run, {result['runs']} runs (slow: 5), timeout {result['timeout_s']:g} s. Targets: "
        f"healthy <= 50 ms for pagila: {verdict(result['healthy_ok'])}; down/slow <= 2.5 s: {verdict(result['bound_ok'])}.",
        "",
        "| SQL | healthy | down | slow | disabled | parse only |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "```",
        result["text"],
        "```",
    ]) + "\n"


if __name__ == "__main__":
    main()
