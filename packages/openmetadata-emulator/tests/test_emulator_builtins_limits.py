"""A fresh emulator holds the server's built-in entities; oversized request bodies answer 413.

Built-ins, read in open-metadata/OpenMetadata, openmetadata-service/src/main/resources/json/data/
(``bot/ingestionBot.json``: bot ``ingestion-bot`` with bot user ``ingestion-bot``;
``botUser/ingestionBot.json``: role ``IngestionBotRole``; ``role/IngestionBotRole.json``:
policies ``DefaultBotPolicy`` and ``IngestionBotPolicy``; ``role/DataConsumer.json``,
``role/DataSteward.json``; ``tags/piiTags.json``: PII with None, NonSensitive, Sensitive;
``tags/tierTags.json``: Tier1..Tier5; ``tags/certification.json``: Bronze, Silver, Gold) and
conf/openmetadata.yaml (admin principal ``admin``, principal domain ``open-metadata.org``). The
login API takes the password base64-encoded, and a bot's JWT is read from
``/v1/users/auth-mechanism/{botUserId}`` (the flow of the datakit's bot-token helper; SDK routes
``Bot`` -> ``/bots``, ``AuthenticationMechanism`` -> ``/users/auth-mechanism``).

Request size: no explicit body limit was found in the server's code or openmetadata.yaml; the
emulator caps bodies at 64 MiB, MySQL 8's default ``max_allowed_packet`` (the server stores an
entity's or a status's JSON as one row), and answers 413 JSON on every route above it.
"""

from __future__ import annotations

import base64

import pytest
import requests
from emulator_helpers import Api
from test_emulator_versions import sdk_client

from openmetadata_emulator import Emulator


def test_a_fresh_emulator_has_the_servers_built_in_entities(om_emulator):
    from metadata.generated.schema.entity.bot import Bot
    from metadata.generated.schema.entity.classification.classification import Classification
    from metadata.generated.schema.entity.classification.tag import Tag
    from metadata.generated.schema.entity.policies.policy import Policy
    from metadata.generated.schema.entity.teams.role import Role
    from metadata.generated.schema.entity.teams.user import AuthenticationMechanism, User

    client = sdk_client(om_emulator)
    admin = client.get_by_name(User, "admin")
    assert admin.isAdmin and admin.email.root == "admin@open-metadata.org"
    bot_user = client.get_by_name(User, "ingestion-bot", fields=["roles"])
    assert bot_user.isBot and [r.name for r in bot_user.roles.root] == ["IngestionBotRole"]
    bot = client.get_by_name(Bot, "ingestion-bot")
    assert bot.botUser.id == bot_user.id and bot.botUser.type == "user"
    role = client.get_by_name(Role, "IngestionBotRole", fields=["policies"])
    assert sorted(p.name for p in role.policies.root) == ["DefaultBotPolicy", "IngestionBotPolicy"]
    assert client.get_by_name(Policy, "IngestionBotPolicy").rules.root
    for name in ("DataConsumer", "DataSteward"):
        assert client.get_by_name(Role, name) is not None
    expected = {"PII": {"None", "NonSensitive", "Sensitive"}, "Tier": {f"Tier{i}" for i in range(1, 6)},
                "Certification": {"Bronze", "Silver", "Gold"}}
    for classification, tags in expected.items():
        assert client.get_by_name(Classification, classification).mutuallyExclusive
        listed = client.list_all_entities(entity=Tag, params={"parent": classification})
        assert {t.name.root for t in listed} == tags
    mechanism = client.get_by_id(AuthenticationMechanism, bot_user.id)
    assert mechanism.config.JWTToken.get_secret_value().count(".") == 2
    client.close()

    om_emulator.reset()  # still there after a reset
    assert om_emulator.store.get("bots", "ingestion-bot") is not None
    assert om_emulator.store.count("tags") == 11


def test_login_and_the_bot_token_flow(om_emulator_factory):
    emulator = om_emulator_factory(token="shared-token")
    session = requests.Session()
    base = emulator.url + "/v1"
    wrong = session.post(f"{base}/users/login", json={"email": "admin@open-metadata.org",
                                                      "password": base64.b64encode(b"nope").decode()})
    assert wrong.status_code == 401 and wrong.json()["code"] == 401
    login = session.post(f"{base}/users/login", json={"email": "admin@open-metadata.org",
                                                      "password": base64.b64encode(b"admin").decode()})
    assert login.status_code == 200, login.text  # no bearer token needed to log in
    access = login.json()["accessToken"]
    assert access == "shared-token"  # the only token this emulator accepts
    headers = {"Authorization": f"Bearer {access}"}
    bot = session.get(f"{base}/bots/name/ingestion-bot", headers=headers).json()
    mechanism = session.get(f"{base}/users/auth-mechanism/{bot['botUser']['id']}", headers=headers).json()
    assert mechanism == {"authType": "JWT", "config": {"JWTToken": "shared-token", "JWTTokenExpiry": "Unlimited"}}
    admin_id = session.get(f"{base}/users/name/admin", headers=headers).json()["id"]
    assert session.get(f"{base}/users/auth-mechanism/{admin_id}", headers=headers).status_code == 400
    session.close()


def test_a_bots_own_token_names_the_bot(om_emulator):
    """Without a shared token the bot's JWT names the bot, so its writes are a bot's (``isBot``)."""
    api = Api(om_emulator.url)
    bot_id = api.get("users/name/ingestion-bot").json()["id"]
    token = api.get(f"users/auth-mechanism/{bot_id}").json()["config"]["JWTToken"]
    as_bot = Api(om_emulator.url, token)
    created = as_bot.put("services/databaseServices", {"name": "pg", "serviceType": "Postgres"}).json()
    assert created["updatedBy"] == "ingestion-bot"
    api.session.close()
    as_bot.session.close()


@pytest.fixture
def small_limit():
    with Emulator(max_request_bytes=1024 * 1024) as emulator:
        yield emulator


def test_bodies_over_the_limit_answer_413_on_every_route(small_limit):
    api = Api(small_limit.url)
    big = b'{"x":"' + b"a" * (1024 * 1024) + b'"}'
    for method, path in (("PUT", "services/ingestionPipelines/svc.pipe/pipelineStatus"), ("PUT", "tables"),
                         ("PATCH", "tables/00000000-0000-4000-8000-000000000000"), ("POST", "no/such/route")):
        r = api.session.request(method, api.url(path), data=big, headers={"Content-Type": "application/json"},
                                timeout=30)
        assert r.status_code == 413, (method, path, r.status_code)
        body = r.json()
        assert body["code"] == 413 and f"{len(big)} bytes" in body["message"] and "1048576" in body["message"]
    # the connection stays usable and a body at the limit is read as usual
    assert api.put("services/databaseServices", {"name": "pg", "serviceType": "Postgres"}).status_code == 201
    assert ("PUT", "/api/v1/tables", 413) in small_limit.requests_log
    api.session.close()


def test_the_default_limit_is_64_mib_chunked_bodies_too(om_emulator):
    assert om_emulator.max_request_bytes == 64 * 1024 * 1024

    def chunks():
        block = b"a" * (1024 * 1024)
        yield b'{"x":"'
        for _ in range(64):
            yield block
        yield b'"}'

    r = requests.put(om_emulator.url + "/v1/services/ingestionPipelines/svc.pipe/pipelineStatus", data=chunks(),
                     headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 413 and r.json()["code"] == 413
