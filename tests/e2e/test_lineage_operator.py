"""The explicit pattern: the SDK's OpenMetadataLineageOperator at the end of a real DAG run."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from tests.support.airflow_run import run_dag

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_sdk_lineage_operator_sends_dag_lineage(monkeypatch, pagila_db, om_connection, airflow_db):
    monkeypatch.setenv("OPENMETADATA_LINEAGE_ENABLED", "false")  # only the operator sends lineage here
    assert run_dag("catalog_pagila").state == "success"
    result = run_dag("pagila_explicit_lineage")
    assert result.state == "success", result.task_states
    assert result.xcoms["catalog_outputs"]["tables"] == ["pagila_postgres.pagila.analytics.store_revenue"]

    fqn = "pagila_postgres.pagila.analytics.store_revenue"
    graph = requests.get(f"{om_connection.url}/v1/lineage/table/name/{quote(fqn, safe='')}",
                         params={"upstreamDepth": 1, "downstreamDepth": 0}, timeout=10).json()
    nodes = {n["id"]: n["fullyQualifiedName"] for n in graph["nodes"]}
    upstream = {nodes[e["fromEntity"]] for e in graph["upstreamEdges"]}
    assert upstream == {f"pagila_postgres.pagila.public.{t}" for t in ("store", "staff", "payment")}
    assert {e["lineageDetails"]["pipeline"]["fullyQualifiedName"] for e in graph["upstreamEdges"]} == {
        "datakit_airflow.pagila_explicit_lineage"}
