"""Lineage with no annotation (issue 13): real PostgreSQL with pagila, real Airflow runs, the emulator.

``pagila_film_revenue_auto`` (``pagila_film_revenue`` without inlets/outlets) yields the same
table edges as the declared DAG, plus ``sqlQuery`` and column lineage; the SQL shapes of the
issue each give the edges they should; OpenMetadata down or slow leaves the task as it was.
"""

from __future__ import annotations

import logging
import textwrap
import time

import pytest

from tests.e2e.test_lineage_etl import lineage, upstream_names
from tests.support.airflow_run import load_dag, run_dag

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCHEMA = "pagila_postgres.pagila"
LOGGER = "airflow_openmetadata_lineage"
AUTO = "pagila_film_revenue_auto"
ASSETS = ["postgres://pagila-db:5432/pagila/analytics/film_revenue",
          "postgres://pagila-db:5432/pagila/analytics/category_revenue"]


@pytest.fixture
def auto_env(monkeypatch, pagila_db, om_connection, airflow_db):
    monkeypatch.delenv("DATAKIT_PAGILA_HOSTPORT", raising=False)
    for name in ("ASSET_SERVICES", "ASSET_CONNECTIONS", "SQL_LINEAGE"):
        monkeypatch.delenv(f"OPENMETADATA_LINEAGE_{name}", raising=False)
        monkeypatch.delenv(f"DATAKIT_LINEAGE_{name}", raising=False)
    monkeypatch.setenv("OPENMETADATA_LINEAGE_ENABLED", "true")
    return om_connection


def logged(caplog, level=logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= level]


def columns_of(graph: dict, source: str) -> dict[str, list[str]]:
    nodes = {n["id"]: n["fullyQualifiedName"] for n in graph.get("nodes") or []}
    for edge in graph["upstreamEdges"]:
        if nodes.get(edge["fromEntity"]) == source:
            return {c["toColumn"]: c["fromColumns"] for c in edge["lineageDetails"].get("columnsLineage") or []}
    raise AssertionError(f"no edge from {source}")


def declared_edges(dag_id: str) -> set[tuple[str, str]]:
    """The edges ``pagila_film_revenue`` declares (its inlets x outlets, resolved as the listener does)."""
    from airflow_openmetadata_lineage.assets import AssetServices
    from airflow_openmetadata_lineage.config import LineageConfig
    from airflow_openmetadata_lineage.gather import task_lineage

    dag = load_dag(dag_id)
    found = set()
    for task in dag.tasks:
        got = task_lineage(task, dag_id=dag_id, task_id=task.task_id, services=AssetServices(mapping={}),
                           config=LineageConfig.load(), parse_sql=False)
        assert got.origin == "declared"
        found |= {(e.source, e.target) for e in got.edges}
    return found


def test_auto_dag_has_the_declared_edges_plus_sql_and_columns(auto_env, pagila_db, caplog):
    api, store = auto_env.url, auto_env.store
    assert run_dag("catalog_pagila").state == "success"
    with caplog.at_level(logging.INFO, logger=LOGGER):
        etl = run_dag(AUTO)
    assert etl.state == "success", etl.task_states
    assert int(pagila_db.psql("select count(*) from analytics.film_revenue", database="pagila")) == 1000
    text = "\n".join(logged(caplog))
    assert f"task {AUTO}.build_film_revenue: 4 edge(s) from its SQL" in text, text
    assert f"table {SCHEMA}.analytics.film_revenue is not in the OpenMetadata catalog yet" in text
    assert not logged(caplog, logging.ERROR), text

    refresh = run_dag("catalog_refresh_assets", conf={
        "asset_uris": ASSETS, "producers": [f"{AUTO}.build_film_revenue", f"{AUTO}.build_category_revenue"]})
    assert refresh.state == "success", refresh.task_states
    assert refresh.xcoms["replay_lineage"]["missing_tables"] == []

    sent = {(e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"]) for e in store.lineage.values()}
    assert sent == declared_edges("pagila_film_revenue")
    assert len(sent) == 7
    graph = lineage(api, f"{SCHEMA}.analytics.film_revenue")
    assert upstream_names(graph) == {f"{SCHEMA}.public.{t}" for t in ("film", "inventory", "rental", "payment")}
    target = f"{SCHEMA}.analytics.film_revenue"
    assert columns_of(graph, f"{SCHEMA}.public.payment") == {f"{target}.revenue": [f"{SCHEMA}.public.payment.amount"]}
    assert columns_of(graph, f"{SCHEMA}.public.rental") == {f"{target}.rentals": [f"{SCHEMA}.public.rental.rental_id"]}
    assert columns_of(graph, f"{SCHEMA}.public.film") == {f"{target}.film_id": [f"{SCHEMA}.public.film.film_id"],
                                                          f"{target}.title": [f"{SCHEMA}.public.film.title"]}
    assert columns_of(graph, f"{SCHEMA}.public.inventory") == {}  # joined on, no column flows from it
    for edge in graph["upstreamEdges"]:
        details = edge["lineageDetails"]
        assert details["pipeline"]["fullyQualifiedName"] == f"datakit_airflow.{AUTO}"
        assert details["source"] == "PipelineLineage"
        assert "INSERT INTO analytics.film_revenue" in details["sqlQuery"]
        assert "TRUNCATE" not in details["sqlQuery"]  # only the statements that draw the edge
    down = lineage(api, f"{SCHEMA}.analytics.category_revenue")
    category = f"{SCHEMA}.analytics.category_revenue"
    assert columns_of(down, f"{SCHEMA}.analytics.film_revenue") == {
        f"{category}.films": [f"{SCHEMA}.analytics.film_revenue.film_id"],
        f"{category}.rentals": [f"{SCHEMA}.analytics.film_revenue.rentals"],
        f"{category}.revenue": [f"{SCHEMA}.analytics.film_revenue.revenue"]}
    print("\ncolumn edges of pagila_film_revenue_auto:")
    for edge in sorted(store.lineage.values(), key=lambda e: e["toEntity"]["fullyQualifiedName"]):
        for column in edge["lineageDetails"].get("columnsLineage") or []:
            print(f"  {column['toColumn']} <- {', '.join(column['fromColumns'])}")

    # A second run: every table is catalogued, every edge is sent at once, no warning, no duplicate.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert run_dag(AUTO).state == "success"
    assert not logged(caplog, logging.WARNING), logged(caplog)
    sent_lines = sorted(m.split(" to ")[0] for m in logged(caplog) if "edge(s) sent" in m)
    assert sent_lines == [f"openmetadata lineage: task {AUTO}.build_category_revenue: 3 edge(s) sent",
                          f"openmetadata lineage: task {AUTO}.build_film_revenue: 4 edge(s) sent"]
    assert len(store.lineage) == 7


SHAPES_DAG = textwrap.dedent('''
    from datetime import datetime, timezone

    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
    from airflow.sdk import DAG
    from airflow_openmetadata_lineage import om_table

    SQL = {
        "insert_joins": """
            INSERT INTO analytics.film_lang (film_id, title, language)
            SELECT f.film_id, f.title, l.name FROM public.film f JOIN public.language l ON l.language_id = f.language_id
            WHERE f.film_id <= 10""",
        "ctas": """DROP TABLE IF EXISTS analytics.actor_names;
            CREATE TABLE analytics.actor_names AS SELECT a.actor_id, upper(a.last_name) AS last_name FROM actor a""",
        "update_from": """UPDATE analytics.film_lang fl SET title = f.description FROM public.film f
            WHERE f.film_id = fl.film_id""",
        "delete_using": "DELETE FROM analytics.film_lang fl USING public.language l WHERE l.name = 'Klingon' AND fl.language = l.name",
        "temp_table": """
            CREATE TEMP TABLE big_payers AS SELECT p.customer_id, sum(p.amount) AS total FROM payment p GROUP BY p.customer_id;
            INSERT INTO analytics.customer_totals (customer_id, email, total)
            SELECT c.customer_id, c.email, b.total FROM big_payers b JOIN customer c ON c.customer_id = b.customer_id;
            DROP TABLE big_payers""",
        "cte": """
            WITH per_store AS (SELECT st.store_id, count(st.staff_id) AS n FROM staff st GROUP BY st.store_id)
            INSERT INTO analytics.store_staff (store_id, n) SELECT s.store_id, p.n FROM store s JOIN per_store p ON p.store_id = s.store_id""",
        "select_only": "SELECT count(*) FROM film",
        "missing_table": """
            CREATE TABLE IF NOT EXISTS analytics.not_catalogued (id int);
            INSERT INTO analytics.not_catalogued (id) SELECT film_id FROM film;
            INSERT INTO analytics.store_staff (store_id, n) SELECT store_id, 0 FROM store WHERE false""",
        "unparseable": """
            DO $$ BEGIN PERFORM 1; END $$;
            INSERT INTO analytics.film_lang (film_id, title, language) SELECT film_id, title, 'x' FROM film WHERE false""",
        "declared_and_sql": """INSERT INTO analytics.store_staff (store_id, n) SELECT store_id, 1 FROM store WHERE false""",
        "opted_out": """INSERT INTO analytics.store_staff (store_id, n) SELECT store_id, 2 FROM store WHERE false""",
    }

    with DAG("auto_lineage_shapes", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
        previous = None
        for task_id, sql in SQL.items():
            extra = {}
            if task_id == "declared_and_sql":
                extra = {"inlets": [om_table("pagila_postgres.pagila.public.category")],
                         "outlets": [om_table("pagila_postgres.pagila.analytics.store_staff")]}
            if task_id == "opted_out":
                extra = {"params": {"openmetadata_sql_lineage": False}}
            task = SQLExecuteQueryOperator(task_id=task_id, conn_id="pagila_postgres", sql=sql, **extra)
            if previous is not None:
                previous >> task
            previous = task
''')

TARGETS = """
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE TABLE analytics.film_lang (film_id int, title text, language text);
CREATE TABLE analytics.actor_names (actor_id int, last_name text);
CREATE TABLE analytics.customer_totals (customer_id int, email text, total numeric);
CREATE TABLE analytics.store_staff (store_id int, n bigint);
"""


def run_file_dag(tmp_path, source: str, dag_id: str):
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    (tmp_path / f"{dag_id}.py").write_text(source)
    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(str(tmp_path))
    assert not bag.import_errors, bag.import_errors
    sync_bag_to_db(bag, bundle_name="dags-folder", bundle_version=None)
    return bag.dags[dag_id].test()


def test_sql_shapes(auto_env, pagila_db, tmp_path, caplog):
    store = auto_env.store
    pagila_db.psql(TARGETS, database="pagila")
    assert run_dag("catalog_pagila").state == "success"
    with caplog.at_level(logging.INFO, logger=LOGGER):
        run = run_file_dag(tmp_path, SHAPES_DAG, "auto_lineage_shapes")
    assert str(run.state) == "success", {ti.task_id: ti.state for ti in run.get_task_instances()}
    text = "\n".join(logged(caplog))
    assert not logged(caplog, logging.ERROR), text

    def p(table: str) -> str:
        return f"{SCHEMA}.public.{table}"

    def a(table: str) -> str:
        return f"{SCHEMA}.analytics.{table}"

    by_target: dict[str, set[str]] = {}
    details = {}
    for edge in store.lineage.values():
        src, dst = edge["fromEntity"]["fullyQualifiedName"], edge["toEntity"]["fullyQualifiedName"]
        by_target.setdefault(dst, set()).add(src)
        details[(src, dst)] = edge["lineageDetails"]
    # insert_joins, update_from, delete_using, unparseable's second statement: into film_lang
    assert by_target[a("film_lang")] == {p("film"), p("language")}
    assert by_target[a("actor_names")] == {p("actor")}  # ctas
    assert by_target[a("customer_totals")] == {p("payment"), p("customer")}  # through the temp table
    assert by_target[a("store_staff")] == {p("store"), p("staff"), p("category")}  # cte, missing_table, declared
    assert set(by_target) == {a("film_lang"), a("actor_names"), a("customer_totals"), a("store_staff")}
    totals = details[(p("payment"), a("customer_totals"))]
    assert {c["toColumn"]: c["fromColumns"] for c in totals["columnsLineage"]} == {
        f"{a('customer_totals')}.total": [f"{p('payment')}.amount"]}
    assert "CREATE TEMP TABLE big_payers" in totals["sqlQuery"] and "INSERT INTO analytics.customer_totals" in totals["sqlQuery"]
    assert {c["toColumn"]: c["fromColumns"] for c in details[(p("customer"), a("customer_totals"))]["columnsLineage"]} == {
        f"{a('customer_totals')}.customer_id": [f"{p('customer')}.customer_id"],
        f"{a('customer_totals')}.email": [f"{p('customer')}.email"]}
    assert {c["toColumn"]: c["fromColumns"] for c in details[(p("actor"), a("actor_names"))]["columnsLineage"]} == {
        f"{a('actor_names')}.actor_id": [f"{p('actor')}.actor_id"],
        f"{a('actor_names')}.last_name": [f"{p('actor')}.last_name"]}
    # The declared task: only its declared edge (category -> store_staff), said in one line.
    assert "task auto_lineage_shapes.declared_and_sql: declares inlets and outlets: its declared edges are sent" in text
    assert "sqlQuery" not in details[(p("category"), a("store_staff"))]
    # Reports, by task.
    assert "task auto_lineage_shapes.select_only: 0 edge(s) from its SQL" in text
    assert ("task auto_lineage_shapes.missing_table: table pagila_postgres.pagila.analytics.not_catalogued is not "
            "in the OpenMetadata catalog yet") in text
    assert "task auto_lineage_shapes.missing_table: 1 edge(s) sent" in text
    assert "task auto_lineage_shapes.unparseable: statement 1 ('DO $$ BEGIN PERFORM 1; END $$;') could not be parsed" in text
    assert "task auto_lineage_shapes.unparseable: 1 edge(s) sent" in text
    assert "auto_lineage_shapes.opted_out" not in text  # no call at all
    assert "auto_lineage_shapes.temp_table: 2 edge(s) from its SQL (3 statement(s))" in text


@pytest.mark.parametrize("scenario", ["down", "slow"])
def test_openmetadata_down_or_slow_leaves_the_task_as_it_was(scenario, auto_env, pagila_db, monkeypatch, caplog):
    from tests.support.postgres import free_port

    if scenario == "down":
        import json

        monkeypatch.setenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", json.dumps(
            {"conn_type": "http", "schema": "http", "host": "127.0.0.1", "port": free_port(), "password": "x"}))
    else:
        auto_env.faults.add("*", r"/v1/", delay=5.0)
    monkeypatch.setenv("OPENMETADATA_LINEAGE_TIMEOUT_SECONDS", "1")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        started = time.monotonic()
        etl = run_dag(AUTO)
        seconds = time.monotonic() - started
    assert etl.state == "success", etl.task_states
    warnings = logged(caplog, logging.WARNING)
    assert len(warnings) == 2, warnings  # one per task
    expected = "OpenMetadata unavailable" if scenario == "down" else "did not finish within 1.0 s"
    assert all(expected in w for w in warnings), warnings
    # Two tasks, each bounded by 1 s of lineage; the run itself takes a few seconds.
    with caplog.at_level(logging.INFO, logger=LOGGER):
        monkeypatch.setenv("OPENMETADATA_LINEAGE_ENABLED", "false")
        started = time.monotonic()
        assert run_dag(AUTO).state == "success"
        disabled = time.monotonic() - started
    assert seconds - disabled < 2 * 1.0 + 1.5, (seconds, disabled)
