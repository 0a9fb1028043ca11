"""Lineage from SQL, up to the parser and the mapping (no database): the real SQL operator and the
real PostgreSQL / SQL Server hooks of the providers, their default-schema query stubbed.

The runs on a real PostgreSQL are in the repository's ``tests/e2e/test_auto_lineage.py``."""

from __future__ import annotations

import json
import logging

import pytest

from airflow_openmetadata_lineage import sql_lineage as sl
from airflow_openmetadata_lineage.assets import AssetServices
from airflow_openmetadata_lineage.config import LineageConfig
from airflow_openmetadata_lineage.gather import task_lineage

LOGGER = "airflow_openmetadata_lineage"


@pytest.fixture(autouse=True)
def connections(monkeypatch):
    from airflow.providers.microsoft.mssql.hooks.mssql import MsSqlHook
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    monkeypatch.setenv("AIRFLOW_CONN_WH", json.dumps(
        {"conn_type": "postgres", "host": "db.example", "port": 5433, "schema": "dw", "login": "u"}))
    monkeypatch.setenv("AIRFLOW_CONN_CORP", json.dumps(
        {"conn_type": "mssql", "host": "sql.example", "schema": "Sales", "login": "u"}))
    monkeypatch.setattr(PostgresHook, "get_openlineage_default_schema", lambda self: "public")
    monkeypatch.setattr(MsSqlHook, "get_openlineage_default_schema", lambda self: "dbo")


def operator(sql, conn_id="WH", **kwargs):
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
    from airflow.sdk import DAG

    with DAG(kwargs.pop("dag_id", "d"), schedule=None, tags=kwargs.pop("tags", [])):
        return SQLExecuteQueryOperator(task_id="t", conn_id=conn_id.lower(), sql=sql, **kwargs)


def edges(task, mapping=None, **config):
    got = task_lineage(task, dag_id="d", task_id="t", services=AssetServices(mapping=mapping or {}),
                       config=LineageConfig(**config))
    return got, {(e.source, e.target): dict(e.details) for e in got.edges}


def test_postgres_insert_select_maps_tables_and_columns_to_the_connections_service():
    got, found = edges(operator("""
        TRUNCATE analytics.film_revenue;
        INSERT INTO analytics.film_revenue (film_id, revenue)
        SELECT f.film_id, sum(p.amount) AS revenue FROM film f JOIN payment p ON p.film_id = f.film_id GROUP BY 1;
        SELECT 1"""))
    assert got.origin == "sql" and got.problems == ()
    assert set(found) == {("wh.dw.public.film", "wh.dw.analytics.film_revenue"),
                          ("wh.dw.public.payment", "wh.dw.analytics.film_revenue")}
    payment = found[("wh.dw.public.payment", "wh.dw.analytics.film_revenue")]
    assert payment["columnsLineage"] == [{"fromColumns": ["wh.dw.public.payment.amount"],
                                          "toColumn": "wh.dw.analytics.film_revenue.revenue"}]
    assert payment["sqlQuery"].startswith("INSERT INTO analytics.film_revenue") and "TRUNCATE" not in payment["sqlQuery"]


def test_the_asset_mapping_names_the_service_of_a_namespace():
    _, found = edges(operator("INSERT INTO b SELECT x FROM a"), mapping={"db.example:5433/dw": "warehouse"})
    assert set(found) == {("warehouse.dw.public.a", "warehouse.dw.public.b")}


def test_sql_server_temp_table_is_followed_through_and_names_keep_their_case():
    got, found = edges(operator("""
        SELECT o.Id, o.Amount INTO #stage FROM Stage.RawOrders o;
        INSERT INTO dbo.Orders (Id, Amount) SELECT s.Id, s.Amount FROM #stage s;
        DROP TABLE #stage""", conn_id="CORP"))
    assert set(found) == {("corp.Sales.Stage.RawOrders", "corp.Sales.dbo.Orders")}, got
    details = found[("corp.Sales.Stage.RawOrders", "corp.Sales.dbo.Orders")]
    assert {c["toColumn"]: c["fromColumns"] for c in details["columnsLineage"]} == {
        "corp.Sales.dbo.Orders.Amount": ["corp.Sales.Stage.RawOrders.Amount"],
        "corp.Sales.dbo.Orders.Id": ["corp.Sales.Stage.RawOrders.Id"]}
    assert "INTO #stage" in details["sqlQuery"]


def test_sql_server_namespace_uses_the_default_port_for_the_asset_mapping():
    _, found = edges(operator("INSERT INTO dbo.b SELECT x FROM dbo.a", conn_id="CORP"),
                     mapping={"sql.example:1433/Sales": "mssql_corp"})
    assert set(found) == {("mssql_corp.Sales.dbo.a", "mssql_corp.Sales.dbo.b")}


def test_postgres_temp_table_and_cte():
    _, found = edges(operator("""
        CREATE TEMPORARY TABLE t AS SELECT p.customer_id, p.amount FROM payment p;
        WITH c AS (SELECT customer_id, amount FROM t) INSERT INTO totals (customer_id, total)
        SELECT c.customer_id, c.amount FROM c"""))
    assert set(found) == {("wh.dw.public.payment", "wh.dw.public.totals")}


def test_unparseable_statement_is_a_problem_and_the_others_count():
    got, found = edges(operator("INSERT INTO b SELEC x FROMM a; INSERT INTO c SELECT y FROM a"))
    assert set(found) == {("wh.dw.public.a", "wh.dw.public.c")}
    assert len(got.problems) == 1 and got.problems[0].startswith("statement 1 ('INSERT INTO b SELEC x FROMM a;')")


def test_declared_inlets_and_outlets_win_and_say_so():
    from airflow_openmetadata_lineage import om_table

    task = operator("INSERT INTO b SELECT x FROM a", inlets=[om_table("s.d.public.x")], outlets=[om_table("s.d.public.y")])
    got, found = edges(task)
    assert got.origin == "declared" and set(found) == {("s.d.public.x", "s.d.public.y")}
    assert "declared lineage wins" in got.notes[0]


def test_outlets_only_is_no_declared_edge_so_the_sql_is_used():
    from airflow_openmetadata_lineage import table_asset

    task = operator("INSERT INTO b SELECT x FROM a", outlets=[table_asset(
        scheme="postgres", hostport="db.example:5433", database="dw", schema="public", table="b", service="wh")])
    got, found = edges(task)
    assert got.origin == "sql" and set(found) == {("wh.dw.public.a", "wh.dw.public.b")}
    assert "declares outlets only" in got.notes[0]


@pytest.mark.parametrize("how", ["setting", "tag", "task_param", "dag_param"])
def test_opt_outs(how):
    kwargs = {"tags": [sl.OPT_OUT_TAG]} if how == "tag" else {}
    if how == "task_param":
        kwargs["params"] = {sl.OPT_OUT_PARAM: False}
    task = operator("INSERT INTO b SELECT x FROM a", **kwargs)
    if how == "dag_param":
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
        from airflow.sdk import DAG

        with DAG("d2", schedule=None, params={sl.OPT_OUT_PARAM: False}):
            task = SQLExecuteQueryOperator(task_id="t", conn_id="wh", sql="INSERT INTO b SELECT x FROM a")
    config = {"sql_lineage": False} if how == "setting" else {}
    got, found = edges(task, **config)
    assert found == {} and got.origin == "declared"
    from airflow_openmetadata_lineage.gather import wants_sql_lineage

    assert not wants_sql_lineage(task, LineageConfig(**config))


def test_without_the_provider_the_automatic_part_is_off_with_one_log_line(monkeypatch, caplog):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "airflow.providers.openlineage" else real(name, *a))
    monkeypatch.setattr(sl, "_availability", {})
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(3):
            got, found = edges(operator("INSERT INTO b SELECT x FROM a"))
            assert found == {} and got.origin == "declared"
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(lines) == 1 and "the OpenLineage provider is not installed" in lines[0], lines


def test_a_hook_that_fails_is_one_problem_not_an_error(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_WH")
    got, found = edges(operator("INSERT INTO b SELECT x FROM a"))
    assert found == {} and got.problems and got.problems[0].startswith("its SQL was not parsed")


def test_a_task_without_sql_is_not_a_sql_task():
    from airflow.providers.standard.operators.python import PythonOperator

    assert not sl.is_sql_task(PythonOperator(task_id="p", python_callable=print))
    assert sl.is_sql_task(operator("SELECT 1"))


def test_the_default_schema_is_asked_of_the_database_only_for_unqualified_tables(monkeypatch):
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    asked = []
    monkeypatch.setattr(PostgresHook, "get_openlineage_default_schema", lambda self: asked.append(1) or "etl")
    _, found = edges(operator("INSERT INTO analytics.b SELECT x FROM public.a"))
    assert set(found) == {("wh.dw.public.a", "wh.dw.analytics.b")} and asked == []
    _, found = edges(operator("INSERT INTO analytics.b SELECT x FROM a; INSERT INTO c SELECT y FROM a"))
    assert set(found) == {("wh.dw.etl.a", "wh.dw.analytics.b"), ("wh.dw.etl.a", "wh.dw.etl.c")} and asked == [1]


def test_the_parser_is_the_extra_sql():
    from importlib.metadata import distribution

    meta = distribution("airflow-openmetadata-lineage").metadata
    assert "sql" in meta.get_all("Provides-Extra")
    wanted = [r for r in meta.get_all("Requires-Dist") if "extra == 'sql'" in r.replace('"', "'")]
    assert any(r.startswith("apache-airflow-providers-openlineage") for r in wanted), wanted


def sql_ti(sql):
    from types import SimpleNamespace

    task = operator(sql, conn_id="WAREHOUSE", dag_id="orders_sql")
    return SimpleNamespace(task=task, dag_id="orders_sql", task_id="t", run_id="r1", start_date=None,
                           _ti_context_from_server=None)


@pytest.mark.integration
def test_the_listener_sends_sql_lineage_on_success_and_the_state_on_failure(openmetadata, monkeypatch, caplog):
    """Through ``listener.handle`` against the emulator: the service is named like the connection
    (``warehouse``); on failure no SQL is parsed, no edge is sent, the Failed state is recorded."""
    from airflow_openmetadata_lineage import listener

    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", json.dumps(
        {"conn_type": "postgres", "host": "db", "port": 5432, "schema": "dw", "login": "u"}))
    sql = ("INSERT INTO public.orders (id) SELECT r.id FROM public.raw_orders r "
           "JOIN public.customers c ON c.id = r.id")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        listener.handle(sql_ti(sql), "success")
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any("task orders_sql.t: 2 edge(s) sent" in m for m in lines), lines
    edges = {(e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"]): e["lineageDetails"]
             for e in openmetadata.store.lineage.values()}
    assert set(edges) == {("warehouse.dw.public.raw_orders", "warehouse.dw.public.orders"),
                          ("warehouse.dw.public.customers", "warehouse.dw.public.orders")}
    raw = edges[("warehouse.dw.public.raw_orders", "warehouse.dw.public.orders")]
    assert raw["sqlQuery"] == sql + ";"
    assert [c["toColumn"] for c in raw["columnsLineage"]] == ["warehouse.dw.public.orders.id"]

    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        listener.handle(sql_ti("INSERT INTO public.orders SELECT * FROM public.nothing_parsed"), "failed")
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any("task orders_sql.t: 0 edge(s) sent" in m for m in lines), lines
    assert not any("from its SQL" in m for m in lines), lines
    import requests

    status = requests.get(f"{openmetadata.url}/v1/pipelines/name/datakit_airflow.orders_sql",
                          timeout=5).json()
    assert status["name"] == "orders_sql"
    runs = requests.get(f"{openmetadata.url}/v1/pipelines/datakit_airflow.orders_sql/status",
                        params={"startTs": 0, "endTs": 2**62}, timeout=5).json()["data"]
    assert runs[-1]["taskStatus"][0]["executionStatus"] == "Failed"
