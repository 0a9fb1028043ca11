"""A steward's description (a user's PATCH) survives the ingestion bot's later PUTs.

Read in open-metadata/OpenMetadata,
openmetadata-service/src/main/java/org/openmetadata/service/jdbi3/EntityRepository.java:
``EntityUpdater.updateDescription`` reverts a PUT's description change "if it is being updated
by a bot" and the stored one is non-empty ("Description need to be updated with a PATCH
request"); ``updateColumnDescription`` does the same per column; ``updatedByBot()`` is the
writing user's ``isBot``. The bulk path's ``overrideMetadata=true`` lets the bot replace a
description with a non-empty source one, never blank a column's.
"""

from __future__ import annotations

import base64
import json

import pytest
from emulator_helpers import Api, make_hierarchy, table_request


def jwt(sub: str) -> str:
    """An unsigned JWT naming ``sub`` (the emulator reads the user from it without verifying)."""
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'sub': sub})}.sig"


@pytest.fixture
def actors(om_emulator):
    admin = Api(om_emulator.url)
    for name, is_bot in (("ingestion-bot", True), ("steward", False)):
        r = admin.put("users", {"name": name, "email": f"{name}@example.com", "isBot": is_bot})
        assert r.status_code in (200, 201), r.text
    bot, steward = Api(om_emulator.url, jwt("ingestion-bot")), Api(om_emulator.url, jwt("steward"))
    yield bot, steward
    for client in (admin, bot, steward):
        client.session.close()


def test_a_bot_put_keeps_the_stewards_descriptions(actors):
    bot, steward = actors
    schema_fqn = make_hierarchy(bot)
    created = bot.put("tables", table_request(schema_fqn, "orders", description="from the source")).json()
    assert created["updatedBy"] == "ingestion-bot"

    ops = [{"op": "replace", "path": "/description", "value": "Orders, **one row per order**"},
           {"op": "add", "path": "/columns/1/description", "value": "the customer's name"}]
    patched = steward.patch(f"tables/{created['id']}", ops).json()
    assert patched["version"] == 0.2 and patched["updatedBy"] == "steward"
    assert patched["description"] == "Orders, **one row per order**"
    # The server's FieldChange records (EntityUpdater.recordChange, ColumnEntityUpdater).
    change = patched["changeDescription"]
    assert change["previousVersion"] == 0.1
    assert change["fieldsUpdated"] == [{"name": "description", "oldValue": "from the source",
                                        "newValue": "Orders, **one row per order**"}]
    assert change["fieldsAdded"] == [{"name": "columns.name.description", "newValue": "the customer's name"}]

    # The bot re-sends what the source has: different texts, single and bulk.
    again = table_request(schema_fqn, "orders", description="from the source")
    again["columns"][1]["description"] = "source comment"
    after = bot.put("tables", again).json()
    assert after["description"] == "Orders, **one row per order**"
    assert after["columns"][1]["description"] == "the customer's name"
    assert after["version"] == 0.2  # nothing the server records changed
    result = bot.put("tables/bulk?overrideMetadata=false", [again]).json()
    assert result["numberOfRowsFailed"] == 0
    stored = bot.get(f"tables/{created['id']}", params={"fields": "columns"}).json()
    assert stored["description"] == "Orders, **one row per order**" and stored["version"] == 0.2
    assert stored["columns"][1]["description"] == "the customer's name"


def test_a_user_put_and_an_empty_description_follow_the_request(actors):
    bot, steward = actors
    schema_fqn = make_hierarchy(bot)
    created = bot.put("tables", table_request(schema_fqn, "t", description="bot text")).json()
    # A user's PUT is not reverted.
    by_user = steward.put("tables", table_request(schema_fqn, "t", description="user text")).json()
    assert by_user["description"] == "user text" and by_user["version"] == 0.2
    # The bot may still fill an empty column description (only non-empty ones are kept).
    body = table_request(schema_fqn, "t", description="x")
    body["columns"][0]["description"] = "id from the source"
    filled = bot.put("tables", body).json()
    assert filled["columns"][0]["description"] == "id from the source"
    assert filled["description"] == "user text"
    assert created["id"] == filled["id"]


def test_override_metadata_lets_the_bot_replace_but_never_blank(actors):
    bot, steward = actors
    schema_fqn = make_hierarchy(bot)
    created = bot.put("tables", table_request(schema_fqn, "t")).json()
    steward.patch(f"tables/{created['id']}", [
        {"op": "add", "path": "/description", "value": "steward"},
        {"op": "add", "path": "/columns/0/description", "value": "steward id"},
        {"op": "add", "path": "/columns/1/description", "value": "steward name"}])
    body = table_request(schema_fqn, "t", description="source")
    body["columns"][0]["description"] = "source id"  # column 1: no comment in the source
    bot.put("tables/bulk?overrideMetadata=true", [body])
    stored = bot.get(f"tables/{created['id']}", params={"fields": "columns"}).json()
    assert stored["description"] == "source"
    assert [c.get("description") for c in stored["columns"]] == ["source id", "steward name"]
