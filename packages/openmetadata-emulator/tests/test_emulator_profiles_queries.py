"""Table profiles, profiler config, sample data, queries by checksum and table joins.

Each test's docstring names what of the real server (open-metadata/OpenMetadata) it pins.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from emulator_helpers import table_request


def q(fqn: str) -> str:
    return quote(fqn, safe="")


def _table(api, schema_fqn: str, name: str = "orders") -> dict:
    r = api.put("tables", table_request(schema_fqn, name, columns=("id", "email")))
    assert r.status_code in (200, 201), r.text
    return r.json()


def _profile(ts: int, rows: int, email_nulls: int) -> dict:
    return {
        "tableProfile": {"timestamp": ts, "rowCount": rows, "columnCount": 2},
        "columnProfile": [
            {"name": "id", "timestamp": ts, "nullCount": 0, "min": 1, "max": rows},
            {"name": "email", "timestamp": ts, "nullCount": email_nulls},
        ],
    }


def test_table_profile_put_latest_and_series(api, schema_fqn):
    """TableResource.addDataProfiler: ``PUT /tables/{id}/tableProfile`` takes a
    CreateTableProfileRequest and answers the Table; ``GET /tables/{fqn}/tableProfile/latest`` puts
    the latest profile on the table and its columns; ``GET /tables/{fqn}/tableProfile`` and
    ``/columnProfile`` (startTs/endTs, both @NotNull for columns) answer ResultLists, newest first;
    a re-sent timestamp replaces its row (time-series extension rows keyed by timestamp)."""
    table = _table(api, schema_fqn)
    r = api.put(f"tables/{table['id']}/tableProfile", _profile(1000, 10, 2))
    assert r.status_code == 200, r.text
    assert r.json()["id"] == table["id"] and r.json()["profile"]["rowCount"] == 10
    assert r.json()["version"] == table["version"]  # profiles are not entity versions
    api.put(f"tables/{table['id']}/tableProfile", _profile(2000, 12, 3))
    api.put(f"tables/{table['id']}/tableProfile", _profile(2000, 13, 3))  # same timestamp: replaced

    latest = api.get(f"tables/{q(table['fullyQualifiedName'])}/tableProfile/latest").json()
    assert latest["profile"]["rowCount"] == 13
    columns = {c["name"]: c for c in latest["columns"]}
    assert columns["email"]["profile"]["nullCount"] == 3 and columns["id"]["profile"]["max"] == 13
    no_columns = api.get(f"tables/{q(table['fullyQualifiedName'])}/tableProfile/latest",
                         params={"includeColumnProfile": "false"}).json()
    assert "profile" not in no_columns["columns"][0]

    series = api.get(f"tables/{q(table['fullyQualifiedName'])}/tableProfile",
                     params={"startTs": 0, "endTs": 5000}).json()
    assert [p["rowCount"] for p in series["data"]] == [13, 10]
    column_fqn = columns["email"]["fullyQualifiedName"]
    email = api.get(f"tables/{q(column_fqn)}/columnProfile", params={"startTs": 1500, "endTs": 5000}).json()
    assert [p["nullCount"] for p in email["data"]] == [3]
    assert api.get(f"tables/{q(column_fqn)}/columnProfile").status_code == 400


def test_table_profile_rejects_bad_bodies_and_unknown_columns(api, schema_fqn):
    """TableRepository.addTableProfileData validates each column profile's name against the
    table's columns (``Invalid column name``); the body is a CreateTableProfileRequest."""
    table = _table(api, schema_fqn)
    bad = _profile(1000, 1, 0)
    bad["columnProfile"][0]["name"] = "nope"
    r = api.put(f"tables/{table['id']}/tableProfile", bad)
    assert r.status_code == 400 and "Invalid column name nope" in r.json()["message"]
    r = api.put(f"tables/{table['id']}/tableProfile", {"tableProfile": {"rowCount": 1}})
    assert r.status_code == 400 and "CreateTableProfileRequest" in r.json()["message"]
    r = api.put("tables/00000000-0000-0000-0000-000000000000/tableProfile", _profile(1, 1, 0))
    assert r.status_code == 404


def test_profiler_config_and_sample_data(api, schema_fqn):
    """TableResource: ``PUT|GET|DELETE /tables/{id}/tableProfilerConfig`` (TableProfilerConfig,
    answered on the table) and ``PUT|GET /tables/{id}/sampleData`` (TableData; columns must be
    the table's)."""
    table = _table(api, schema_fqn)
    r = api.put(f"tables/{table['id']}/tableProfilerConfig", {"sampleDataCount": 10, "excludeColumns": ["email"]})
    assert r.status_code == 200 and r.json()["tableProfilerConfig"]["excludeColumns"] == ["email"]
    assert api.get(f"tables/{table['id']}/tableProfilerConfig").json()["tableProfilerConfig"]["sampleDataCount"] == 10
    assert "tableProfilerConfig" not in api.delete(f"tables/{table['id']}/tableProfilerConfig").json()
    assert api.put(f"tables/{table['id']}/tableProfilerConfig", {"excludeColumns": ["x"]}).status_code == 400

    assert "sampleData" not in api.get(f"tables/{table['id']}/sampleData").json()
    sample = {"columns": ["id", "email"], "rows": [[1, "a@example.com"]]}
    assert api.put(f"tables/{table['id']}/sampleData", sample).json()["sampleData"] == sample
    assert api.get(f"tables/{table['id']}/sampleData").json()["sampleData"]["rows"] == [[1, "a@example.com"]]
    assert api.put(f"tables/{table['id']}/sampleData", {"columns": ["zz"], "rows": []}).status_code == 400


def test_queries_by_checksum_usage_and_users(api, schema_fqn):
    """QueryRepository.prepare: checksum = MD5 of the query text, name = checksum, FQN
    ``<service>.<checksum>``; PUT of the same text is the same Query; ``PUT /queries/{id}/usage``
    adds queryUsedIn (EntityReferences), ``/usedBy`` names; ``GET /queries?entityId=`` lists the
    queries used in an entity (QueryResource)."""
    table = _table(api, schema_fqn)
    text = "select * from orders"
    digest = hashlib.md5(text.encode()).hexdigest()
    assert api.get(f"queries/name/{q('svc.' + digest)}").status_code == 404
    r = api.put("queries", {"query": text, "service": "svc", "queryDate": 1700000000000, "dialect": "postgres"})
    assert r.status_code == 201, r.text
    query = r.json()
    assert query["checksum"] == digest and query["fullyQualifiedName"] == f"svc.{digest}"
    assert "dialect" not in query and query["service"]["name"] == "svc"  # request-only fields are not stored
    again = api.put("queries", {"query": text, "service": "svc", "queryDate": 1700000000000})
    assert again.status_code == 200 and again.json()["id"] == query["id"]
    assert api.get(f"queries/name/{q('svc.' + digest)}").json()["id"] == query["id"]

    ref = [{"id": table["id"], "type": "table"}]
    used = api.put(f"queries/{query['id']}/usage", ref).json()
    assert [r["fullyQualifiedName"] for r in used["queryUsedIn"]] == [table["fullyQualifiedName"]]
    assert api.put(f"queries/{query['id']}/usedBy", ["etl_user"]).json()["usedBy"] == ["etl_user"]
    assert api.put(f"queries/{query['id']}/users", ["nobody.here"]).status_code == 404
    listed = api.get("queries", params={"entityId": table["id"]}).json()["data"]
    assert [x["id"] for x in listed] == [query["id"]]
    assert api.put("queries", {"service": "svc"}).status_code == 400
    assert api.put("queries", {"query": text, "service": "missing"}).status_code == 404


def test_table_joins_sum_per_day(api, schema_fqn):
    """TableRepository.addJoins: ``PUT /tables/{id}/joins`` (TableJoins) stores per-day join
    counts (a re-sent day replaces that day) and answers the table's joins summed over the
    window; joined tables and columns must exist."""
    orders, users = _table(api, schema_fqn, "orders"), _table(api, schema_fqn, "users")
    day = {"startDate": "2026-11-30", "dayCount": 1,
           "columnJoins": [{"columnName": "id", "joinedWith": [
               {"fullyQualifiedName": f"{users['fullyQualifiedName']}.id", "joinCount": 2}]}],
           "directTableJoins": [{"fullyQualifiedName": users["fullyQualifiedName"], "joinCount": 2}]}
    r = api.put(f"tables/{orders['id']}/joins", day)
    assert r.status_code == 200, r.text
    api.put(f"tables/{orders['id']}/joins", day)  # same day again: not double counted
    summed = api.put(f"tables/{orders['id']}/joins", dict(day, startDate="2026-11-29")).json()
    assert summed["directTableJoins"] == [{"fullyQualifiedName": users["fullyQualifiedName"], "joinCount": 4}]
    bad = dict(day, directTableJoins=[{"fullyQualifiedName": "svc.db.sch.ghost", "joinCount": 1}])
    assert api.put(f"tables/{orders['id']}/joins", bad).status_code == 404


def test_queries_bulk_upserts_by_checksum(api, schema_fqn):
    """EntityResource bulk create-or-update (``PUT /queries/bulk``, the metadata-rest sink's query
    buffer): a BulkOperationResult; the same text twice is one Query; a bad item fails alone."""
    text = "insert into a select * from b"
    body = [{"query": text, "service": "svc"}, {"query": text, "service": "svc"}, {"service": "svc"}]
    r = api.put("queries/bulk", body)
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["status"], result["numberOfRowsPassed"], result["numberOfRowsFailed"]) == ("partialSuccess", 2, 1)
    digest = hashlib.md5(text.encode()).hexdigest()
    assert [s["request"] for s in result["successRequest"]] == [f"svc.{digest}"] * 2
    from metadata.generated.schema.type.bulkOperationResult import BulkOperationResult

    BulkOperationResult.model_validate(result)
