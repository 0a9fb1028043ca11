"""The SDK's own MetadataWorkflow (SQLite source, metadata-rest sink) against the emulator.

SQLite needs no server, so this end-to-end run is cheap enough for every test session;
the same workflow with a Postgres source is exercised by the acceptance runs.
"""

from __future__ import annotations

import sqlite3

import pytest


@pytest.fixture
def sqlite_db(tmp_path):
    path = tmp_path / "shop.db"
    con = sqlite3.connect(path)
    con.executescript(
        """
        create table customer (id integer primary key, name text not null);
        create table orders (id integer primary key, customer_id integer references customer(id), amount numeric);
        create table scratch (id integer);
        create view big_orders as select * from orders where amount > 100;
        """
    )
    con.close()
    return path


def _run(emulator, db_path) -> None:
    import uuid

    from metadata.workflow.metadata import MetadataWorkflow

    config = {
        "source": {
            "type": "sqlite",
            "serviceName": "shop_sqlite",
            "serviceConnection": {"config": {"type": "SQLite", "databaseMode": str(db_path), "database": "main"}},
            "sourceConfig": {"config": {"type": "DatabaseMetadata", "markDeletedTables": True, "includeViews": True}},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        # exercises the ingestion pipeline routes: get-or-create, pipelineStatus, progress
        "ingestionPipelineFQN": "shop_sqlite.shop_sqlite_metadata",
        "pipelineRunId": str(uuid.uuid4()),
        "workflowConfig": {
            "loggerLevel": "WARN",
            "openMetadataServerConfig": {
                "hostPort": emulator.url,
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": "wf-token"},
            },
        },
    }
    workflow = MetadataWorkflow.create(config)
    try:
        workflow.execute()
        workflow.raise_from_status()
        assert workflow.source.status.failures == []
        assert workflow.steps[-1].status.failures == []
    finally:
        workflow.stop()


def _tables(emulator) -> dict[str, tuple[str, float, bool]]:
    return {
        t["fullyQualifiedName"]: (t["id"], t["version"], t["deleted"])
        for t in emulator.store.entities("tables", include_deleted=True)
    }


def test_metadata_workflow_end_to_end(om_emulator_factory, sqlite_db):
    emulator = om_emulator_factory(token="wf-token")
    _run(emulator, sqlite_db)
    assert emulator.unknown_routes == []
    assert emulator.store.count("databaseServices") == 1
    assert [d["fullyQualifiedName"] for d in emulator.store.entities("databases")] == ["shop_sqlite.main"]
    first = _tables(emulator)
    assert set(first) == {
        "shop_sqlite.main.main.customer",
        "shop_sqlite.main.main.orders",
        "shop_sqlite.main.main.scratch",
        "shop_sqlite.main.main.big_orders",
    }
    orders = emulator.store.get("tables", "shop_sqlite.main.main.orders")
    fks = [c for c in orders["tableConstraints"] if c["constraintType"] == "FOREIGN_KEY"]
    assert fks and fks[0]["referredColumns"] == ["shop_sqlite.main.main.customer.id"]
    assert emulator.store.get("tables", "shop_sqlite.main.main.big_orders")["tableType"] == "View"

    # re-run unchanged: same ids, same versions, no duplicates
    _run(emulator, sqlite_db)
    assert _tables(emulator) == first

    # drop a table at the source: the next run soft-deletes it
    con = sqlite3.connect(sqlite_db)
    con.execute("drop table scratch")
    con.commit()
    con.close()
    _run(emulator, sqlite_db)
    after = _tables(emulator)
    assert after["shop_sqlite.main.main.scratch"][2] is True
    assert after["shop_sqlite.main.main.scratch"][0] == first["shop_sqlite.main.main.scratch"][0]
    assert {k: v for k, v in after.items() if "scratch" not in k} == {k: v for k, v in first.items() if "scratch" not in k}
    assert emulator.unknown_routes == []
    assert not [r for r in emulator.requests_log if r[2] >= 500]

    pipeline = emulator.store.get("ingestionPipelines", "shop_sqlite.shop_sqlite_metadata")
    assert pipeline["pipelineType"] == "metadata" and pipeline["service"]["fullyQualifiedName"] == "shop_sqlite"
    statuses = emulator.store.ingestion_statuses[pipeline["id"]]
    assert len(statuses) == 3 and {s["pipelineState"] for s in statuses.values()} == {"success"}
