"""Lineage listener overhead (airflow-openmetadata-lineage): added time per task, OpenMetadata
healthy / down / slow vs disabled.

Measured in one run, alternating the scenarios so machine noise hits them alike:
``listener.handle`` on a task with 4 inlets and 1 outlet (like pagila_film_revenue's
build_film_revenue), against the OpenMetadata API emulator (healthy), a closed port
(down), a 10 s delay (slow, cut at the listener's bound) and with the kill switch on.

    python -m bench.bench_listener [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import tempfile
import time
from types import SimpleNamespace

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def set_om(port: int) -> None:
    os.environ["AIRFLOW_CONN_OPENMETADATA_DEFAULT"] = json.dumps(
        {"conn_type": "http", "schema": "http", "host": "127.0.0.1", "port": port, "password": "bench"})


def seed(api: str, tables: list[str]) -> None:
    import requests

    put = lambda path, body: requests.put(f"{api}/v1/{path}", json=body, timeout=5).raise_for_status()  # noqa: E731
    put("services/databaseServices", {"name": "wh", "serviceType": "Postgres", "connection": {
        "config": {"type": "Postgres", "username": "u", "hostPort": "db:5432", "database": "dw"}}})
    put("databases", {"name": "dw", "service": "wh"})
    put("databaseSchemas", {"name": "public", "database": "wh.dw"})
    for table in tables:
        put("tables", {"name": table, "databaseSchema": "wh.dw.public", "columns": [{"name": "id", "dataType": "INT"}]})


def task_instance():
    from airflow_openmetadata_lineage import om_table

    inlets = [om_table(f"wh.dw.public.{t}") for t in ("film", "inventory", "rental", "payment")]
    task = SimpleNamespace(inlets=inlets, outlets=[om_table("wh.dw.public.film_revenue")], task_id="build",
                           downstream_task_ids=set())
    task.dag = SimpleNamespace(dag_id="bench_etl", tasks=[task], description=None, schedule=None)
    return SimpleNamespace(task=task, dag_id="bench_etl", task_id="build", run_id="bench", start_date=None,
                           _ti_context_from_server=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from airflow_openmetadata_lineage import listener
    from openmetadata_emulator import Emulator

    healthy = Emulator(port=0)
    healthy.start()
    slow = Emulator(port=0)
    slow.start()
    slow.faults.add("*", r"/v1/", delay=10.0)
    seed(healthy.url, ["film", "inventory", "rental", "payment", "film_revenue"])
    ports = {"healthy": int(healthy.url.split(":")[2].split("/")[0]), "down": closed_port(),
             "slow": int(slow.url.split(":")[2].split("/")[0]), "disabled": closed_port()}
    timeout = float(os.environ.setdefault("OPENMETADATA_LINEAGE_TIMEOUT_SECONDS", "2"))
    samples: dict[str, list[float]] = {name: [] for name in ports}
    ti = task_instance()
    listener.handle(ti, "success")  # warm imports once
    for i in range(args.runs):
        for name, port in ports.items():
            if name == "slow" and i >= 5:
                continue  # each slow run costs the full bound: 5 are enough for a median
            set_om(port)
            os.environ["OPENMETADATA_LINEAGE_ENABLED"] = "false" if name == "disabled" else "true"
            started = time.perf_counter()
            listener.handle(ti, "success")
            samples[name].append(time.perf_counter() - started)
    healthy.stop()
    slow.stop()
    base = statistics.median(samples["disabled"])
    print(f"listener added time per task (median of {args.runs} runs; slow: 5), timeout {timeout:g} s")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:9s} median {median * 1000:8.2f} ms   p90 {sorted(values)[int(len(values) * 0.9) - 1] * 1000:8.2f} ms"
              f"   added vs disabled {(median - base) * 1000:8.2f} ms")
    print(json.dumps({name: round(statistics.median(v) * 1000, 2) for name, v in samples.items()}))


if __name__ == "__main__":
    main()
