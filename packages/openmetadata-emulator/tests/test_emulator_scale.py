"""Scale guards (not speed targets: bench/ measures those): bounds ~50x above measured, to catch
quadratic behaviour in the store. The emulator stays fast: bulk PUTs of 100 tables, stores of 10,000+ tables.

Bounds are generous (an O(n^2) path blows through them by orders of magnitude, a slow
CI machine does not).
"""
from __future__ import annotations

import copy
import time
import uuid

from emulator_helpers import Api, make_hierarchy, table_request


def _columns(n: int) -> tuple[str, ...]:
    return ("id",) + tuple(f"col_{i}" for i in range(n - 1))


def test_bulk_put_of_100_tables_is_fast(api, schema_fqn):
    batch = [table_request(schema_fqn, f"t{i}", columns=_columns(20)) for i in range(100)]
    api.put("tables/bulk", batch[:1])  # warm the models up
    started = time.perf_counter()
    result = api.put("tables/bulk?async=false&overrideMetadata=false", batch).json()
    elapsed = time.perf_counter() - started
    assert result["numberOfRowsPassed"] == 100
    assert elapsed < 10, f"bulk PUT of 100 tables took {elapsed:.2f}s"


def _synthesize(emulator, schema_fqn: str, n: int) -> None:
    """Load n tables straight into the store (what a state file would hold)."""
    template = emulator.store.get("tables", schema_fqn + ".template")
    tables = []
    for i in range(n):
        t = copy.deepcopy(template)
        t["id"] = str(uuid.uuid4())
        t["name"] = f"big_{i:05d}"
        t["fullyQualifiedName"] = f"{schema_fqn}.big_{i:05d}"
        for col in t["columns"]:
            col["fullyQualifiedName"] = f"{t['fullyQualifiedName']}.{col['name']}"
        tables.append(t)
    emulator.store.load_json({"format": "openmetadata-emulator-state/1", "entities": {"tables": tables}})


def test_store_of_10000_tables_stays_fast(om_emulator):
    api = Api(om_emulator.url)
    schema = make_hierarchy(api)
    api.put("tables", table_request(schema, "template", columns=_columns(10)))
    _synthesize(om_emulator, schema, 10_000)
    assert om_emulator.store.count("tables") == 10_001

    started = time.perf_counter()
    seen, after = 0, None
    while True:
        params = {"limit": 100, "databaseSchema": schema}
        if after:
            params["after"] = after
        page = api.get("tables", params=params).json()
        seen += len(page["data"])
        after = page["paging"].get("after")
        if not after:
            break
    list_time = time.perf_counter() - started
    assert seen == 10_001
    assert list_time < 20, f"paging through 10k tables took {list_time:.2f}s"

    started = time.perf_counter()
    for i in range(0, 10_000, 50):
        assert api.get(f"tables/name/{schema}.big_{i:05d}").status_code == 200
    get_time = time.perf_counter() - started
    assert get_time < 10, f"200 GETs by name took {get_time:.2f}s"

    started = time.perf_counter()
    result = api.put("tables/bulk", [table_request(schema, f"big_{i:05d}", columns=_columns(10)) for i in range(100)]).json()
    assert result["numberOfRowsFailed"] == 0
    seen_fqns = [f"{schema}.big_{i:05d}" for i in range(100, 10_000)] + [f"{schema}.template"]
    stale = api.delete(
        "tables/deleteStale",
        {"scopeFqn": schema, "scopeEntityType": "databaseSchema", "seenFqns": seen_fqns, "recursive": True},
    ).json()
    write_time = time.perf_counter() - started
    assert stale["numberOfRowsPassed"] == 100
    assert om_emulator.store.count("tables") == 9_901
    assert write_time < 20, f"bulk PUT + deleteStale on a 10k store took {write_time:.2f}s"

    hit = api.get(
        "search/fieldQuery",
        params={"fieldName": "fullyQualifiedName", "fieldValue": f"{schema}.big_05000", "index": "table_search_index"},
    ).json()
    assert hit["hits"]["total"]["value"] == 1
