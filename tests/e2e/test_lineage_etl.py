"""pagila_film_revenue end to end: real SQL on pagila, the lineage listener, the data-aware refresh.

After one ETL run (and the refresh its Assets trigger) OpenMetadata knows the new
analytics tables and their upstream edges, annotated with the pipeline.

This is also issue 12's reproduction: ``pagila_postgres`` points at a PostgreSQL other than
``pagila-db:5432`` (a throwaway cluster on 127.0.0.1), ``DATAKIT_PAGILA_HOSTPORT`` is unset and
no Asset mapping is configured. The table Assets carry their service, so every edge is sent.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
import requests

from tests.support.airflow_run import run_dag

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCHEMA = "pagila_postgres.pagila"
LOGGER = "airflow_openmetadata_lineage"
ASSETS = ["postgres://pagila-db:5432/pagila/analytics/film_revenue",
          "postgres://pagila-db:5432/pagila/analytics/category_revenue"]


def lineage(api: str, fqn: str) -> dict:
    response = requests.get(f"{api}/v1/lineage/table/name/{quote(fqn, safe='')}",
                            params={"upstreamDepth": 1, "downstreamDepth": 1},
                            headers={"Authorization": "Bearer test-jwt-not-a-secret"}, timeout=10)
    response.raise_for_status()
    return response.json()


def upstream_names(graph: dict) -> set[str]:
    nodes = {n["id"]: n["fullyQualifiedName"] for n in graph.get("nodes") or []}
    nodes[graph["entity"]["id"]] = graph["entity"]["fullyQualifiedName"]
    return {nodes[e["fromEntity"]] for e in graph.get("upstreamEdges") or []}


@pytest.fixture
def lineage_env(monkeypatch, pagila_db, om_connection, airflow_db):
    # The DAG's Assets name the compose host (pagila-db:5432), the connection a local cluster:
    # nothing maps one to the other but the service the Assets carry.
    monkeypatch.delenv("DATAKIT_PAGILA_HOSTPORT", raising=False)
    for name in ("ASSET_SERVICES", "ASSET_CONNECTIONS"):
        monkeypatch.delenv(f"OPENMETADATA_LINEAGE_{name}", raising=False)
        monkeypatch.delenv(f"DATAKIT_LINEAGE_{name}", raising=False)
    monkeypatch.setenv("OPENMETADATA_LINEAGE_ENABLED", "true")
    assert "pagila-db" not in pagila_db.airflow_conn_json("pagila")
    return om_connection


def test_etl_lineage_is_complete_after_one_run(lineage_env, pagila_db, caplog):
    api = lineage_env.url
    assert run_dag("catalog_pagila").state == "success"

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        etl = run_dag("pagila_film_revenue")
    assert etl.state == "success", etl.task_states
    assert int(pagila_db.psql("select count(*) from analytics.film_revenue", database="pagila")) == 1000
    assert int(pagila_db.psql("select count(*) from analytics.category_revenue", database="pagila")) == 16
    # New output tables are not catalogued yet: named warning, nothing failed.
    assert "table pagila_postgres.pagila.analytics.film_revenue is not in the OpenMetadata catalog yet" in caplog.text
    assert not [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.ERROR], caplog.text

    refresh = run_dag("catalog_refresh_assets", conf={
        "asset_uris": ASSETS,
        "producers": ["pagila_film_revenue.build_film_revenue", "pagila_film_revenue.build_category_revenue"],
    })
    assert refresh.state == "success", refresh.task_states
    assert sorted(refresh.xcoms["refresh_tables"]["tables"]) == [
        f"{SCHEMA}.analytics.category_revenue", f"{SCHEMA}.analytics.film_revenue"]

    graph = lineage(api, f"{SCHEMA}.analytics.film_revenue")
    assert upstream_names(graph) == {f"{SCHEMA}.public.{t}" for t in ("film", "inventory", "rental", "payment")}
    for edge in graph["upstreamEdges"]:
        pipeline = edge["lineageDetails"]["pipeline"]
        assert pipeline["fullyQualifiedName"] == "datakit_airflow.pagila_film_revenue"
        assert edge["lineageDetails"]["source"] == "PipelineLineage"
    downstream = lineage(api, f"{SCHEMA}.analytics.category_revenue")
    assert upstream_names(downstream) == {f"{SCHEMA}.analytics.film_revenue", f"{SCHEMA}.public.film_category",
                                          f"{SCHEMA}.public.category"}
    edges_before = len(lineage_env.store.lineage)
    assert edges_before == 7  # 4 into film_revenue, 3 into category_revenue

    # Re-run the ETL: the listener now finds every table and sends all 7 edges; no duplicates.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert run_dag("pagila_film_revenue").state == "success"
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    sent = [m.split(" to ")[0] for m in messages if "edge(s) sent" in m]
    assert sorted(sent) == ["openmetadata lineage: task pagila_film_revenue.build_category_revenue: 3 edge(s) sent",
                            "openmetadata lineage: task pagila_film_revenue.build_film_revenue: 4 edge(s) sent"], messages
    assert not [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING], messages
    again = lineage(api, f"{SCHEMA}.analytics.film_revenue")
    assert len(again["upstreamEdges"]) == 4
    assert len(lineage_env.store.lineage) == edges_before

    statuses = requests.get(
        f"{api}/v1/pipelines/{quote('datakit_airflow.pagila_film_revenue', safe='')}/status",
        params={"startTs": 0, "endTs": 2**62}, headers={"Authorization": "Bearer x"}, timeout=10).json()["data"]
    assert statuses, "the listener records run statuses"
    assert {t["name"] for t in statuses[-1]["taskStatus"]} == {"build_film_revenue", "build_category_revenue"}
    assert statuses[-1]["executionStatus"] == "Successful"
