"""``make demo``, second half: the catalog-depth DAGs (issues 14 and 15), run and shown.

After the nightly refresh, the ETL and the asset refresh (scripts/demo.py):

0. before the nightly refresh, SQL runs in pagila outside Airflow (a ``CREATE TABLE ... AS
   SELECT`` with joins and an ``INSERT ... SELECT`` in one psql session): the nightly catalogues
   the new table, so the query log's edges have both ends in the catalog;
1. a steward describes ``public.actor`` in OpenMetadata (a JSON Patch, as the UI sends it), then
   ``sync_descriptions_pagila`` writes it to PostgreSQL as the table's comment;
2. ``profile_pagila`` and ``query_log_pagila`` run: profiles, PII tags, lineage edges from
   ``pg_stat_statements`` (the SQL of step 0) and usage counts;
3. the summary reads them back from the emulator's REST API.

The depth DAGs are triggered by hand (their ``wait_for_catalog`` sensor lets a manual run go as
soon as ``catalog_pagila`` is idle). PII classification loads the spaCy model ``en_core_web_md``:
the demo is a local stand-in environment like the emulator, so ``start_airflow`` puts the tests'
stand-in (``tests/support/spacy_stand_in``: en_core_web_sm 3.8.0 loaded under that name) on
the standalone Airflow's ``PYTHONPATH`` (``STAND_IN`` below).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import quote

from tests.support.outside_sql import CTAS, INSERT
from tests.support.spacy_model import STAND_IN, TEST_MODEL

SYNC = "sync_descriptions_pagila"
PROFILE = "profile_pagila"
QUERY_LOG = "query_log_pagila"
DAGS = (SYNC, PROFILE, QUERY_LOG)
SCHEMA_FQN = "pagila_postgres.pagila.public"
DESCRIBED = f"{SCHEMA_FQN}.actor"
DESCRIPTION = "Actors who appear in pagila's films (written by a steward in OpenMetadata, synced by the datakit)."
PROFILED = ("actor", "customer", "film", "payment", "rental")
USAGE = ("rental", "customer", "film")

Say = Callable[[str], None]


def spacy_note() -> str:
    return (f"PII classification uses a local stand-in for the spaCy model en_core_web_md: {TEST_MODEL} "
            f"(on the standalone Airflow's PYTHONPATH from {STAND_IN}); production images install the real model")


# ---------------------------------------------------------------------------- runs


def trigger_alone(airflow, dag_id: str, say: Say, conf: dict | None = None, settle: float = 15.0) -> str:
    """Trigger ``dag_id`` by hand and make that the only run: returns its run id.

    The run is created while the DAG is still paused, with a ``run_after`` in the past, then the
    DAG is unpaused. Unpausing may queue a run of its own (the latest cron interval with
    ``catchup=False``, or the catalog's Asset event): with ``max_active_runs=1`` it waits behind
    the manual run (queued runs start in ``run_after`` order) and is deleted while still queued.
    """
    now = datetime.now(timezone.utc)
    body = {"dag_run_id": f"manual__{now.isoformat()}", "logical_date": None,
            "run_after": (now - timedelta(days=2)).isoformat(), "conf": conf or {}}
    run_id = airflow.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]
    airflow.unpause(dag_id)
    say(f"           {dag_id}: triggered {run_id}" + (f" with conf {conf}" if conf else ""))
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        for run in airflow.runs(dag_id):
            if run["dag_run_id"] != run_id and run["state"] == "queued":
                response = airflow.request("DELETE", f"/api/v2/dags/{dag_id}/dagRuns/{quote(run['dag_run_id'], safe='')}")
                say(f"           {dag_id}: removed the run the unpause queued ({run['dag_run_id']}, "
                    f"{run.get('run_type')}): {'done' if response.ok else response.status_code}")
        time.sleep(1)
    return run_id


def describe_and_sync(airflow, cluster, api: str, om_get, wait_run, say: Say, token: str) -> str:
    """The steward's description of ``public.actor``, synced to PostgreSQL; returns the comment."""
    import requests

    table = om_get(api, f"/v1/tables/name/{quote(DESCRIBED, safe='')}")
    response = requests.patch(f"{api}/v1/tables/{table['id']}", timeout=30,
                              json=[{"op": "add", "path": "/description", "value": DESCRIPTION}],
                              headers={"Authorization": f"Bearer {token}",
                                       "Content-Type": "application/json-patch+json"})
    response.raise_for_status()
    say(f"           steward: PATCH description of {DESCRIBED} -> version {response.json().get('version')}")
    run_id = trigger_alone(airflow, SYNC, say, conf={"dry_run": False})
    wait_run(airflow, SYNC, run_id)
    return cluster.psql("SELECT obj_description('public.actor'::regclass)", database="pagila")


def sql_outside_airflow(cluster, say: Say) -> None:
    cluster.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", database="pagila")
    cluster.psql("SELECT pg_stat_statements_reset()", database="pagila")
    cluster.psql(f"{CTAS}; {INSERT}", database="pagila")  # one psql session, two statements
    say("           psql: CREATE TABLE public.rental_report AS SELECT ... (rental, customer, inventory, film); "
        "INSERT INTO public.rental_report SELECT ...")


def profile_and_query_log(airflow, wait_run, say: Say) -> None:
    say(f"           {spacy_note()}")
    run_ids = {dag_id: trigger_alone(airflow, dag_id, say) for dag_id in (PROFILE, QUERY_LOG)}
    for dag_id, run_id in run_ids.items():
        wait_run(airflow, dag_id, run_id)


# ---------------------------------------------------------------------------- summary


def depth_summary(api: str, om_get, om_list, comment: str) -> dict[str, Any]:
    profiles = {}
    for name in PROFILED:
        try:
            latest = om_get(api, f"/v1/tables/{quote(f'{SCHEMA_FQN}.{name}', safe='')}/tableProfile/latest")
        except Exception as exc:  # noqa: BLE001 - shown, not fatal
            profiles[name] = f"no profile ({exc})"
            continue
        count = (latest.get("profile") or {}).get("rowCount")
        profiles[name] = int(count) if isinstance(count, (int, float)) else count
    pii: dict[str, str] = {}
    edges, seen = [], set()
    for table in om_list(api, "tables", fields="columns,tags"):
        fqn = table["fullyQualifiedName"]
        if not fqn.startswith(SCHEMA_FQN + "."):
            continue
        for col in table.get("columns") or []:
            tags = [t["tagFQN"] for t in col.get("tags") or [] if t["tagFQN"].startswith("PII.")]
            if tags:
                pii[f"{fqn.rsplit('.', 1)[-1]}.{col['name']}"] = ", ".join(tags)
        graph = om_get(api, f"/v1/lineage/table/name/{quote(fqn, safe='')}", upstreamDepth=1, downstreamDepth=0)
        names = {n["id"]: n["fullyQualifiedName"] for n in graph.get("nodes") or []}
        names[graph["entity"]["id"]] = fqn
        for edge in graph.get("upstreamEdges") or []:
            details = edge.get("lineageDetails") or {}
            if details.get("source") != "QueryLineage":
                continue
            key = (names.get(edge["fromEntity"], edge["fromEntity"]), names.get(edge["toEntity"], edge["toEntity"]))
            if key not in seen:
                seen.add(key)
                edges.append({"from": key[0], "to": key[1], "sql": details.get("sqlQuery") or ""})
    usage = {}
    for name in USAGE:
        table = om_get(api, f"/v1/tables/name/{quote(f'{SCHEMA_FQN}.{name}', safe='')}", fields="usageSummary")
        usage[name] = ((table.get("usageSummary") or {}).get("dailyStats") or {}).get("count")
    described = om_get(api, f"/v1/tables/name/{quote(DESCRIBED, safe='')}")
    return {"profiles": profiles, "pii_tags": dict(sorted(pii.items())), "query_lineage": edges, "usage": usage,
            "description": {"table": DESCRIBED, "openmetadata": described.get("description"),
                            "postgres_comment": comment}}


def print_depth(summary: dict[str, Any], say: Say) -> None:
    short = lambda fqn: fqn.split(".", 2)[-1]  # noqa: E731
    clip = lambda text, n=90: " ".join(text.split())[:n] + ("..." if len(" ".join(text.split())) > n else "")  # noqa: E731
    say("")
    say("Catalog depth (profile_pagila, query_log_pagila, sync_descriptions_pagila):")
    say("  profiles (row counts): " + ", ".join(f"{t} {n}" for t, n in summary["profiles"].items()))
    say(f"  PII tags (suggested, for a steward to confirm): {len(summary['pii_tags'])} columns")
    by_tag: dict[str, list[str]] = {}
    for column, tags in summary["pii_tags"].items():
        by_tag.setdefault(tags, []).append(column)
    for tags, columns in sorted(by_tag.items(), key=lambda item: (len(item[1]), item[0])):
        if len(columns) <= 4:
            for column in columns:
                say(f"    {column} -> {tags}")
            continue
        stamps = [c for c in columns if c.endswith(".last_update")]
        rest = [c for c in columns if c not in stamps]
        say(f"    {', '.join(rest)}" + (f", *.last_update ({len(stamps)} tables)" if stamps else "") + f" -> {tags}")
    say(f"  query-log lineage edges: {len(summary['query_lineage'])}")
    for edge in summary["query_lineage"]:
        say(f"    {short(edge['from'])} -> {short(edge['to'])}   sql: {clip(edge['sql'])}")
    say("  usage (queries counted): " + ", ".join(f"{t} {n}" for t, n in summary["usage"].items()))
    d = summary["description"]
    say(f"  synced description of {short(d['table'])}:")
    say(f"    OpenMetadata: {d['openmetadata']}")
    say(f"    PostgreSQL obj_description('public.actor'): {d['postgres_comment']}")
    say(f"  ({spacy_note()})")
