"""Search documents carry the fields the server indexes, and queries on them find what the server
would (issue 11, known difference 2)."""

from __future__ import annotations

import json

import pytest
from emulator_helpers import Api
from emulator_sdk_helpers import make_catalog, sdk_client


@pytest.fixture
def client(om_emulator):
    metadata = sdk_client(om_emulator)
    yield metadata
    metadata.close()


def _label(fqn: str) -> dict:
    return {"tagFQN": fqn, "source": "Classification", "labelType": "Manual", "state": "Confirmed"}


@pytest.fixture
def catalog(client, om_emulator):
    """orders: owned by jane, Tier.Tier1, column email tagged PII.Sensitive; returns (api, table)."""
    api = Api(om_emulator.url)
    for classification, tag in (("Tier", "Tier1"), ("PII", "Sensitive")):
        assert api.put("classifications", {"name": classification, "description": "d"}).status_code in (200, 201)
        assert api.put("tags", {"name": tag, "description": "d", "classification": classification}).status_code in (
            200,
            201,
        )
    jane = api.put("users", {"name": "jane", "email": "jane@example.com"}).json()
    _, _, schema, _ = make_catalog(client, tables=["orders", "refunds"], service_display_name="Sales DB")
    body = {
        "name": "orders",
        "databaseSchema": schema.fullyQualifiedName.root,
        "owners": [{"id": jane["id"], "type": "user"}],
        "tags": [_label("Tier.Tier1")],
        "columns": [
            {"name": "id", "dataType": "INT"},
            {"name": "amount", "dataType": "DECIMAL"},
            {"name": "email", "dataType": "VARCHAR", "dataLength": 100, "tags": [_label("PII.Sensitive")]},
        ],
    }
    r = api.put("tables", body)
    assert r.status_code == 200, r.text
    yield api, r.json()
    api.session.close()


def _names(api, **params) -> list[str]:
    params.setdefault("index", "table_search_index")
    r = api.get("search/query", params=params)
    assert r.status_code == 200, r.text
    return sorted(h["_source"]["name"] for h in r.json()["hits"]["hits"])


def _filter(api, query: dict) -> list[str]:
    return _names(api, query_filter=json.dumps({"query": query}))


def test_search_document_has_the_indexed_fields(catalog):
    """The table document is the entity (``fields=*``) plus what ``SearchIndex.buildSearchIndexDoc``
    and its mixins add (open-metadata/OpenMetadata ``openmetadata-service/src/main/java/org/
    openmetadata/service/search/indexes/``): ``service``/``database``/``databaseSchema`` and each
    owner with a ``displayName`` (``getEntityWithDisplayName``), ``tier`` = the first ``Tier.*``
    label, taken out of ``tags`` (``search/ParseTags.java``), column tags merged into ``tags``
    (``TaggableIndex.mergeChildTags``), ``columnNames`` and ``entityType`` (``TableIndex``)."""
    api, table = catalog
    hit = api.get("search/query", params={"q": "name:orders", "index": "table_search_index"}).json()["hits"]["hits"][0]
    doc = hit["_source"]
    assert hit["_id"] == table["id"] and hit["_index"] == "table_search_index"
    assert doc["service"]["displayName"] == "Sales DB"
    assert doc["database"]["name"] == "dwh" and doc["database"]["displayName"] == "dwh"
    assert doc["databaseSchema"]["name"] == "sales"
    assert [o["name"] for o in doc["owners"]] == ["jane"] and doc["owners"][0]["displayName"] == "jane"
    assert doc["tier"]["tagFQN"] == "Tier.Tier1"
    assert [t["tagFQN"] for t in doc["tags"]] == ["PII.Sensitive"]  # tier out, column tag in
    assert [c["name"] for c in doc["columns"]] == ["id", "amount", "email"]
    assert doc["columnNames"] == ["id", "amount", "email"]
    assert doc["entityType"] == "table" and doc["deleted"] is False
    assert "usageSummary" in doc  # TableIndex indexes it (getRequiredReindexFields)


def test_queries_on_indexed_fields_find_what_the_server_finds(catalog):
    """Field types from ``openmetadata-spec/src/main/resources/elasticsearch/en/
    table_index_mapping.json``: ``tier.tagFQN``/``tags.tagFQN`` are keywords with the
    lowercase normalizer (case-insensitive); ``service.displayName``, ``database.name`` and
    ``databaseSchema.name`` are plain keywords (exact case) with a lower-cased ``.keyword``;
    ``columns.name`` is analysed text; ``owners`` is ``nested``, so its fields match only inside a
    ``nested`` query."""
    api, _ = catalog
    assert _filter(api, {"term": {"tier.tagFQN": "tier.tier1"}}) == ["orders"]
    assert _filter(api, {"term": {"tags.tagFQN": "PII.Sensitive"}}) == ["orders"]
    assert _filter(api, {"term": {"service.displayName": "Sales DB"}}) == ["orders", "refunds"]
    assert _filter(api, {"term": {"service.displayName": "sales db"}}) == []
    assert _filter(api, {"term": {"service.displayName.keyword": "sales db"}}) == ["orders", "refunds"]
    assert _filter(api, {"term": {"database.name": "dwh"}}) == ["orders", "refunds"]
    assert _filter(
        api, {"bool": {"must": [{"term": {"databaseSchema.name": "sales"}}, {"exists": {"field": "tier"}}]}}
    ) == ["orders"]
    assert _filter(api, {"match": {"columns.name": "amount"}}) == ["orders", "refunds"]
    assert _filter(api, {"term": {"columns.name": "AMOUNT"}}) == []  # a term is not analysed
    nested = {"nested": {"path": "owners", "query": {"term": {"owners.name": "jane"}}}}
    assert _filter(api, nested) == ["orders"]
    assert _filter(api, {"term": {"owners.name": "jane"}}) == []  # nested field outside a nested query
    assert _filter(api, {"bool": {"must_not": [nested]}}) == ["refunds"]

    assert _names(api, q="tier.tagFQN:Tier.Tier1") == ["orders"]
    assert _names(api, q="columns.name:email AND NOT tags.tagFQN:PII.Sensitive") == ["refunds"]
    assert _names(api, q="amount") == ["orders", "refunds"]  # free text reaches column names
    assert _names(api, q="service.displayName.keyword:sales*") == ["orders", "refunds"]


def test_sdk_search_helpers_read_the_documents(client, catalog):
    """The SDK's own search calls: ``paginate_es`` with a ``query_filter``,
    ``es_search_from_fqn`` (``/search/fieldQuery``, a wildcard on ``fullyQualifiedName``) and the
    trimmed ``_source`` of ``include_source_fields`` (``SearchResource`` ``include_source_fields``)."""
    from metadata.generated.schema.entity.data.table import Table

    api, table = catalog
    query_filter = json.dumps({"query": {"bool": {"must": [{"term": {"tier.tagFQN": "Tier.Tier1"}}]}}})
    assert [t.name.root for t in client.paginate_es(entity=Table, query_filter=query_filter)] == ["orders"]
    found = client.es_search_from_fqn(entity_type=Table, fqn_search_string="sdk_pg.*.sales.orders")
    assert [t.id.root for t in found] == [table["id"]] or [str(t.id.root) for t in found] == [table["id"]]
    trimmed = api.session.get(
        api.url("search/query"),
        params=[
            ("q", "name:orders"),
            ("index", "table_search_index"),
            ("include_source_fields", "id"),
            ("include_source_fields", "service.displayName"),
        ],
    ).json()["hits"]["hits"][0]["_source"]
    assert trimmed == {"id": table["id"], "service": {"displayName": "Sales DB"}}


def test_queries_beyond_the_emulated_subset_fail_loudly(catalog):
    """A query the server would run but the emulator cannot evaluate answers 501 (the emulator's
    rule for anything it does not emulate), never empty hits that read as "not found"; a
    ``query_filter`` that is not JSON fails on the server too ("Failed to parse query filter",
    ``OpenSearchSearchManager.applySearchFilter``): 400."""
    api, _ = catalog
    r = api.get("search/query", params={"q": "name:orders OR name:refunds", "index": "table_search_index"})
    assert r.status_code == 501 and "openmetadata-emulator" in r.json()["message"]
    geo = api.get("search/query", params={"query_filter": '{"query": {"geo_shape": {}}}'})
    assert geo.status_code == 501
    broken = api.get("search/query", params={"query_filter": "{not json"})
    assert broken.status_code == 400
