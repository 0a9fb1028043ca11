"""Reading OpenMetadata: paged lists with fields=columns, filters, names that need no FQN quoting."""

from __future__ import annotations

import pytest
import requests

from include.descriptions.catalog import CatalogError, CatalogReader
from include.descriptions.plan import ObjectKey
from include.openmetadata.server import OpenMetadataServer


@pytest.fixture
def server(om_emulator):
    api = om_emulator.url
    s = requests.Session()
    svc = s.put(f"{api}/v1/services/databaseServices", json={"name": "svc", "serviceType": "Postgres"}).json()
    db = s.put(f"{api}/v1/databases", json={"name": "db.one", "service": svc["fullyQualifiedName"],
                                             "description": "the db"}).json()
    for schema in ("public", "Sales.Q1 ü"):
        sch = s.put(f"{api}/v1/databaseSchemas", json={"name": schema, "database": db["fullyQualifiedName"],
                                                        "description": f"schema {schema}"}).json()
        for i in range(7):
            s.put(f"{api}/v1/tables", json={
                "name": f"t{i}", "databaseSchema": sch["fullyQualifiedName"],
                **({"description": f"table {i}"} if i % 2 else {}),
                "columns": [{"name": "id", "dataType": "INT", "description": "id col"},
                            {"name": "x.y", "dataType": "INT"}]})
    s.close()
    return OpenMetadataServer(conn_id="openmetadata_default", api_url=api, jwt="jwt", retries=0)


def test_everything_in_paged_lists(server, om_emulator):
    reader = CatalogReader(server, page_size=3)
    sent = []
    get = reader.session.get
    reader.session.get = lambda url, params=None, **kw: sent.append((url, params)) or get(url, params=params, **kw)
    out = reader.descriptions("svc", "db.one")
    reader.close()
    assert out.schemas == ["Sales.Q1 ü", "public"] and out.tables == 14
    assert out.by_key[ObjectKey()] == "the db"
    assert out.by_key[ObjectKey("Sales.Q1 ü")] == "schema Sales.Q1 ü"
    assert out.by_key[ObjectKey("public", "t1")] == "table 1" and out.by_key[ObjectKey("public", "t0")] is None
    assert out.by_key[ObjectKey("Sales.Q1 ü", "t3", "id")] == "id col"
    assert out.by_key[ObjectKey("Sales.Q1 ü", "t3", "x.y")] is None
    # 1 database list + 1 schema list + 3 pages of 7 tables per schema
    assert out.requests == 1 + 1 + 2 * 3
    tables = [params for url, params in sent if url.endswith("/v1/tables")]
    assert len(tables) == 6 and all(p["fields"] == "columns" and p["limit"] == 3 for p in tables)


def test_filters_and_schema_batches(server):
    reader = CatalogReader(server)
    out = reader.descriptions("svc", "db.one", schema_filter=["^pub"], table_filter=["t[12]$"],
                              include_database=False)
    assert out.schemas == ["public"] and ObjectKey() not in out.by_key
    assert {k.table for k in out.by_key if k.table} == {"t1", "t2"}
    only = reader.descriptions("svc", "db.one", schemas=["Sales.Q1 ü"])
    assert only.schemas == ["Sales.Q1 ü"]
    reader.close()


def test_an_unknown_database_or_a_rejected_token_says_what_to_do(server, om_emulator_factory):
    reader = CatalogReader(server)
    with pytest.raises(CatalogError, match="no database 'nope' in service 'svc'. Fix: run the service's catalog DAG"):
        reader.descriptions("svc", "nope")
    locked = om_emulator_factory(token="right")
    other = CatalogReader(OpenMetadataServer(conn_id="openmetadata_default", api_url=locked.url, jwt="wrong",
                                             retries=0))
    with pytest.raises(CatalogError, match=r"rejected the token \(401\)"):
        other.database("svc", "db")
