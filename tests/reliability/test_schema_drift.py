"""Schema drift between two runs: a dropped table, an added column, a changed column type.

After the second run the catalog, read back over HTTP, says what PostgreSQL says.
"""

from __future__ import annotations

import pytest

from include.catalog.tasks import ingest
from tests.reliability.helpers import SCHEMA_FQN, SERVICE, Catalog, DagRun, set_om_connection

pytestmark = [pytest.mark.integration]


def columns(table: dict) -> dict[str, dict]:
    return {c["name"]: c for c in table["columns"]}


def test_drift_is_reflected_after_the_next_run(airflow_db, pagila_db, om_connection, monkeypatch, no_task_retries):
    set_om_connection(monkeypatch, om_connection.url)
    catalog = Catalog(om_connection.url)
    assert ingest("postgres", SERVICE, dag_run=DagRun())["status"] == "success"
    before = catalog.tables()
    assert "nickname" not in columns(before["actor"])
    assert columns(before["customer"])["active"]["dataType"] == "INT"
    assert {c["referredColumns"][0] for c in before["film"]["tableConstraints"]
            if c["constraintType"] == "FOREIGN_KEY"} >= {f"{SCHEMA_FQN}.language.language_id"}

    pagila_db.psql(
        "DROP TABLE public.language CASCADE;"  # no view uses it; CASCADE drops film's two foreign keys to it
        "ALTER TABLE public.actor ADD COLUMN nickname varchar(40);"
        "ALTER TABLE public.customer ALTER COLUMN active TYPE bigint;",
        database="pagila")

    result = no_task_retries("catalog_pagila")
    assert result.state == "success", result.task_states

    after = catalog.tables()
    assert set(after) == set(before) - {"language"}
    dropped = catalog.by_name("tables", f"{SCHEMA_FQN}.language", include="deleted")
    assert dropped["deleted"] is True and dropped["id"] == before["language"]["id"], "soft-deleted, restorable"
    assert catalog.by_name("tables", f"{SCHEMA_FQN}.language") is None

    actor = columns(after["actor"])
    assert list(actor) == ["actor_id", "first_name", "last_name", "last_update", "nickname"]
    assert (actor["nickname"]["dataType"], actor["nickname"]["dataLength"]) == ("VARCHAR", 40)
    assert actor["nickname"]["fullyQualifiedName"] == f"{SCHEMA_FQN}.actor.nickname"
    assert columns(after["customer"])["active"]["dataType"] == "BIGINT"
    assert {name: t["id"] for name, t in after.items()} == {
        name: t["id"] for name, t in before.items() if name != "language"}, "same entities, updated in place"
    assert after["actor"]["version"] > before["actor"]["version"]
