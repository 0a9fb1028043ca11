"""catalog_pagila end to end: real Airflow run -> real SDK -> emulator, on a real pagila.

Reads the catalog back through the emulator's HTTP API, the way a user would read
OpenMetadata's, and checks what pagila really holds.
"""

from __future__ import annotations

import time

import pytest

from tests.support.airflow_run import run_dag
from openmetadata_emulator.client import Catalog

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICE = "pagila_postgres"
SCHEMA_FQN = f"{SERVICE}.pagila.public"
TABLES = {
    "actor", "address", "category", "city", "country", "customer", "film", "film_actor", "film_category",
    "inventory", "language", "rental", "staff", "store", "payment",
}
# pagila's 22 tables are these 15 plus payment's 7 monthly partitions. The SDK (2.0.6)
# catalogues a partitioned table once, with its partitioning in ``tablePartition``, and
# leaves the partition children out on purpose (its table query filters
# ``relispartition = false``), as OpenMetadata models partitions.
PARTITIONS = {f"payment_p2022_0{m}" for m in range(1, 8)}
VIEWS = {"actor_info", "customer_list", "film_list", "nicer_but_slower_film_list", "sales_by_film_category",
         "sales_by_store", "staff_list"}


@pytest.fixture
def catalog(om_connection):
    return Catalog(om_connection.url)


def tables_by_name(catalog: Catalog, **params) -> dict[str, dict]:
    tables = catalog.list_all("tables", databaseSchema=SCHEMA_FQN, fields="columns,tableConstraints,tablePartition", **params)
    names = [t["name"] for t in tables]
    assert len(names) == len(set(names)), f"duplicate tables: {sorted(names)}"
    return {t["name"]: t for t in tables}


def test_catalog_pagila_end_to_end(airflow_db, pagila_db, catalog, om_connection):
    started = time.monotonic()
    first = run_dag("catalog_pagila")
    assert first.state == "success", first.task_states
    summary = first.xcoms["ingest_metadata"]
    assert summary["status"] == "success"
    assert sum(step["errors"] for step in summary["steps"]) == 0
    assert summary["source"]["service"] == SERVICE
    assert first.xcoms["preflight"]["openmetadata"]["server_version"]

    # One database service, database pagila, schema public.
    services = catalog.list_all("services/databaseServices")
    assert [s["name"] for s in services] == [SERVICE]
    assert services[0]["serviceType"] == "Postgres"
    assert [d["name"] for d in catalog.list_all("databases", service=SERVICE)] == ["pagila"]
    schemas = {s["name"] for s in catalog.list_all("databaseSchemas", database=f"{SERVICE}.pagila")}
    assert "public" in schemas
    assert not schemas & {"information_schema", "pg_catalog", "pg_toast"}

    tables = tables_by_name(catalog)
    assert set(tables) == TABLES | VIEWS | {"rental_by_category"}
    types = {name: t["tableType"] for name, t in tables.items()}
    assert {n for n, t in types.items() if t == "View"} == VIEWS
    assert types["rental_by_category"] == "MaterializedView"
    assert types["payment"] == "Partitioned"
    partition = tables["payment"].get("tablePartition") or catalog.by_name(
        "tables", f"{SCHEMA_FQN}.payment", fields="tablePartition")["tablePartition"]
    assert partition["columns"][0]["columnName"] == "payment_date"
    assert partition["columns"][0]["intervalType"] == "TIME-UNIT"
    assert not PARTITIONS & set(tables)
    assert all(types[n] == "Regular" for n in TABLES - {"payment"})

    # Columns and types of a few tables.
    film = {c["name"]: c for c in tables["film"]["columns"]}
    assert list(film)[:3] == ["film_id", "title", "description"]
    assert film["film_id"]["dataType"] == "INT"
    assert film["title"]["dataType"] == "TEXT"
    assert film["rental_rate"]["dataType"] == "NUMERIC"
    assert film["last_update"]["dataType"] == "TIMESTAMP"
    assert film["special_features"]["dataType"] == "ARRAY"
    # The enum column: pagila's mpaa_rating type.
    assert film["rating"]["dataTypeDisplay"].lower().startswith("mpaa_rating") or film["rating"]["dataType"] == "ENUM"
    actor = [c["name"] for c in tables["actor"]["columns"]]
    assert actor == ["actor_id", "first_name", "last_name", "last_update"]
    assert tables["actor"]["columns"][0]["fullyQualifiedName"] == f"{SCHEMA_FQN}.actor.actor_id"

    # The foreign keys: pagila has 36; 18 sit on payment's partitions (which the SDK does
    # not catalogue, see PARTITIONS), the other 18 must all be table constraints that
    # point at catalog columns. Both sets come from PostgreSQL's own catalog.
    rows = pagila_db.psql(
        "select cl.relname, cl.relispartition, a.attname, fcl.relname, fa.attname "
        "from pg_constraint co join pg_class cl on cl.oid = co.conrelid "
        "join pg_class fcl on fcl.oid = co.confrelid "
        "join pg_attribute a on a.attrelid = co.conrelid and a.attnum = co.conkey[1] "
        "join pg_attribute fa on fa.attrelid = co.confrelid and fa.attnum = co.confkey[1] "
        "where co.contype = 'f'", database="pagila").splitlines()
    assert len(rows) == 36
    expected_fks = {
        (table, column, f"{SCHEMA_FQN}.{ref_table}.{ref_column}")
        for table, is_partition, column, ref_table, ref_column in (r.split("|") for r in rows)
        if is_partition == "f"
    }
    assert len(expected_fks) == 18
    catalog_fks = {
        (name, c["columns"][0], c["referredColumns"][0])
        for name, t in tables.items() for c in (t.get("tableConstraints") or [])
        if c["constraintType"] == "FOREIGN_KEY"
    }
    assert catalog_fks == expected_fks
    ids = {name: t["id"] for name, t in tables.items()}

    # Re-run unchanged: no duplicates, same ids.
    second = run_dag("catalog_pagila")
    assert second.state == "success", second.task_states
    again = tables_by_name(catalog)
    assert {name: t["id"] for name, t in again.items()} == ids
    assert len(catalog.list_all("services/databaseServices")) == 1

    # Drop a table in PostgreSQL (CASCADE takes the views built on it along) and re-run:
    # exactly those are soft-deleted in the catalog, keeping their ids.
    pagila_db.psql("DROP TABLE public.film_category CASCADE", database="pagila")
    gone = {"film_category", "actor_info", "film_list", "nicer_but_slower_film_list", "rental_by_category",
            "sales_by_film_category"}
    third = run_dag("catalog_pagila")
    assert third.state == "success", third.task_states
    assert catalog.by_name("tables", f"{SCHEMA_FQN}.film_category") is None
    for name in gone:
        deleted = catalog.by_name("tables", f"{SCHEMA_FQN}.{name}", include="deleted")
        assert deleted is not None and deleted["deleted"] is True and deleted["id"] == ids[name], name
    assert set(tables_by_name(catalog)) == set(ids) - gone
    print(f"\ne2e: 3 runs of catalog_pagila in {time.monotonic() - started:.1f} s "
          f"(first {first.seconds:.1f} s, unchanged {second.seconds:.1f} s, after drop {third.seconds:.1f} s)")
