"""HTTP contract of the OpenMetadata API emulator (what the SDK relies on)."""

from __future__ import annotations

import logging
from importlib.metadata import version as dist_version
from urllib.parse import quote

import requests

from emulator_helpers import Api, make_hierarchy, table_request


def q(fqn: str) -> str:
    """URL-quote an FQN the way the SDK does (``quote(fqn, safe="")``)."""
    return quote(fqn, safe="")


# --------------------------------------------------------------------------- system


def test_version_matches_the_sdk_major_minor(api):
    r = api.get("system/version")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    server = r.json()["version"]
    client = dist_version("openmetadata-ingestion")
    assert server.split(".")[:2] == client.split(".")[:2]
    assert len(server.split(".")) == 3


def test_keep_alive_reuses_one_connection(om_emulator):
    session = requests.Session()
    sockets = set()
    for _ in range(5):
        r = session.get(om_emulator.url + "/v1/system/version", stream=True)
        sockets.add(id(r.raw._connection.sock))  # noqa: SLF001 - the pooled socket object
        r.content  # noqa: B018 - consume so the connection goes back to the pool
        assert r.headers["Content-Length"] == str(len(r.content))
    assert len(sockets) == 1


def test_unknown_route_is_501_json_and_logged(om_emulator, api, caplog):
    with caplog.at_level(logging.WARNING, logger="openmetadata_emulator"):
        r = api.get("nothingHere/at/all")
        r2 = api.post("system/version")  # known path, unknown method
    assert r.status_code == 501
    assert r.json() == {
        "code": 501,
        "message": "openmetadata-emulator: unknown route GET /api/v1/nothingHere/at/all",
    }
    assert r2.status_code == 501 and "POST /api/v1/system/version" in r2.json()["message"]
    logged = [rec for rec in caplog.records if rec.name == "openmetadata_emulator" and rec.levelno == logging.WARNING]
    assert any("unknown route GET /api/v1/nothingHere/at/all" in rec.getMessage() for rec in logged)
    assert ("GET", "/api/v1/nothingHere/at/all") in om_emulator.unknown_routes
    assert ("GET", "/api/v1/nothingHere/at/all", 501) in om_emulator.requests_log


def test_not_found_is_json_404_with_code(api, schema_fqn):
    r = api.get(f"tables/name/{q(schema_fqn + '.missing')}")
    assert r.status_code == 404
    assert r.json()["code"] == 404 and "not found" in r.json()["message"]
    assert api.get("tables/00000000-0000-4000-8000-000000000000").status_code == 404


def test_token_is_required_when_configured(om_emulator_factory):
    emulator = om_emulator_factory(token="s3cret.jwt.token")
    anonymous = Api(emulator.url)
    wrong = Api(emulator.url, token="nope")
    right = Api(emulator.url, token="s3cret.jwt.token")
    for client in (anonymous, wrong):
        r = client.get("system/version")
        assert r.status_code == 401
        assert r.json()["code"] == 401 and r.json()["message"]
    assert right.get("system/version").status_code == 200


def test_test_connection_definitions_have_the_sdk_step_names(api):
    pg = api.get("services/testConnectionDefinitions/name/Postgres.testConnectionDefinition").json()
    steps = {s["name"]: s["mandatory"] for s in pg["steps"]}
    assert steps == {
        "CheckAccess": True,
        "GetDatabases": True,
        "GetSchemas": True,
        "GetTables": True,
        "GetViews": False,
        "GetTags": False,
        "GetQueries": False,
    }
    mssql = api.get("services/testConnectionDefinitions/name/Mssql.testConnectionDefinition").json()
    assert [s["name"] for s in mssql["steps"]][:4] == ["CheckAccess", "GetDatabases", "GetSchemas", "GetTables"]
    other = api.get("services/testConnectionDefinitions/name/Snowflake.testConnectionDefinition").json()
    assert other["steps"] and other["steps"][0]["name"] == "CheckAccess"


def test_profiler_settings(api):
    r = api.get("system/settings/profilerConfiguration")
    assert r.status_code == 200
    assert r.json()["config_type"] == "profilerConfiguration"


# --------------------------------------------------------------------------- validation


def test_invalid_create_table_is_400_naming_model_and_field(api, schema_fqn):
    r = api.put("tables", {"name": "t", "databaseSchema": schema_fqn})  # no columns
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == 400
    assert "CreateTableRequest" in body["message"] and "columns" in body["message"]

    r = api.put("tables", {"name": "t", "databaseSchema": schema_fqn, "columns": "not-a-list"})
    assert r.status_code == 400 and "columns" in r.json()["message"]

    bad_type = table_request(schema_fqn, "t")
    bad_type["columns"][0]["dataType"] = "NOT_A_TYPE"
    r = api.put("tables", bad_type)
    assert r.status_code == 400 and "dataType" in r.json()["message"]

    r = api.put("tables", table_request(schema_fqn, "t", extraField=1))
    assert r.status_code == 400 and "extraField" in r.json()["message"]


def test_missing_parent_is_404(api):
    r = api.put("tables", table_request("svc.db.nope", "t"))
    assert r.status_code == 404
    assert "databaseSchema instance for svc.db.nope not found" == r.json()["message"]


def test_invalid_json_is_400(om_emulator):
    r = requests.put(om_emulator.url + "/v1/tables", data=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == 400


# --------------------------------------------------------------------------- entities and FQNs


def test_put_then_get_shapes_the_entity_like_the_server(api, schema_fqn):
    r = api.put("tables", table_request(schema_fqn, "orders", tableType="Regular", description="d"))
    assert r.status_code == 201
    table = r.json()
    assert table["fullyQualifiedName"] == "svc.db.sch.orders"
    assert table["version"] == 0.1 and table["deleted"] is False
    assert table["updatedBy"] and isinstance(table["updatedAt"], int)
    assert table["href"].endswith("/api/v1/tables/" + table["id"])
    assert table["service"] == {
        "id": table["service"]["id"],
        "type": "databaseService",
        "name": "svc",
        "fullyQualifiedName": "svc",
    }
    assert table["database"]["fullyQualifiedName"] == "svc.db" and table["database"]["type"] == "database"
    assert table["databaseSchema"]["fullyQualifiedName"] == "svc.db.sch"
    assert table["serviceType"] == "Postgres"
    assert [c["fullyQualifiedName"] for c in table["columns"]] == ["svc.db.sch.orders.id", "svc.db.sch.orders.name"]
    got = api.get(f"tables/name/{q('svc.db.sch.orders')}").json()
    assert got["id"] == table["id"]
    assert api.get(f"tables/{table['id']}").json()["fullyQualifiedName"] == "svc.db.sch.orders"


def test_nested_column_fqns(api, schema_fqn):
    body = table_request(schema_fqn, "nested")
    body["columns"].append(
        {
            "name": "payload",
            "dataType": "STRUCT",
            "children": [{"name": "inner.part", "dataType": "STRUCT", "children": [{"name": "leaf", "dataType": "INT"}]}],
        }
    )
    table = api.put("tables", body).json()
    payload = table["columns"][2]
    assert payload["fullyQualifiedName"] == "svc.db.sch.nested.payload"
    assert payload["children"][0]["fullyQualifiedName"] == 'svc.db.sch.nested.payload."inner.part"'
    assert payload["children"][0]["children"][0]["fullyQualifiedName"] == 'svc.db.sch.nested.payload."inner.part".leaf'


def test_fqn_quoting_with_dots_and_quotes(api):
    from metadata.utils import fqn as sdk_fqn  # the SDK's own FQN rules

    schema = make_hierarchy(api, service="my.svc", database="db.prod", schema="sch.ema")
    assert schema == sdk_fqn._build("my.svc", "db.prod", "sch.ema") == '"my.svc"."db.prod"."sch.ema"'

    # A table name with '"' is encoded by the SDK's CreateTableRequest validator, as the
    # SDK client does before sending; '.' makes the part quoted.
    r = api.put("tables", table_request(schema, 'we"ird.name'))
    assert r.status_code == 201, r.text
    table = r.json()
    expected = sdk_fqn._build("my.svc", "db.prod", "sch.ema", "we__reserved__quote__ird.name")
    assert table["fullyQualifiedName"] == expected == '"my.svc"."db.prod"."sch.ema"."we__reserved__quote__ird.name"'
    assert sdk_fqn.split(table["fullyQualifiedName"])[-1] == '"we__reserved__quote__ird.name"'

    got = api.get(f"tables/name/{q(expected)}")
    assert got.status_code == 200 and got.json()["id"] == table["id"]
    # list filters take the URL-quoted FQN too
    listed = api.get("tables", params={"databaseSchema": schema}).json()
    assert [t["id"] for t in listed["data"]] == [table["id"]]
    # a service filter takes the raw service name (the server matches by name)
    assert api.get("databases", params={"service": "my.svc"}).json()["paging"]["total"] == 1

    # Create requests (except services) encode '"' in names (SDK validator), so the FQN
    # part is the encoded name, quoted because it contains '.'
    r = api.put("databaseSchemas", {"name": '"quoted.name"', "database": '"my.svc"."db.prod"'})
    assert r.status_code == 201
    encoded = "__reserved__quote__quoted.name__reserved__quote__"
    assert r.json()["fullyQualifiedName"] == sdk_fqn._build("my.svc", "db.prod", encoded)
    # service names are not encoded: quote_name refuses a stray '"' and so does the server
    r = api.put("services/databaseServices", {"name": 'bad"name', "serviceType": "Postgres"})
    assert r.status_code == 400 and r.json()["code"] == 400 and "Invalid name" in r.json()["message"]
    # a service name already wrapped in quotes is kept as is
    r = api.put("services/databaseServices", {"name": '"wrapped.svc"', "serviceType": "Postgres"})
    assert r.status_code == 201 and r.json()["fullyQualifiedName"] == '"wrapped.svc"'
    wrapped = q('"wrapped.svc"')
    assert api.get(f"services/databaseServices/name/{wrapped}").status_code == 200


def test_idempotent_upsert_and_versions(api, schema_fqn):
    first = api.put("tables", table_request(schema_fqn, "t1"))
    assert first.status_code == 201
    again = api.put("tables", table_request(schema_fqn, "t1"))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["version"] == 0.1
    assert again.json()["updatedAt"] == first.json()["updatedAt"]

    changed = api.put("tables", table_request(schema_fqn, "t1", description="now documented")).json()
    assert changed["id"] == first.json()["id"]
    assert changed["version"] == 0.2
    assert changed["description"] == "now documented"
    assert {"name": "description", "newValue": "now documented"} in changed["changeDescription"]["fieldsAdded"]

    # omitting the description does not wipe it, and is not a change
    kept = api.put("tables", table_request(schema_fqn, "t1")).json()
    assert kept["version"] == 0.2 and kept["description"] == "now documented"

    # the fingerprint alone is stored without a new version ...
    hashed = api.put("tables", table_request(schema_fqn, "t1", sourceHash="h1")).json()
    assert hashed["version"] == 0.2
    assert api.get("tables/name/svc.db.sch.t1", params={"fields": "sourceHash"}).json()["sourceHash"] == "h1"
    # ... and an equal sourceHash means "unchanged" even if other fields differ
    same_hash = api.put("tables", table_request(schema_fqn, "t1", sourceHash="h1", description="ignored")).json()
    assert same_hash["version"] == 0.2 and same_hash["description"] == "now documented"
    new_hash = api.put("tables", table_request(schema_fqn, "t1", sourceHash="h2", description="changed")).json()
    assert new_hash["version"] == 0.3 and new_hash["description"] == "changed"


def test_post_creates_once_then_conflicts(api, schema_fqn):
    assert api.post("tables", table_request(schema_fqn, "p1")).status_code == 201
    r = api.post("tables", table_request(schema_fqn, "p1"))
    assert r.status_code == 409 and r.json()["code"] == 409


def test_fields_gating(api, schema_fqn):
    body = table_request(
        schema_fqn,
        "gated",
        tableConstraints=[{"constraintType": "PRIMARY_KEY", "columns": ["id"]}],
        tags=[{"tagFQN": "PII.Sensitive", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}],
    )
    api.put("tables", body)
    plain = api.get(f"tables/name/{q(schema_fqn + '.gated')}").json()
    assert "tableConstraints" not in plain and "tags" not in plain and "owners" not in plain
    assert plain["columns"]
    some = api.get(f"tables/name/{q(schema_fqn + '.gated')}", params={"fields": "tableConstraints,owners"}).json()
    assert some["tableConstraints"][0]["constraintType"] == "PRIMARY_KEY"
    assert some["owners"] == [] and "tags" not in some
    everything = api.get(f"tables/name/{q(schema_fqn + '.gated')}", params={"fields": "*"}).json()
    assert everything["tags"][0]["tagFQN"] == "PII.Sensitive" and everything["tags"][0]["name"] == "Sensitive"


def test_owner_references_are_resolved(api, schema_fqn):
    user = api.put("users", {"name": "jane", "email": "jane@example.com"}).json()
    team = api.put("teams", {"name": "data", "teamType": "Group", "users": [user["id"]]}).json()
    assert team["users"][0]["name"] == "jane"
    table = api.put(
        "tables", table_request(schema_fqn, "owned", owners=[{"id": user["id"], "type": "user"}])
    ).json()
    assert table["owners"] == [{"id": user["id"], "type": "user", "name": "jane", "fullyQualifiedName": "jane"}]
    ops = [{"op": "add", "path": "/owners/1", "value": {"id": team["id"], "type": "team"}}]
    patched = api.patch(f"tables/{table['id']}", ops).json()
    assert [o["name"] for o in patched["owners"]] == ["jane", "data"]
    unknown = api.put(
        "tables",
        table_request(schema_fqn, "orphan", owners=[{"id": "00000000-0000-4000-8000-000000000000", "type": "user"}]),
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == 404
    no_domain = api.put("tables", table_request(schema_fqn, "dom", domains=["Marketing"]))
    assert no_domain.status_code == 404 and "domain instance for Marketing not found" in no_domain.json()["message"]


# --------------------------------------------------------------------------- bulk


def test_bulk_put_counts(api, schema_fqn):
    items = [table_request(schema_fqn, f"b{i}") for i in range(100)]
    items[7] = {"name": "broken", "databaseSchema": schema_fqn}  # no columns
    items[9] = table_request("svc.db.missing", "orphan")  # unknown parent
    r = api.put("tables/bulk?async=false&overrideMetadata=false", items)
    assert r.status_code == 200
    result = r.json()
    assert result["numberOfRowsProcessed"] == 100
    assert result["numberOfRowsPassed"] == 98
    assert result["numberOfRowsFailed"] == 2
    assert result["status"] == "partialSuccess"
    assert len(result["successRequest"]) == 98 and len(result["failedRequest"]) == 2
    assert {f["status"] for f in result["failedRequest"]} == {400, 404}
    assert all(isinstance(result[k], int) for k in ("numberOfRowsProcessed", "numberOfRowsPassed", "numberOfRowsFailed"))

    from metadata.generated.schema.type.bulkOperationResult import BulkOperationResult

    BulkOperationResult.model_validate(result)  # the SDK parses it with this model

    again = api.put("tables/bulk", [table_request(schema_fqn, f"b{i}") for i in range(3)]).json()
    assert again["status"] == "success" and again["numberOfRowsPassed"] == 3
    assert api.get("tables", params={"databaseSchema": schema_fqn, "limit": 0}).json()["paging"]["total"] == 98


# --------------------------------------------------------------------------- delete, deleteStale, restore


def test_soft_delete_hides_entity_unless_include(api, schema_fqn):
    table = api.put("tables", table_request(schema_fqn, "gone")).json()
    r = api.delete(f"tables/{table['id']}?recursive=false&hardDelete=false")
    assert r.status_code == 200 and r.json()["deleted"] is True
    assert api.get(f"tables/{table['id']}").status_code == 404
    assert api.get(f"tables/name/{q(table['fullyQualifiedName'])}").status_code == 404
    assert api.get(f"tables/{table['id']}", params={"include": "deleted"}).json()["deleted"] is True
    assert api.get(f"tables/name/{q(table['fullyQualifiedName'])}", params={"include": "all"}).status_code == 200
    assert api.get("tables", params={"databaseSchema": schema_fqn}).json()["paging"]["total"] == 0
    assert api.get("tables", params={"databaseSchema": schema_fqn, "include": "deleted"}).json()["paging"]["total"] == 1

    restored = api.put("tables", table_request(schema_fqn, "gone")).json()
    assert restored["id"] == table["id"] and restored["deleted"] is False
    assert restored["version"] > table["version"]


def test_delete_parent_needs_recursive(api, schema_fqn):
    api.put("tables", table_request(schema_fqn, "child"))
    schema = api.get(f"databaseSchemas/name/{q(schema_fqn)}").json()
    r = api.delete(f"databaseSchemas/{schema['id']}?recursive=false&hardDelete=false")
    assert r.status_code == 400 and r.json()["code"] == 400
    assert api.delete(f"databaseSchemas/{schema['id']}?recursive=true&hardDelete=false").status_code == 200
    assert api.get(f"tables/name/{q(schema_fqn + '.child')}").status_code == 404
    # hard delete removes it for good
    assert api.delete(f"databaseSchemas/{schema['id']}?recursive=true&hardDelete=true").status_code == 200
    assert api.get(f"tables/name/{q(schema_fqn + '.child')}", params={"include": "all"}).status_code == 404


def test_delete_stale_soft_deletes_only_unseen_children(om_emulator, api, schema_fqn):
    other_schema = make_hierarchy(api, schema="other")
    for name in ("keep1", "keep2", "stale1", "stale2"):
        api.put("tables", table_request(schema_fqn, name))
    api.put("tables", table_request(other_schema, "elsewhere"))
    body = {
        "scopeFqn": schema_fqn,
        "scopeEntityType": "databaseSchema",
        # quoting differences never cause spurious deletes
        "seenFqns": ["svc.db.sch.keep1", 'svc.db.sch."keep2"', "svc.db.other.whatever"],
        "recursive": True,
    }
    r = api.delete("tables/deleteStale", body)
    assert r.status_code == 200
    result = r.json()
    assert result["status"] == "success"
    assert result["numberOfRowsPassed"] == 2
    assert sorted(x["request"] for x in result["successRequest"]) == ["svc.db.sch.stale1", "svc.db.sch.stale2"]
    live = {t["name"] for t in om_emulator.store.entities("tables")}
    assert live == {"keep1", "keep2", "elsewhere"}
    assert om_emulator.store.get("tables", "svc.db.sch.stale1")["deleted"] is True

    # empty seen-set and unknown scope delete nothing
    assert api.delete("tables/deleteStale", {**body, "seenFqns": []}).json()["numberOfRowsPassed"] == 0
    unknown = {**body, "scopeFqn": "svc.db.nope"}
    assert api.delete("tables/deleteStale", unknown).json()["numberOfRowsPassed"] == 0
    assert {t["name"] for t in om_emulator.store.entities("tables")} == live

    # the SDK's own client call parses the answer as a BulkOperationResult (non-empty)
    from metadata.generated.schema.type.bulkOperationResult import BulkOperationResult

    BulkOperationResult.model_validate(result)

    # invalid body -> 400
    r = api.delete("tables/deleteStale", {"scopeFqn": schema_fqn})
    assert r.status_code == 400 and "BulkDeleteStaleRequest" in r.json()["message"]


def test_restore_endpoint(api, schema_fqn):
    table = api.put("tables", table_request(schema_fqn, "r1")).json()
    api.delete(f"tables/{table['id']}?hardDelete=false")
    r = api.put("tables/restore", {"id": table["id"]})
    assert r.status_code == 200 and r.json()["deleted"] is False
    assert api.get(f"tables/{table['id']}").status_code == 200


# --------------------------------------------------------------------------- lists


def test_list_paging_and_filters(api, schema_fqn):
    other = make_hierarchy(api, service="svc2", database="db2", schema="sch2")
    for i in range(25):
        api.put("tables", table_request(schema_fqn, f"t{i:02d}"))
    for i in range(5):
        api.put("tables", table_request(other, f"o{i}"))

    seen, after, pages = [], None, 0
    while True:
        params = {"limit": 10, "databaseSchema": schema_fqn}
        if after:
            params["after"] = after
        page = api.get("tables", params=params).json()
        assert page["paging"]["total"] == 25
        seen += [t["name"] for t in page["data"]]
        pages += 1
        after = page["paging"].get("after")
        if not after:
            break
    assert pages == 3
    assert seen == [f"t{i:02d}" for i in range(25)]

    second = api.get("tables", params={"limit": 10, "databaseSchema": schema_fqn}).json()
    third = api.get("tables", params={"limit": 10, "databaseSchema": schema_fqn, "after": second["paging"]["after"]}).json()
    back = api.get("tables", params={"limit": 10, "databaseSchema": schema_fqn, "before": third["paging"]["before"]})
    assert [t["name"] for t in back.json()["data"]] == [t["name"] for t in second["data"]]

    assert api.get("tables", params={"service": "svc2"}).json()["paging"]["total"] == 5
    assert api.get("tables", params={"database": "svc2.db2", "limit": 100}).json()["paging"]["total"] == 5
    assert api.get("tables", params={"database": "svc.db", "limit": 100}).json()["paging"]["total"] == 25
    assert api.get("tables", params={"limit": 1}).json()["paging"]["total"] == 30
    assert api.get("databaseSchemas", params={"database": "svc.db"}).json()["paging"]["total"] == 1
    assert api.get("services/databaseServices").json()["paging"]["total"] == 2
    assert api.get("tables", params={"include": "bogus"}).status_code == 400


# --------------------------------------------------------------------------- json-patch


def test_json_patch(api, schema_fqn):
    table = api.put("tables", table_request(schema_fqn, "patched")).json()
    ops = [
        {"op": "add", "path": "/description", "value": "patched description"},
        {"op": "add", "path": "/tableConstraints", "value": [{"constraintType": "PRIMARY_KEY", "columns": ["id"]}]},
        {"op": "add", "path": "/tags/0", "value": {"tagFQN": "Tier.Tier1", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}},
        {"op": "add", "path": "/columns/1/description", "value": "the name"},
    ]
    r = api.patch(f"tables/{table['id']}", ops)
    assert r.status_code == 200, r.text
    patched = r.json()
    assert patched["version"] == 0.2
    assert patched["description"] == "patched description"
    assert patched["tableConstraints"] == [{"constraintType": "PRIMARY_KEY", "columns": ["id"]}]
    assert patched["tags"][0]["tagFQN"] == "Tier.Tier1"
    assert patched["columns"][1]["description"] == "the name"

    ops2 = [
        {"op": "test", "path": "/description", "value": "patched description"},
        {"op": "remove", "path": "/tags/0"},
        {"op": "add", "path": "/tableConstraints/1", "value": {"constraintType": "UNIQUE", "columns": ["name"]}},
        {"op": "replace", "path": "/description", "value": "again"},
    ]
    patched2 = api.patch(f"tables/{table['id']}", ops2).json()
    # the same user's second PATCH within the server's 10-minute session is consolidated into 0.2
    assert patched2["version"] == 0.2 and patched2["tags"] == [] and len(patched2["tableConstraints"]) == 2

    failing = api.patch(f"tables/{table['id']}", [{"op": "test", "path": "/description", "value": "nope"}])
    assert failing.status_code == 400 and failing.json()["code"] == 400
    rename = api.patch(f"tables/{table['id']}", [{"op": "replace", "path": "/name", "value": "x"}])
    assert rename.status_code == 400
    invalid = api.patch(f"tables/{table['id']}", [{"op": "add", "path": "/tableType", "value": "NotAType"}])
    assert invalid.status_code == 400 and "Table" in invalid.json()["message"]
    noop = api.patch(f"tables/{table['id']}", [{"op": "replace", "path": "/description", "value": "again"}]).json()
    assert noop["version"] == 0.2


# --------------------------------------------------------------------------- search


def test_search_answers_from_the_store(api, schema_fqn):
    api.put("tables", table_request(schema_fqn, "customers"))
    api.put("tables", table_request(schema_fqn, "orders"))
    r = api.get(
        "search/fieldQuery",
        params={
            "fieldName": "fullyQualifiedName",
            "fieldValue": "svc.db.sch.orders",
            "from": 0,
            "size": 10,
            "index": "table_search_index",
            "deleted": "false",
        },
    ).json()
    assert r["hits"]["total"]["value"] == 1
    assert r["hits"]["hits"][0]["_source"]["fullyQualifiedName"] == "svc.db.sch.orders"
    wildcard = api.get(
        "search/fieldQuery",
        params={"fieldName": "fullyQualifiedName", "fieldValue": "svc.*.sch.*", "index": "table_search_index"},
    ).json()
    assert wildcard["hits"]["total"]["value"] == 2
    none = api.get(
        "search/fieldQuery",
        params={"fieldName": "fullyQualifiedName", "fieldValue": "nope", "index": "table_search_index"},
    ).json()
    assert none["hits"] == {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []}

    api.put("users", {"name": "jane", "email": "jane@example.com"})
    by_mail = api.get(
        "search/query", params={"q": "email.keyword:jane@example.com", "from": 0, "size": 1, "index": "user_search_index"}
    ).json()
    assert by_mail["hits"]["hits"][0]["_source"]["name"] == "jane"
    nobody = api.get("search/query", params={"q": "email.keyword:x@y.z", "index": "team_search_index"}).json()
    assert nobody["hits"]["total"]["value"] == 0

    from metadata.ingestion.ometa.mixins.es_mixin import ESResponse

    ESResponse.model_validate(r)  # the SDK's own model for search answers


# --------------------------------------------------------------------------- classifications, ingestion pipelines


def test_classification_and_tags(api):
    r = api.put("classifications", {"name": "PostgresPolicyTags", "description": "policy tags"})
    assert r.status_code == 201
    tag = api.put("tags", {"name": "pii", "description": "d", "classification": "PostgresPolicyTags"}).json()
    assert tag["fullyQualifiedName"] == "PostgresPolicyTags.pii"
    assert tag["classification"]["type"] == "classification"
    child = api.put("tags", {"name": "email.addr", "description": "d", "parent": "PostgresPolicyTags.pii"}).json()
    assert child["fullyQualifiedName"] == 'PostgresPolicyTags.pii."email.addr"'
    assert api.get(f"tags/name/{q(child['fullyQualifiedName'])}").json()["id"] == child["id"]
    assert api.get("tags", params={"parent": "PostgresPolicyTags"}).json()["paging"]["total"] == 2


def test_ingestion_pipeline_status_and_progress(api):
    service = api.put("services/databaseServices", {"name": "svc", "serviceType": "Postgres"}).json()
    pipeline = api.put(
        "services/ingestionPipelines",
        {
            "name": "svc_metadata",
            "pipelineType": "metadata",
            "sourceConfig": {"config": {"type": "DatabaseMetadata"}},
            "airflowConfig": {},
            "service": {"id": service["id"], "type": "databaseService"},
        },
    )
    assert pipeline.status_code == 201, pipeline.text
    fqn = pipeline.json()["fullyQualifiedName"]
    assert fqn == "svc.svc_metadata"
    assert pipeline.json()["service"]["fullyQualifiedName"] == "svc"

    run = "5f3c1b40-9d5c-4d6a-9a57-3c4d2c1e0a11"
    unknown = api.get(f"services/ingestionPipelines/{q(fqn)}/pipelineStatus/{run}")
    assert unknown.status_code == 204 and unknown.content == b""
    status = {"runId": run, "pipelineState": "running", "startDate": 1, "timestamp": 1}
    assert api.put(f"services/ingestionPipelines/{q(fqn)}/pipelineStatus", status).status_code == 200
    got = api.get(f"services/ingestionPipelines/{q(fqn)}/pipelineStatus/{run}").json()
    assert got["pipelineState"] == "running"
    progress = {"runId": run, "timestamp": 2, "updateType": "DISCOVERY"}
    assert api.put(f"services/ingestionPipelines/progress/{fqn}/{run}", progress).status_code == 200
    listed = api.get("services/ingestionPipelines", params={"service": "svc", "fields": "pipelineStatuses"}).json()
    assert [s["runId"] for s in listed["data"][0]["pipelineStatuses"]] == [run]

    from metadata.generated.schema.entity.services.ingestionPipelines.ingestionPipeline import IngestionPipeline

    IngestionPipeline.model_validate(listed["data"][0])


# --------------------------------------------------------------------------- faults


def test_fault_injection_hook(om_emulator, api):
    rule = om_emulator.faults.add("GET", r"^/v1/system/version$", status=503, nth=2)
    assert api.get("system/version").status_code == 200
    r = api.get("system/version")
    assert r.status_code == 503 and r.json()["code"] == 503
    assert api.get("system/version").status_code == 200
    assert rule.seen == 3 and rule.fired == 1

    om_emulator.faults.add("GET", r"/v1/system/status", drop=True, times=1)
    fresh = requests.Session()
    try:
        fresh.get(om_emulator.url + "/v1/system/status", timeout=5)
        raise AssertionError("the connection should have been dropped")
    except requests.ConnectionError:
        pass
    assert api.get("system/status").status_code == 200


# --------------------------------------------------------------------------- concurrency


def test_concurrent_writers_do_not_duplicate(om_emulator, schema_fqn):
    import threading

    errors: list[str] = []

    def writer(worker: int) -> None:
        client = Api(om_emulator.url)
        for round_ in range(5):
            # every worker writes the same 20 shared tables plus 20 of its own
            batch = [table_request(schema_fqn, f"shared{i}") for i in range(20)]
            batch += [table_request(schema_fqn, f"w{worker}_{i}") for i in range(20)]
            result = client.put("tables/bulk", batch).json()
            if result["numberOfRowsFailed"]:
                errors.append(str(result["failedRequest"]))
        client.session.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    tables = om_emulator.store.entities("tables")
    assert len(tables) == 20 + 6 * 20
    assert len({t["fullyQualifiedName"] for t in tables}) == len(tables)
    assert all(t["version"] == 0.1 for t in tables)
