"""Pipeline and lineage routes (the Airflow connector / lineage runner flows)."""

from __future__ import annotations

from urllib.parse import quote

from emulator_helpers import table_request


def q(fqn: str) -> str:
    return quote(fqn, safe="")


def _pipeline(api) -> dict:
    r = api.put("services/pipelineServices", {"name": "airflow.local", "serviceType": "Airflow"})
    assert r.status_code == 201, r.text
    r = api.put(
        "pipelines",
        {
            "name": "daily_load",
            "service": r.json()["fullyQualifiedName"],
            "tasks": [{"name": "extract"}, {"name": "load", "downstreamTasks": []}],
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_pipeline_fqns_tasks_and_status(api):
    pipeline = _pipeline(api)
    assert pipeline["fullyQualifiedName"] == '"airflow.local".daily_load'
    assert pipeline["service"]["type"] == "pipelineService"
    assert pipeline["serviceType"] == "Airflow"
    assert [t["fullyQualifiedName"] for t in pipeline["tasks"]] == [
        '"airflow.local".daily_load.extract',
        '"airflow.local".daily_load.load',
    ]
    plain = api.get(f"pipelines/name/{q(pipeline['fullyQualifiedName'])}").json()
    assert "tasks" not in plain  # tasks is a requested field on the real server
    with_tasks = api.get(f"pipelines/name/{q(pipeline['fullyQualifiedName'])}", params={"fields": "tasks"}).json()
    assert len(with_tasks["tasks"]) == 2

    status = {
        "timestamp": 1700000000000,
        "executionStatus": "Successful",
        "taskStatus": [{"name": "extract", "executionStatus": "Successful"}],
    }
    r = api.put(f"pipelines/{q(pipeline['fullyQualifiedName'])}/status", status)
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == pipeline["id"] and body["pipelineStatus"]["executionStatus"] == "Successful"
    assert body["version"] == pipeline["version"]  # a status is not an entity change

    from metadata.generated.schema.entity.data.pipeline import Pipeline

    Pipeline.model_validate(body)  # add_pipeline_status parses the answer as a Pipeline

    listed = api.get(
        f"pipelines/{q(pipeline['fullyQualifiedName'])}/status", params={"startTs": 0, "endTs": 1800000000000}
    ).json()
    assert [s["timestamp"] for s in listed["data"]] == [1700000000000]
    bad = api.put(f"pipelines/{q(pipeline['fullyQualifiedName'])}/status", {"executionStatus": "Nope"})
    assert bad.status_code == 400 and "PipelineStatus" in bad.json()["message"]


def test_lineage_edges_are_upserted_and_read_back(api, schema_fqn):
    pipeline = _pipeline(api)
    src = api.put("tables", table_request(schema_fqn, "raw_orders")).json()
    dst = api.put("tables", table_request(schema_fqn, "orders")).json()
    mart = api.put("tables", table_request(schema_fqn, "orders_mart")).json()

    assert api.get(f"lineage/getLineageEdge/{src['id']}/{dst['id']}").status_code == 404

    def add(from_t, to_t, **details):
        body = {
            "edge": {
                "fromEntity": {"id": from_t["id"], "type": "table"},
                "toEntity": {"id": to_t["id"], "type": "table"},
                "lineageDetails": {
                    "pipeline": {"id": pipeline["id"], "type": "pipeline"},
                    "source": "PipelineLineage",
                    **details,
                },
            }
        }
        return api.put("lineage", body)

    r = add(src, dst, columnsLineage=[{"fromColumns": [src["columns"][0]["fullyQualifiedName"]], "toColumn": dst["columns"][0]["fullyQualifiedName"]}])
    assert r.status_code == 200
    assert add(src, dst, columnsLineage=[{"fromColumns": [src["columns"][0]["fullyQualifiedName"]], "toColumn": dst["columns"][0]["fullyQualifiedName"]}]).status_code == 200
    assert add(dst, mart).status_code == 200

    edge = api.get(f"lineage/getLineageEdge/{src['id']}/{dst['id']}").json()["edge"]
    assert edge["pipeline"]["fullyQualifiedName"] == pipeline["fullyQualifiedName"]
    assert edge["source"] == "PipelineLineage"
    assert len(edge["columnsLineage"]) == 1

    graph = api.get(f"lineage/table/name/{q(dst['fullyQualifiedName'])}", params={"upstreamDepth": 1, "downstreamDepth": 1}).json()
    assert graph["entity"]["id"] == dst["id"]
    assert graph["upstreamEdges"] == [
        {"fromEntity": src["id"], "toEntity": dst["id"], "lineageDetails": graph["upstreamEdges"][0]["lineageDetails"]}
    ]
    assert [e["toEntity"] for e in graph["downstreamEdges"]] == [mart["id"]]
    assert {n["id"] for n in graph["nodes"]} == {src["id"], mart["id"]}
    deep = api.get(f"lineage/table/{src['id']}", params={"upstreamDepth": 0, "downstreamDepth": 2}).json()
    assert len(deep["downstreamEdges"]) == 2 and deep["upstreamEdges"] == []

    from metadata.generated.schema.type.entityLineage import EntityLineage

    EntityLineage.model_validate(graph)

    # one edge per (fromId, toId), however often it is PUT
    assert len(api.session.get(api.url("lineage/table/" + src["id"])).json()["downstreamEdges"]) == 1

    # patch and delete
    ops = [{"op": "add", "path": "/description", "value": "nightly"}]
    assert api.patch(f"lineage/table/{src['id']}/table/{dst['id']}", ops).status_code == 200
    assert api.get(f"lineage/getLineageEdge/{src['id']}/{dst['id']}").json()["edge"]["description"] == "nightly"
    assert api.delete(f"lineage/table/{dst['id']}/table/{mart['id']}").status_code == 200
    assert api.get(f"lineage/getLineageEdge/{dst['id']}/{mart['id']}").status_code == 404


def test_lineage_validation(api, schema_fqn):
    t = api.put("tables", table_request(schema_fqn, "t")).json()
    missing = {
        "edge": {
            "fromEntity": {"id": t["id"], "type": "table"},
            "toEntity": {"id": "00000000-0000-4000-8000-000000000000", "type": "table"},
        }
    }
    r = api.put("lineage", missing)
    assert r.status_code == 404 and r.json()["code"] == 404
    r = api.put("lineage", {"edge": {"fromEntity": {"id": t["id"]}}})
    assert r.status_code == 400 and "AddLineageRequest" in r.json()["message"]


def test_table_pipeline_observability(api, schema_fqn):
    pipeline = _pipeline(api)
    table = api.put("tables", table_request(schema_fqn, "observed")).json()
    entry = {"pipeline": {"id": pipeline["id"], "type": "pipeline"}, "lastRunStatus": "Successful", "lastRunTime": 1}
    r = api.put(f"tables/{table['id']}/pipelineObservability", [entry])
    assert r.status_code == 200, r.text
    again = api.put(f"tables/{table['id']}/pipelineObservability", [{**entry, "lastRunTime": 2}]).json()
    assert [o["lastRunTime"] for o in again["pipelineObservability"]] == [2]
    assert again["version"] == table["version"]

    from metadata.generated.schema.entity.data.table import Table

    Table.model_validate(again)
