#!/usr/bin/env python3
"""``make demo`` / ``make demo-stop``: the datakit end to end on one machine, without Docker.

    python scripts/demo.py up      # start everything, run the catalog + ETL DAGs, print the catalog
    python scripts/demo.py down    # stop everything ``up`` started (idempotent)
    python scripts/demo.py status  # what is running, and where to look

``up`` starts, each as its own process session with a pid file in ``.demo/``:

1. a throwaway PostgreSQL 15 cluster (Debian ``postgresql``) on a free loopback port with the
   pagila sample database (``../shared/pagila``, checksums verified);
2. the OpenMetadata API emulator (``packages/openmetadata-emulator``: the test stand-in for an
   OpenMetadata server), state in ``.demo/openmetadata-state.json``;
3. ``airflow standalone`` with this project's DAGs and plugins (``AIRFLOW_HOME=.demo/airflow``,
   SQLite metadata DB, connections as ``AIRFLOW_CONN_*``: ``openmetadata_default`` -> emulator,
   ``pagila_postgres`` -> the cluster, ``airflow_metadata_db`` -> the standalone's SQLite DB),

then runs the nightly refresh (``catalog_pagila`` and ``catalog_airflow`` together), then the ETL
``pagila_film_revenue`` (whose table Assets make the real scheduler run ``catalog_refresh_assets``),
waits for each, then the catalog-depth DAGs (``sync_descriptions_pagila``, ``profile_pagila``,
``query_log_pagila``: scripts/demo_depth.py), and prints what the catalog holds (read back from
the emulator's REST API) and where to look. A DAG is started by unpausing it: with ``catchup=False`` the scheduler runs its
latest interval at once, and that run is used (a DAG that gets none is triggered by hand). Every ``up`` starts from a fresh ``.demo/`` (run ``down`` first if one is running).

Ports: ``DEMO_AIRFLOW_PORT`` (default 8080 when free, else any free port), ``DEMO_OPENMETADATA_PORT``
(default 8585 when free, else any).

``down`` needs only the standard library (it runs without the venv).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts import demo_depth  # noqa: E402
from tests.support.standalone import (  # noqa: E402  (after sys.path)
    Standalone,
    StandaloneError,
    airflow_env,
    free_port,
    session_members,
    stop_session,
)

DEMO = Path(os.environ.get("DEMO_DIR", REPO / ".demo"))
AIRFLOW_HOME = DEMO / "airflow"
PIDS = {"airflow": DEMO / "airflow.pid", "emulator": DEMO / "emulator.pid"}
PG_INFO = DEMO / "postgres.json"
INFO = DEMO / "demo.json"
EMULATOR_STATE = DEMO / "openmetadata-state.json"
OM_TOKEN = "demo-jwt-not-a-secret"  # the emulator runs without --token: any bearer is accepted
NIGHTLY = ("catalog_pagila", "catalog_airflow")
ETL = "pagila_film_revenue"
REFRESH = "catalog_refresh_assets"
DAGS = (*NIGHTLY, ETL, REFRESH, *demo_depth.DAGS)


class DemoError(RuntimeError):
    pass


def say(message: str) -> None:
    print(message, flush=True)


class Steps:
    """Prints ``[  12.3s] step ... done (4.5 s)`` lines."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def run(self, title: str, fn, *args, **kwargs):
        started = time.monotonic()
        say(f"[{self.elapsed():6.1f}s] {title} ...")
        result = fn(*args, **kwargs)
        say(f"[{self.elapsed():6.1f}s]   done ({time.monotonic() - started:.1f} s)")
        return result


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_port(env_name: str, preferred: int) -> int:
    raw = os.environ.get(env_name, "").strip()
    if raw:
        port = int(raw)
        if not port_free(port):
            raise DemoError(f"{env_name}={port}: that port is in use")
        return port
    return preferred if port_free(preferred) else free_port()


# ---------------------------------------------------------------------------- prerequisites


def check_prerequisites() -> None:
    from tests.support.postgres import PAGILA_DIR, pg_bin

    missing = [p for p in ("initdb", "pg_ctl", "psql") if not pg_bin(p)]
    if missing:
        raise DemoError(
            f"PostgreSQL programs not found: {', '.join(missing)}. Install the PostgreSQL server binaries: "
            "on Debian/Ubuntu `sudo apt-get install postgresql` (Debian 12 brings postgresql-15, "
            "programs in /usr/lib/postgresql/15/bin)."
        )
    for name in ("pagila-schema.sql", "pagila-data.sql"):
        if not (PAGILA_DIR / name).is_file():
            raise DemoError(f"{PAGILA_DIR / name} is missing: the pagila sample data must be in ../shared/pagila "
                            "beside this repository (or set DATAKIT_PAGILA_DIR)")
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise DemoError("running as root needs the OS user `postgres` (PostgreSQL refuses to run as root); "
                            "the Debian package postgresql creates it") from None


# ---------------------------------------------------------------------------- components


def start_postgres():
    from tests.support.postgres import start_cluster

    cluster = start_cluster()  # temp dir owned by the server's user; loopback, free port
    PG_INFO.write_text(json.dumps({"root": str(cluster.root), "port": cluster.port, "password": cluster.password,
                                   "run_as": cluster._run_as}))  # noqa: SLF001
    PG_INFO.chmod(0o600)
    cluster.load_pagila("pagila")
    return cluster


def stop_postgres() -> bool:
    if not PG_INFO.is_file():
        return False
    from tests.support.postgres import PostgresCluster

    info = json.loads(PG_INFO.read_text())
    cluster = PostgresCluster(root=Path(info["root"]), port=info["port"], password=info["password"])
    cluster._run_as = info.get("run_as")  # noqa: SLF001
    stopped = False
    pidfile = cluster.data_dir / "postmaster.pid"
    if pidfile.is_file():
        pid = int(pidfile.read_text().split()[0])
        try:
            cluster.stop()  # pg_ctl stop -m immediate, as the server's OS user
        except Exception as exc:  # pg_ctl missing or failing: SIGQUIT is PostgreSQL's immediate shutdown
            say(f"  pg_ctl stop failed ({exc}); sending SIGQUIT to postmaster {pid}")
            if _alive(pid):
                os.kill(pid, signal.SIGQUIT)
        stopped = True
    shutil.rmtree(cluster.root, ignore_errors=True)
    PG_INFO.unlink(missing_ok=True)
    return stopped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_emulator(port: int) -> str:
    out, err = DEMO / "emulator.out", DEMO / "emulator.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with open(out, "wb") as stdout, open(err, "ab") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "openmetadata_emulator", "--port", str(port), "--state", str(EMULATOR_STATE),
             "--log-level", "WARNING"],
            cwd=str(REPO), env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True,
        )
    PIDS["emulator"].write_text(str(process.pid))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = out.read_text().strip()
        if line.startswith("openmetadata-emulator listening on "):
            return line.rsplit(" ", 1)[1]
        if process.poll() is not None:
            raise DemoError(f"the OpenMetadata emulator exited ({process.returncode}); log {err}:\n"
                            + err.read_text()[-2000:])
        time.sleep(0.3)
    raise DemoError(f"the OpenMetadata emulator did not start in 120 s; log {err}")


def start_airflow(port: int, om_url: str, cluster) -> Standalone:
    from urllib.parse import urlsplit

    om = urlsplit(om_url)
    connections = {
        "openmetadata_default": {"conn_type": "http", "schema": om.scheme, "host": om.hostname, "port": om.port,
                                 "password": OM_TOKEN},
        "pagila_postgres": cluster.airflow_conn_json("pagila"),
        # SDK 2.0.6 cannot read run statuses from SQLite: pipelines, tasks, tags and lineage only.
        "airflow_metadata_db": {"conn_type": "sqlite", "host": str(AIRFLOW_HOME / "airflow.db"),
                                "extra": {"number_of_status": 0}},
    }
    env = airflow_env(AIRFLOW_HOME, port, connections=connections, extra={
        # The ETL's table Assets then name the cluster, which the lineage listener and the
        # asset refresh map back to pagila_postgres.
        "DATAKIT_PAGILA_HOSTPORT": f"{cluster.host}:{cluster.port}",
        # A local stand-in for the spaCy model en_core_web_md (PII classification), as the emulator
        # stands in for OpenMetadata: see scripts/demo_depth.py.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), str(demo_depth.STAND_IN), os.environ.get("PYTHONPATH")])),
    })
    standalone = Standalone.start(AIRFLOW_HOME, env, log_path=DEMO / "airflow.log")
    PIDS["airflow"].write_text(str(standalone.pid))
    standalone.wait_healthy(timeout=420)
    return standalone


# ---------------------------------------------------------------------------- runs


def wait_for_dags(airflow: Standalone) -> None:
    try:
        airflow.wait_for_dags(DAGS, timeout=300, settle=45)
    except StandaloneError:
        served = {d["dag_id"] for d in airflow.api("GET", "/api/v2/dags?limit=1000")["dags"]}
        raise DemoError(airflow.missing_dags_report(set(DAGS) - served)) from None


def start_run(airflow: Standalone, dag_id: str, grace: float = 20.0) -> str:
    """Unpause ``dag_id`` and return the run that will do the work.

    Unpausing a DAG with a cron schedule and ``catchup=False`` makes the scheduler run its most
    recent interval at once (the nightly run that was "missed"): that run is adopted, so nothing
    runs twice. A DAG that gets no such run within ``grace`` seconds is triggered by hand.
    """
    before = {r["dag_run_id"] for r in airflow.runs(dag_id)}
    airflow.unpause(dag_id)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        new = [r for r in airflow.runs(dag_id) if r["dag_run_id"] not in before]
        if new:
            say(f"           {dag_id}: scheduled run {new[0]['dag_run_id']} (unpaused; catchup=False runs the "
                "latest interval)")
            return new[0]["dag_run_id"]
        time.sleep(1)
    run_id = airflow.trigger(dag_id)
    say(f"           {dag_id}: triggered {run_id}")
    return run_id


def wait_run(airflow: Standalone, dag_id: str, run_id: str, timeout: float = 900) -> dict:
    run = airflow.wait_for_run(dag_id, run_id, timeout=timeout)
    states = airflow.task_states(dag_id, run_id)
    say(f"           {dag_id} {run_id}: {run['state']}  tasks {states}")
    if run["state"] != "success":
        raise DemoError(f"{dag_id} run {run_id} ended {run['state']} (tasks {states}); task logs: "
                        f"{airflow.url}/dags/{dag_id}/runs/{quote(run_id, safe='')}")
    return run


def run_dags(airflow: Standalone, dag_ids: tuple[str, ...]) -> dict[str, dict]:
    """Start the runs of ``dag_ids`` together (as the nightly schedule does) and wait for all."""
    run_ids = {dag_id: start_run(airflow, dag_id) for dag_id in dag_ids}
    return {dag_id: wait_run(airflow, dag_id, run_id) for dag_id, run_id in run_ids.items()}


def wait_for_asset_refresh(airflow: Standalone, etl_run_id: str, timeout: float = 900) -> list[dict]:
    """Every ``catalog_refresh_assets`` run the ETL run's Asset events created, once all succeeded.

    The DAG is scheduled on *any* of the ETL's table Assets, so each output table's event may
    queue its own run: wait until every event of that ETL run has created a refresh run, and
    every such run has finished.
    """
    deadline = time.monotonic() + timeout
    while True:
        events = [e for e in airflow.api("GET", f"/api/v2/assets/events?source_dag_id={ETL}&limit=100")["asset_events"]
                  if e.get("source_run_id") == etl_run_id]
        runs = {r["run_id"]: r for e in events for r in e.get("created_dagruns") or [] if r.get("dag_id") == REFRESH}
        pending = [e["uri"] for e in events if not any(r.get("dag_id") == REFRESH for r in e.get("created_dagruns") or [])]
        if events and not pending and all(r.get("state") in ("success", "failed") for r in runs.values()):
            for run_id, run in sorted(runs.items()):
                states = airflow.task_states(REFRESH, run_id)
                say(f"           {REFRESH} {run_id}: {run['state']}  tasks {states}")
                if run["state"] != "success":
                    raise DemoError(f"{REFRESH} run {run_id} ended {run['state']} (tasks {states})")
            return list(runs.values())
        if time.monotonic() > deadline:
            raise DemoError(f"{REFRESH} did not finish for the ETL's Asset events within {timeout:.0f} s "
                            f"(events {len(events)}, waiting for {pending or list(runs)})")
        time.sleep(2)


# ---------------------------------------------------------------------------- the catalog


def om_get(api: str, path: str, **params):
    import requests

    response = requests.get(f"{api}{path}", params=params, headers={"Authorization": f"Bearer {OM_TOKEN}"},
                            timeout=30)
    response.raise_for_status()
    return response.json()


def om_list(api: str, collection: str, **params) -> list[dict]:
    items, after = [], None
    while True:
        page = om_get(api, f"/v1/{collection}", limit=100, **({"after": after} if after else {}), **params)
        items += page.get("data") or []
        after = (page.get("paging") or {}).get("after")
        if not after:
            return items


def catalog_summary(api: str) -> dict:
    db_services = [s["name"] for s in om_list(api, "services/databaseServices")]
    pipeline_services = [s["name"] for s in om_list(api, "services/pipelineServices")]
    tables = sorted(t["fullyQualifiedName"] for t in om_list(api, "tables"))
    pipelines = sorted(p["fullyQualifiedName"] for p in om_list(api, "pipelines"))
    edges = set()
    for fqn in tables:
        graph = om_get(api, f"/v1/lineage/table/name/{quote(fqn, safe='')}", upstreamDepth=1, downstreamDepth=0)
        names = {n["id"]: n["fullyQualifiedName"] for n in graph.get("nodes") or []}
        names[graph["entity"]["id"]] = graph["entity"]["fullyQualifiedName"]
        for edge in graph.get("upstreamEdges") or []:
            pipeline = ((edge.get("lineageDetails") or {}).get("pipeline") or {}).get("fullyQualifiedName")
            edges.add((names.get(edge["fromEntity"], edge["fromEntity"]), names.get(edge["toEntity"], edge["toEntity"]),
                       pipeline))
    return {"database_services": db_services, "pipeline_services": pipeline_services, "tables": tables,
            "pipelines": pipelines, "lineage_edges": sorted(edges, key=lambda e: (e[1], e[0]))}


def print_catalog(summary: dict) -> None:
    short = lambda fqn: fqn.split(".", 2)[-1] if fqn.count(".") >= 3 else fqn  # noqa: E731
    say("")
    say("What the OpenMetadata catalog (emulator) now holds:")
    say(f"  database services: {', '.join(summary['database_services']) or '-'}")
    say(f"  pipeline services: {', '.join(summary['pipeline_services']) or '-'}")
    by_schema: dict[str, list[str]] = {}
    for fqn in summary["tables"]:
        parts = fqn.split(".")
        by_schema.setdefault(".".join(parts[:3]), []).append(parts[-1])
    say(f"  tables: {len(summary['tables'])}")
    for schema, names in sorted(by_schema.items()):
        shown = ", ".join(names) if len(names) <= 8 else ", ".join(names[:8]) + f", ... (+{len(names) - 8})"
        say(f"    {schema} ({len(names)}): {shown}")
    say(f"  pipelines: {len(summary['pipelines'])}: {', '.join(p.split('.', 1)[-1] for p in summary['pipelines'])}")
    say(f"  lineage edges: {len(summary['lineage_edges'])}")
    for source, target, pipeline in summary["lineage_edges"]:
        say(f"    {short(source)} -> {short(target)}" + (f"   (pipeline {pipeline})" if pipeline else ""))


def print_where(info: dict) -> None:
    say("")
    say("Where to look:")
    say(f"  Airflow UI        {info['airflow_url']}   user admin, password {info['admin_password']}")
    say(f"                    (from {info['passwords_file']})")
    say(f"  OpenMetadata API  {info['openmetadata_api']}/v1/tables?limit=50  (the emulator; any bearer token)")
    say(f"  PostgreSQL        postgresql://postgres@127.0.0.1:{info['pg_port']}/pagila  (password in {PG_INFO})")
    say(f"  logs              {DEMO}/airflow.log, {DEMO}/emulator.log, task logs in {AIRFLOW_HOME}/logs")
    say("  stop everything   make demo-stop")


# ---------------------------------------------------------------------------- commands


def running() -> dict[str, int]:
    """component -> pid, for the demo's processes that are still alive."""
    alive = {}
    for name, path in PIDS.items():
        if path.is_file():
            try:
                pid = int(path.read_text().strip())
            except ValueError:
                continue
            if session_members(pid):
                alive[name] = pid
    if PG_INFO.is_file():
        root = Path(json.loads(PG_INFO.read_text())["root"])
        pidfile = root / "data" / "postmaster.pid"
        if pidfile.is_file():
            pid = int(pidfile.read_text().split()[0])
            if _alive(pid):
                alive["postgres"] = pid
    return alive


def cmd_up(_args) -> int:
    alive = running()
    if alive:
        say(f"The demo is already running ({', '.join(f'{k} pid {v}' for k, v in alive.items())}).")
        if INFO.is_file():
            print_where(json.loads(INFO.read_text()))
        say("Run `make demo-stop` first for a fresh one.")
        return 0
    steps = Steps()
    try:
        check_prerequisites()
        airflow_port = pick_port("DEMO_AIRFLOW_PORT", 8080)
        om_port = pick_port("DEMO_OPENMETADATA_PORT", 8585)
        if DEMO.exists():
            shutil.rmtree(DEMO)
        DEMO.mkdir(parents=True)
        cluster = steps.run("PostgreSQL 15 with pagila (throwaway cluster)", start_postgres)
        om_url = steps.run("OpenMetadata API emulator", start_emulator, om_port)
        say(f"           {om_url}")
        airflow = steps.run(f"airflow standalone on port {airflow_port} (first start migrates the DB: ~1-2 min)",
                            start_airflow, airflow_port, om_url, cluster)
        info = {"airflow_url": airflow.url, "admin_password": airflow.passwords()["admin"],
                "passwords_file": str(AIRFLOW_HOME / "simple_auth_manager_passwords.json.generated"),
                "openmetadata_api": om_url, "pg_port": cluster.port}
        INFO.write_text(json.dumps(info, indent=2))
        INFO.chmod(0o600)
        steps.run("waiting for the DAG processor", wait_for_dags, airflow)
        airflow.unpause(REFRESH)  # Asset-scheduled: runs only when the ETL updates its tables
        steps.run("SQL outside Airflow (psql: CREATE TABLE AS SELECT, INSERT ... SELECT), for query_log_pagila",
                  demo_depth.sql_outside_airflow, cluster, say)
        steps.run(f"nightly refresh: {' + '.join(NIGHTLY)}", run_dags, airflow, NIGHTLY)
        etl = steps.run(f"example ETL: {ETL}", run_dags, airflow, (ETL,))[ETL]
        steps.run(f"{REFRESH} (runs queued by the ETL's table Assets)", wait_for_asset_refresh, airflow,
                  etl["dag_run_id"])
        comment = steps.run(f"a steward describes public.actor in OpenMetadata; {demo_depth.SYNC}",
                            demo_depth.describe_and_sync, airflow, cluster, om_url, om_get, wait_run, say, OM_TOKEN)
        steps.run(f"{demo_depth.PROFILE} + {demo_depth.QUERY_LOG} (triggered by hand)",
                  demo_depth.profile_and_query_log, airflow, wait_run, say)
        summary = catalog_summary(om_url)
        summary["depth"] = demo_depth.depth_summary(om_url, om_get, om_list, comment)
    except (DemoError, StandaloneError) as exc:
        say(f"\nmake demo failed after {steps.elapsed():.0f} s: {exc}")
        say(f"Logs are in {DEMO}/. Stop what was started with `make demo-stop`.")
        return 1
    except KeyboardInterrupt:
        say(f"\nmake demo interrupted after {steps.elapsed():.0f} s. Stop what was started with `make demo-stop`.")
        return 130
    print_catalog(summary)
    demo_depth.print_depth(summary["depth"], say)
    print_where(info)
    (DEMO / "catalog.json").write_text(json.dumps(summary, indent=2))
    say(f"\nmake demo: ready in {steps.elapsed():.0f} s (wall time).")
    return 0


def cmd_down(_args) -> int:
    stopped = []
    for name in ("airflow", "emulator"):
        path = PIDS[name]
        if not path.is_file():
            continue
        try:
            pid = int(path.read_text().strip())
        except ValueError:
            pid = 0
        if pid and stop_session(pid, timeout=30):
            stopped.append(f"{name} (session {pid})")
        path.unlink(missing_ok=True)
    if stop_postgres():
        stopped.append("postgres")
    say(f"demo stopped: {', '.join(stopped)}" if stopped else "demo: nothing was running")
    return 0


def cmd_status(_args) -> int:
    alive = running()
    if not alive:
        say("demo: not running (make demo)")
        return 0
    say(f"demo running: {', '.join(f'{k} pid {v}' for k, v in alive.items())}")
    if INFO.is_file():
        print_where(json.loads(INFO.read_text()))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start everything and run the DAGs").set_defaults(fn=cmd_up)
    sub.add_parser("down", help="stop everything up started").set_defaults(fn=cmd_down)
    sub.add_parser("status", help="what is running").set_defaults(fn=cmd_status)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
