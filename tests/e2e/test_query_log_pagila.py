"""query_log_pagila end to end: SQL run in a psql session outside Airflow -> pg_stat_statements ->
the SDK's lineage and usage workflows in a real Airflow run -> emulator.

The throwaway cluster preloads pg_stat_statements (tests/support/postgres.py), as the local
stack's pagila-db does (docker-compose.override.yml).
"""

from __future__ import annotations

import pytest

from include.errors import PreflightError
from openmetadata_emulator.client import Catalog
from tests.support.airflow_run import run_dag
from tests.support.outside_sql import CTAS, INSERT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCHEMA_FQN = "pagila_postgres.pagila.public"


def test_query_log_lineage_and_usage(airflow_db, pagila_db, om_connection):
    catalog = Catalog(om_connection.url)
    pagila_db.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", database="pagila")
    pagila_db.psql("SELECT pg_stat_statements_reset()", database="pagila")
    # A psql session outside Airflow: one process, two statements.
    pagila_db.psql(f"{CTAS}; {INSERT}", database="pagila")
    assert run_dag("catalog_pagila").state == "success"

    run = run_dag("query_log_pagila")
    assert run.state == "success", run.task_states
    assert run.xcoms["preflight"]["query_log"]["statements"] >= 2
    assert run.xcoms["lineage"]["status"] == "success" and run.xcoms["usage"]["status"] == "success"

    target = catalog.by_name("tables", f"{SCHEMA_FQN}.rental_report")
    edges = {e["fromEntity"]["fullyQualifiedName"].rsplit(".", 1)[-1]: e for e in om_connection.store.edges()
             if e["toEntity"]["id"] == target["id"]}
    assert {"rental", "customer", "film"} <= set(edges), sorted(edges)
    for source, edge in edges.items():
        query = edge["lineageDetails"]["sqlQuery"]
        assert query.startswith(("CREATE TABLE public.rental_report", "INSERT INTO public.rental_report")), query
        assert edge["lineageDetails"]["source"] == "QueryLineage"
    # Column lineage where the SDK parses it: customer.email -> rental_report.email.
    email = [c for c in edges["customer"]["lineageDetails"].get("columnsLineage") or []
             if c["toColumn"] == f"{SCHEMA_FQN}.rental_report.email"]
    assert email and email[0]["fromColumns"] == [f"{SCHEMA_FQN}.customer.email"], edges["customer"]["lineageDetails"]

    # Usage: the tables the statements read were counted, and the queries are stored with them.
    for name in ("rental", "customer"):
        table = catalog.by_name("tables", f"{SCHEMA_FQN}.{name}", fields="usageSummary")
        assert table["usageSummary"]["dailyStats"]["count"] >= 1, (name, table.get("usageSummary"))
        queries = catalog.get("queries", entityId=table["id"])["data"]
        assert any(q["query"].startswith(("CREATE TABLE public.rental_report", "INSERT INTO public.rental_report"))
                   for q in queries), [q["query"][:60] for q in queries]
    print(f"\nquery_log_pagila: {len(edges)} edges into rental_report from {sorted(edges)}; "
          f"lineage {run.xcoms['lineage']['duration_seconds']} s, usage {run.xcoms['usage']['duration_seconds']} s")


def test_query_log_preflight_says_how_to_enable_pg_stat_statements(airflow_db, pagila_db, om_connection, monkeypatch):
    from include.querylog import tasks

    pagila_db.psql("DROP EXTENSION IF EXISTS pg_stat_statements", database="pagila")
    with pytest.raises(PreflightError) as missing:
        tasks.preflight("postgres", "pagila_postgres")
    message = str(missing.value)
    assert "the pg_stat_statements extension is not created in database 'pagila'" in message
    assert "CREATE EXTENSION pg_stat_statements" in message
    run = run_dag("query_log_pagila")
    assert run.task_states["preflight"] == "failed" and "lineage" not in run.xcoms

    # A login that may not read other users' statements is told to get pg_read_all_stats.
    import json

    pagila_db.psql("CREATE EXTENSION pg_stat_statements; CREATE ROLE om_reader LOGIN PASSWORD 'reader-test-only'",
                   database="pagila")
    conn = json.loads(pagila_db.airflow_conn_json("pagila"))
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps({**conn, "login": "om_reader",
                                                                  "password": "reader-test-only"}))
    with pytest.raises(PreflightError, match="GRANT pg_read_all_stats TO om_reader"):
        tasks.preflight("postgres", "pagila_postgres")
