"""sync_descriptions_pagila end to end: a steward's descriptions in OpenMetadata become pagila's comments.

Real PostgreSQL 15 with pagila (a fresh copy per test), real Airflow runs (``dag.test()``), the
real SDK's ingestion into the OpenMetadata emulator. The ingestion runs as a bot
(``ingestion-bot``, ``isBot``), the steward as a user: their PATCHes make the versions the
server makes. PostgreSQL's own statement log (``log_statement = all`` on the database) shows
which ``COMMENT`` statements each run sent.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from openmetadata_emulator.client import Catalog

from tests.support import airflow_run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICE = "pagila_postgres"
DB_FQN = f"{SERVICE}.pagila"
# OpenMetadata takes names with dots, spaces, unicode and single quotes (a double quote is not
# a valid name part for its FQNs: the SDK refuses it, so such an object is never catalogued).
ODD_SCHEMA = "Sales.Q1 émoji ✓"
ODD_TABLE = "select"  # a reserved word
ODD_COLUMNS = ("o'brien col", "naïve.ß", "order")
INJECTION = "'); DROP TABLE public.actor; --"
SYNC_PASSWORD = "sync-pw-not-a-secret"

DESCRIPTIONS = {
    ("database", None, None, None): "The **pagila** sample: DVD rentals.\n\nOwned by the data team.",
    ("schema", "public", None, None): "Everything pagila has; see `actor`, `film` & co.",
    ("table", "public", "actor", None): INJECTION,
    ("column", "public", "actor", "first_name"): "It's the \"first\" name; never NULL;\nsecond line\\n not a newline",
    ("column", "public", "actor", "last_name"): "$$ dollar $$ quoted $tag$ text $tag$ and a backslash \\",
    ("table", "public", "film", None): "# Films\n\n| col | meaning |\n|---|---|\n| rating | MPAA |\n\n- one\n- two  \n",
    ("column", "public", "film", "description"): "Ünïcödé ✓ 日本語 — and a tab\there",
    ("view", "public", "actor_info", None): "Actors with their films (a view); SELECT 1; --",
    ("materialized view", "public", "rental_by_category", None): "Refreshed nightly: *total sales* per category.",
    ("column", "public", "rental_by_category", "total_sales"): "Sum of payments\r\nin USD",
    ("schema", ODD_SCHEMA, None, None): "A schema with a dot, quotes, spaces and unicode in its name.",
    ("table", ODD_SCHEMA, ODD_TABLE, None): "A table named after a reserved word.",
    ("column", ODD_SCHEMA, ODD_TABLE, ODD_COLUMNS[0]): 'A quote in the name; "double" and \'single\' quotes here.',
    ("column", ODD_SCHEMA, ODD_TABLE, ODD_COLUMNS[1]): "Dots in a column name.",
    ("column", ODD_SCHEMA, ODD_TABLE, ODD_COLUMNS[2]): "A reserved word as a column name.",
    ("table", "public", "language", None): "Languages (owned by another role).",
}
# Commented in the database after the catalog was read: empty in OpenMetadata, never erased.
KEPT = ("column", "public", "city", "city")
KEPT_COMMENT = "kept: the catalog has no description for it"


def jwt(sub: str) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'sub': sub})}.unsigned"


def ident(*parts: str) -> str:
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


@pytest.fixture
def sync_setup(airflow_db, pagila_db, om_emulator, monkeypatch):
    """pagila with awkward objects and roles; OpenMetadata with a bot and a steward; connections."""
    cluster = pagila_db
    cluster.psql(f"""
        CREATE SCHEMA {ident(ODD_SCHEMA)};
        CREATE TABLE {ident(ODD_SCHEMA, ODD_TABLE)} ({ident(ODD_COLUMNS[0])} int, {ident(ODD_COLUMNS[1])} text,
                                                     {ident(ODD_COLUMNS[2])} int);
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pagila_owner') THEN CREATE ROLE pagila_owner; END IF;
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'other_team') THEN CREATE ROLE other_team; END IF;
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pagila_sync') THEN
            CREATE ROLE pagila_sync LOGIN PASSWORD '{SYNC_PASSWORD}' IN ROLE pagila_owner; END IF;
        END $$;
        ALTER DATABASE pagila OWNER TO pagila_owner;
        ALTER SCHEMA {ident(ODD_SCHEMA)} OWNER TO pagila_owner;
        ALTER SCHEMA public OWNER TO pagila_owner;
        DO $$ DECLARE r record; BEGIN
          FOR r IN SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname IN ('public', {"'" + ODD_SCHEMA.replace("'", "''") + "'"})
                     AND c.relkind IN ('r', 'p', 'v', 'm') LOOP
            EXECUTE format(CASE r.relkind WHEN 'm' THEN 'ALTER MATERIALIZED VIEW %I.%I OWNER TO pagila_owner'
                                          WHEN 'v' THEN 'ALTER VIEW %I.%I OWNER TO pagila_owner'
                                          ELSE 'ALTER TABLE %I.%I OWNER TO pagila_owner' END, r.nspname, r.relname);
          END LOOP;
        END $$;
        ALTER TABLE public.language OWNER TO other_team;
        ALTER DATABASE pagila SET log_statement = 'all';
    """, database="pagila")
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_SYNC", json.dumps({
        "conn_type": "postgres", "host": cluster.host, "port": cluster.port, "login": "pagila_sync",
        "password": SYNC_PASSWORD, "schema": "pagila"}))
    monkeypatch.setenv("DATAKIT_DESCRIPTIONS_PAGILA_CONN_ID", "pagila_sync")

    admin = Catalog(om_emulator.url)
    for name, is_bot in (("ingestion-bot", True), ("steward", False)):
        response = admin.session.put(f"{om_emulator.url}/v1/users",
                                     json={"name": name, "email": f"{name}@example.com", "isBot": is_bot}, timeout=10)
        assert response.status_code in (200, 201), response.text
    parts = urlsplit(om_emulator.url)
    monkeypatch.setenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", json.dumps({
        "conn_type": "http", "schema": parts.scheme, "host": parts.hostname, "port": parts.port,
        "password": jwt("ingestion-bot"), "extra": {"read_timeout": 30}}))
    # Failed runs fail now (dag.test would sleep through the retry delay).
    airflow_run.without_task_retries(monkeypatch)
    yield cluster, om_emulator


def fqn_of(kind: str, schema: str | None, table: str | None) -> tuple[str, str]:
    """(collection, FQN) of an entity, built with the SDK's FQN rules."""
    from metadata.generated.schema.entity.data.databaseSchema import DatabaseSchema
    from metadata.generated.schema.entity.data.table import Table
    from metadata.utils import fqn

    if kind == "database":
        return "databases", DB_FQN
    if kind == "schema":
        return "databaseSchemas", fqn.build(None, DatabaseSchema, service_name=SERVICE, database_name="pagila",
                                            schema_name=schema)
    return "tables", fqn.build(None, Table, service_name=SERVICE, database_name="pagila", schema_name=schema,
                               table_name=table, skip_es_search=True)


def steward_writes(api_url: str) -> dict[str, float]:
    """The steward's PATCHes (one per entity, as the UI sends them); entity FQN -> version after."""
    steward = Catalog(api_url, token=jwt("steward"))
    by_entity: dict[tuple[str, str], list[dict]] = {}
    for (kind, schema, table, column), text in DESCRIPTIONS.items():
        coll, fqn = fqn_of(kind, schema, table)
        by_entity.setdefault((coll, fqn), [])
        if column is None:
            by_entity[(coll, fqn)].append({"op": "add", "path": "/description", "value": text})
        else:
            by_entity[(coll, fqn)].append({"column": column, "value": text})
    versions = {}
    for (coll, fqn), ops in by_entity.items():
        entity = steward.by_name(coll, fqn, fields="columns" if coll == "tables" else None)
        assert entity is not None, f"{coll} {fqn} was not catalogued"
        patch = []
        for op in ops:
            if "column" in op:
                index = [c["name"] for c in entity["columns"]].index(op["column"])
                patch.append({"op": "add", "path": f"/columns/{index}/description", "value": op["value"]})
            else:
                patch.append(op)
        response = steward.session.patch(f"{api_url}/v1/{coll}/{entity['id']}", data=json.dumps(patch),
                                         headers={"Content-Type": "application/json-patch+json"}, timeout=10)
        assert response.status_code == 200, response.text
        patched = response.json()
        assert patched["updatedBy"] == "steward" and patched["version"] > entity["version"]
        versions[fqn] = patched["version"]
    return versions


def comments(cluster) -> dict[tuple, str | None]:
    """The database's comments of every object in DESCRIPTIONS, read with psycopg (exact bytes)."""
    import psycopg

    from include.descriptions.plan import ObjectKey
    from include.descriptions.postgres import read_comments

    with psycopg.connect(host=cluster.host, port=cluster.port, dbname="pagila", user=cluster.user,
                         password=cluster.password, autocommit=True) as conn:
        current = read_comments(conn, None)
    return {k: current[ObjectKey(k[1], k[2], k[3])].comment for k in (*DESCRIPTIONS, KEPT)}


def statement_log(cluster, since: int) -> str:
    path = Path(cluster.root) / "server.log"
    with open(path, "rb") as handle:
        handle.seek(since)
        return handle.read().decode("utf-8", "replace")


def log_size(cluster) -> int:
    return (Path(cluster.root) / "server.log").stat().st_size


def comment_statements(text: str) -> list[str]:
    return [line for line in text.splitlines() if "statement: COMMENT ON" in line]


def refreshed_events() -> list[str]:
    """Source DAGs of the ``catalog_pagila.refreshed`` Asset events in the metadata DB."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = (select(AssetEvent.source_dag_id).join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                 .where(AssetModel.uri == "datakit-catalog://catalog_pagila/").order_by(AssetEvent.id))
        return list(session.scalars(query))


def test_sync_writes_exactly_the_stewards_descriptions(sync_setup):
    from include.catalog.tasks import ingest

    cluster, om = sync_setup
    ingest("postgres", SERVICE)  # the catalog, as the bot
    versions = steward_writes(om.url)
    cluster.psql(f"COMMENT ON COLUMN public.city.city IS '{KEPT_COMMENT}'", database="pagila")
    before = comments(cluster)

    # dry_run: the plan, nothing written.
    mark = log_size(cluster)
    dry = airflow_run.run_dag("sync_descriptions_pagila", conf={"dry_run": True})
    assert dry.state == "success", dry.task_states
    planned = dry.xcoms["sync_descriptions"]
    assert planned["status"] == "dry_run" and planned["counts"]["written"] == 0
    assert comment_statements(statement_log(cluster, mark)) == []
    assert comments(cluster) == before
    expected = {k for k, v in DESCRIPTIONS.items() if v}
    assert {(r["kind"], r["schema"], r["table"], r["column"]) for r in planned["changes"]} == expected

    # The real run: everything but the table owned by another role is written; that one is named.
    mark = log_size(cluster)
    first = airflow_run.run_dag("sync_descriptions_pagila")
    assert first.state == "failed", first.task_states
    assert first.task_states["sync_descriptions"] == "failed"
    summary = first.xcoms["sync_descriptions"]
    assert summary["counts"]["written"] == len(expected) - 1 and summary["counts"]["failed"] == 1
    assert summary["failures"][0]["object"] == "pagila.public.language"
    assert summary["failures"][0]["reason"] == "not the owner"
    # Same plan as the dry run: objects, previous comments, new texts.
    strip = [{k: r[k] for k in ("kind", "object", "old", "new")} for r in summary["changes"]]
    assert strip == [{k: r[k] for k in ("kind", "object", "old", "new")} for r in planned["changes"]]
    assert len(comment_statements(statement_log(cluster, mark))) == len(expected)

    after = comments(cluster)
    for key, text in DESCRIPTIONS.items():
        if key[2] == "language":
            assert after[key] == before[key]
        elif text:
            assert after[key] == text, key  # byte for byte
    assert after[KEPT] == KEPT_COMMENT
    assert summary["counts"]["empty_skipped"] == 1
    assert cluster.psql("SELECT count(*) FROM public.actor", database="pagila") == "200"
    # Nothing is lost: the previous comment of every change is in the summary.
    olds = {(r["kind"], r["schema"], r["table"], r["column"]): r["old"] for r in summary["changes"]}
    assert olds == {k: before[k] for k in expected}

    # The owner fixes the ownership: the next run writes that one object only.
    cluster.psql("ALTER TABLE public.language OWNER TO pagila_owner", database="pagila")
    mark = log_size(cluster)
    second = airflow_run.run_dag("sync_descriptions_pagila")
    assert second.state == "success", second.task_states
    assert [r["object"] for r in second.xcoms["sync_descriptions"]["changes"]] == ["pagila.public.language"]
    assert len(comment_statements(statement_log(cluster, mark))) == 1

    # Nothing differs any more: a run writes nothing.
    mark = log_size(cluster)
    third = airflow_run.run_dag("sync_descriptions_pagila")
    assert third.state == "success", third.task_states
    assert third.xcoms["sync_descriptions"]["counts"]["written"] == 0
    assert "statement: COMMENT" not in statement_log(cluster, mark)
    assert comments(cluster)[("table", "public", "language", None)] == DESCRIPTIONS[("table", "public", "language",
                                                                                    None)]

    # Round trip: the next catalog_pagila run creates no new version of those entities.
    catalog = Catalog(om.url)
    events_before = refreshed_events()
    refresh = airflow_run.run_dag("catalog_pagila")
    assert refresh.state == "success", refresh.task_states
    # ...and its success is the Asset event the sync is scheduled on (one more in the session's DB).
    assert refreshed_events() == [*events_before, "catalog_pagila"]
    for (kind, schema, table, column), text in DESCRIPTIONS.items():
        coll, fqn = fqn_of(kind, schema, table)
        entity = catalog.by_name(coll, fqn, fields="columns" if coll == "tables" else None)
        assert entity["version"] == versions[fqn], (fqn, entity.get("changeDescription"))
        if column is None:
            assert entity.get("description") == text


def test_what_ingestion_reads_back_is_the_same_text(sync_setup, om_emulator_factory, monkeypatch):
    """After a sync, a fresh catalog (a new OpenMetadata) gets the steward's texts from the comments."""
    from include.catalog.tasks import ingest

    cluster, om = sync_setup
    ingest("postgres", SERVICE)
    steward_writes(om.url)
    cluster.psql("ALTER TABLE public.language OWNER TO pagila_owner", database="pagila")
    # Split by schema: two mapped sync_descriptions tasks (dynamic task mapping), one per schema.
    monkeypatch.setenv("DATAKIT_DESCRIPTIONS_SCHEMA_BATCHES", "2")
    run = airflow_run.run_dag("sync_descriptions_pagila")
    assert run.state == "success", run.task_states
    assert sorted(b["batch"] for b in run.xcoms["schema_batches"]) == ["1/2", "2/2"]

    fresh = om_emulator_factory()
    parts = urlsplit(fresh.url)
    monkeypatch.setenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", json.dumps({
        "conn_type": "http", "schema": parts.scheme, "host": parts.hostname, "port": parts.port,
        "password": "test-jwt-not-a-secret"}))
    ingest("postgres", SERVICE)
    catalog = Catalog(fresh.url)
    for (kind, schema, table, column), text in DESCRIPTIONS.items():
        if kind == "database" or not text:
            continue
        coll, fqn = fqn_of(kind, schema, table)
        entity = catalog.by_name(coll, fqn, fields="columns" if coll == "tables" else None)
        if column is None:
            assert entity.get("description") == text, fqn
        else:
            found = {c["name"]: c.get("description") for c in entity["columns"]}
            assert found[column] == text, (fqn, column)
