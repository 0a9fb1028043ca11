"""include/datasets: the pagila table Assets carry their service, so a connection elsewhere costs nothing.

Issue 12's reproduction, without a database: ``pagila_postgres`` points at a PostgreSQL other
than ``pagila-db:5432``, ``DATAKIT_PAGILA_HOSTPORT`` is unset, no Asset mapping is configured.
Before, ``pagila_film_revenue``'s two tasks logged an ERROR for their Asset outlets and sent none
of their 7 edges; now every reference resolves, the 7 edges are sent, and the asset refresh maps
the Assets' URIs to the connection wherever it points.
"""

from __future__ import annotations

import json

import pytest
import requests
from airflow_openmetadata_lineage import send_task_lineage

from include.catalog import refresh
from include.datasets import pagila
from tests.support.airflow_run import load_dag

PUBLIC = ("film", "inventory", "rental", "payment", "film_category", "category")
ANALYTICS = ("film_revenue", "category_revenue")


@pytest.fixture
def elsewhere(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(
        {"conn_type": "postgres", "host": "10.1.2.3", "port": 6543, "login": "u", "schema": "pagila"}))
    monkeypatch.delenv("DATAKIT_PAGILA_HOSTPORT", raising=False)
    for name in ("ASSET_SERVICES", "ASSET_CONNECTIONS"):
        monkeypatch.delenv(f"OPENMETADATA_LINEAGE_{name}", raising=False)
        monkeypatch.delenv(f"DATAKIT_LINEAGE_{name}", raising=False)


def seed_pagila(api: str) -> None:
    def put(path: str, body: dict) -> None:
        requests.put(f"{api}/v1/{path}", json=body, timeout=5).raise_for_status()

    put("services/databaseServices", {"name": pagila.SERVICE, "serviceType": "Postgres", "connection": {
        "config": {"type": "Postgres", "username": "u", "hostPort": "10.1.2.3:6543", "database": "pagila"}}})
    put("databases", {"name": "pagila", "service": pagila.SERVICE})
    for schema, tables in (("public", PUBLIC), ("analytics", ANALYTICS)):
        put("databaseSchemas", {"name": schema, "database": f"{pagila.SERVICE}.pagila"})
        for table in tables:
            put("tables", {"name": table, "databaseSchema": f"{pagila.SERVICE}.pagila.{schema}",
                           "columns": [{"name": "id", "dataType": "INT"}]})


def test_the_assets_name_the_default_host_and_carry_the_service(elsewhere):
    assert pagila.FILM_REVENUE.uri == "postgres://pagila-db:5432/pagila/analytics/film_revenue"
    assert pagila.FILM_REVENUE.extra == {"openmetadata_service": "pagila_postgres"}


def test_all_seven_edges_of_the_etl_are_sent_with_the_connection_elsewhere(elsewhere, om_connection):
    seed_pagila(om_connection.url)
    dag = load_dag("pagila_film_revenue")
    reports = {task_id: send_task_lineage(dag.task_dict[task_id])
               for task_id in ("build_film_revenue", "build_category_revenue")}
    assert {t: r.unresolved for t, r in reports.items()} == {"build_film_revenue": [], "build_category_revenue": []}
    assert {t: len(r.edges) for t, r in reports.items()} == {"build_film_revenue": 4, "build_category_revenue": 3}
    assert len(om_connection.store.lineage) == 7


def test_the_asset_refresh_maps_the_assets_to_the_connection_wherever_it_points(elsewhere):
    plan = refresh.plan([a.uri for a in pagila.PRODUCED], refresh.asset_services())
    assert {conn: [t.table for t in tables] for conn, tables in plan.items()} == {
        "pagila_postgres": ["film_revenue", "category_revenue"]}
