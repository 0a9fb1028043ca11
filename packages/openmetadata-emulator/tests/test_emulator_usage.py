"""Usage: ``POST``/``PUT /v1/usage/{entity}/{id}`` and the ``usageSummary`` read back, as the server
computes it (issue 11: "Also answer POST /v1/usage/table/{id}").

Server code read: open-metadata/OpenMetadata ``openmetadata-service/src/main/java/org/openmetadata/
service/resources/usage/UsageResource.java`` (routes; body ``DailyCount``), ``jdbi3/
UsageRepository.java`` (table usage rolls up to its schema and database; 201 with a
``ChangeEvent``), ``jdbi3/CollectionDAO.java`` ``UsageDAO`` (``insertOrReplaceCount`` for POST,
``insertOrUpdateCount`` for PUT, ``getLatestUsage``, ``computePercentile``) and
``util/EntityUtil.getLatestUsage`` (zero counts dated today when there is no usage)."""

from __future__ import annotations

import datetime as dt

import pytest
from emulator_helpers import Api
from emulator_sdk_helpers import make_catalog, sdk_client


@pytest.fixture
def client(om_emulator):
    metadata = sdk_client(om_emulator)
    yield metadata
    metadata.close()


def _summary(api, coll, entity_id) -> dict:
    r = api.get(f"{coll}/{entity_id}", params={"fields": "usageSummary"})
    assert r.status_code == 200, r.text
    s = r.json()["usageSummary"]
    return {"date": s["date"], **{k: s[k]["count"] for k in ("dailyStats", "weeklyStats", "monthlyStats")}}


def test_sdk_publish_table_usage_posts_and_the_summary_reads_it_back(client, om_emulator):
    """``publish_table_usage`` POSTs a ``UsageRequest``; a later ``?fields=usageSummary`` shows the
    latest day's row: ``dailyStats`` = that day's count, ``weeklyStats``/``monthlyStats`` = it plus
    the counts of the 6/29 days before (``UsageDAO`` SQL). Without a request for the field the
    summary is absent; with no usage it is zero counts dated today."""
    from metadata.generated.schema.entity.data.table import Table
    from metadata.generated.schema.type.usageRequest import UsageRequest

    _, database, schema, tables = make_catalog(client, tables=["orders"])
    table = tables["orders"]
    api = Api(om_emulator.url)
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()  # noqa: UP017 - Python 3.10 too
    assert _summary(api, "tables", table.id.root) == {
        "date": today,
        "dailyStats": 0,
        "weeklyStats": 0,
        "monthlyStats": 0,
    }

    for day, count in (("2026-01-01", 3), ("2026-01-05", 4), ("2026-01-20", 5)):
        client.publish_table_usage(table, UsageRequest(date=day, count=count))
    assert ("POST", f"/api/v1/usage/table/{table.id.root}", 201) in om_emulator.requests_log
    # 2026-01-20: week = 5 (01-14..), month = 5 + 4 + 3 (12-22..)
    assert _summary(api, "tables", table.id.root) == {
        "date": "2026-01-20",
        "dailyStats": 5,
        "weeklyStats": 5,
        "monthlyStats": 12,
    }
    assert "usageSummary" not in api.get(f"tables/{table.id.root}").json()

    read = client.get_by_name(entity=Table, fqn=table.fullyQualifiedName.root, fields=["usageSummary"])
    assert read.usageSummary.dailyStats.count == 5 and read.usageSummary.weeklyStats.percentileRank == 0.0

    # the schema and the database add the table's usage (insertOrUpdateCount)
    assert _summary(api, "databaseSchemas", schema.id.root)["monthlyStats"] == 12
    assert _summary(api, "databases", database.id.root)["dailyStats"] == 5


def test_post_replaces_a_days_count_put_adds_to_it(client, om_emulator):
    """POST is ``insertOrReplaceCount`` (the day's count replaced, week/month shifted by the
    difference), PUT is ``insertOrUpdateCount`` (added to all three); both answer 201 with a
    ``ChangeEvent`` whose ``fieldsUpdated`` names ``usageSummary``. The body is validated as the
    SDK's ``DailyCount`` model (``count`` >= 0, ``date`` a date): 400 otherwise; an unknown id is 404."""
    from metadata.generated.schema.type.changeEvent import ChangeEvent

    _, _, _, tables = make_catalog(client, tables=["orders"])
    tid = tables["orders"].id.root
    api = Api(om_emulator.url)
    assert api.post(f"usage/table/{tid}", {"date": "2026-02-01", "count": 10}).status_code == 201
    r = api.post(f"usage/table/{tid}", {"date": "2026-02-01", "count": 4})
    assert r.status_code == 201
    event = ChangeEvent.model_validate(r.json())
    assert event.changeDescription.fieldsUpdated[0].name.root == "usageSummary"
    assert _summary(api, "tables", tid)["dailyStats"] == 4
    assert api.put(f"usage/table/{tid}", {"date": "2026-02-01", "count": 6}).status_code == 201
    assert _summary(api, "tables", tid) == {
        "date": "2026-02-01",
        "dailyStats": 10,
        "weeklyStats": 10,
        "monthlyStats": 10,
    }

    assert api.post(f"usage/table/{tid}", {"date": "2026-02-01", "count": -1}).status_code == 400
    assert api.post(f"usage/table/{tid}", {"date": "yesterday", "count": 1}).status_code == 400
    missing = api.post("usage/table/00000000-0000-4000-8000-000000000000", {"date": "2026-02-01", "count": 1})
    assert missing.status_code == 404


def test_usage_history_and_percentiles(client, om_emulator):
    """``GET /usage/{entity}/{id}?date=&days=`` lists the days ending at ``date``, newest first;
    ``POST /usage/compute.percentile/{entity}/{date}`` (the SDK's ``compute_percentile``) ranks the
    entities of that type on that day: 100 * (rows with a smaller count) / rows, answered 201."""
    from metadata.generated.schema.entity.data.table import Table
    from metadata.generated.schema.type.entityUsage import EntityUsage

    _, _, _, tables = make_catalog(client, tables=["a", "b"])
    api = Api(om_emulator.url)
    api.post(f"usage/table/{tables['a'].id.root}", {"date": "2026-03-01", "count": 1})
    api.post(f"usage/table/{tables['a'].id.root}", {"date": "2026-03-02", "count": 2})
    api.post(f"usage/table/{tables['b'].id.root}", {"date": "2026-03-02", "count": 9})

    history = api.get(f"usage/table/{tables['a'].id.root}", params={"date": "2026-03-02", "days": 7}).json()
    EntityUsage.model_validate(history)
    assert [(u["date"], u["dailyStats"]["count"], u["weeklyStats"]["count"]) for u in history["usage"]] == [
        ("2026-03-02", 2, 3),
        ("2026-03-01", 1, 1),
    ]

    client.compute_percentile(Table, "2026-03-02")
    assert ("POST", "/api/v1/usage/compute.percentile/table/2026-03-02", 201) in om_emulator.requests_log
    ranked = api.get(f"tables/{tables['b'].id.root}", params={"fields": "usageSummary"}).json()["usageSummary"]
    assert ranked["dailyStats"]["percentileRank"] == 50.0
    low = api.get(f"tables/{tables['a'].id.root}", params={"fields": "usageSummary"}).json()["usageSummary"]
    assert low["dailyStats"]["percentileRank"] == 0.0


def test_usage_survives_the_state_file(client, om_emulator):
    """Usage rows are part of the emulator's state (``to_json``/``load_json``), as the server's
    ``entity_usage`` table outlives a restart."""
    from openmetadata_emulator.store import Store

    _, _, _, tables = make_catalog(client, tables=["orders"])
    tid = str(tables["orders"].id.root)
    Api(om_emulator.url).post(f"usage/table/{tid}", {"date": "2026-04-01", "count": 7})
    restored = Store()
    restored.load_json(om_emulator.store.to_json())
    assert restored.usage_summary(tid)["dailyStats"]["count"] == 7
    restored.clear()
    assert restored.usage_summary(tid)["dailyStats"]["count"] == 0
