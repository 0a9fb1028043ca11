"""Entity versions: history, change descriptions and the version routes, driven by the SDK's client.

Read in open-metadata/OpenMetadata,
openmetadata-service/src/main/java/org/openmetadata/service/jdbi3/EntityRepository.java
(main at commit 0012815): ``listVersions`` answers ``EntityHistory {entityType, versions}`` with
the current entity's JSON first, then the stored older versions newest first, each a JSON string;
``getVersion`` answers a stored version, the current one, or 404 ``"<type> instance for <id> and
version <v> not found"`` (CatalogExceptionMessage.entityVersionNotFound). ``EntityUpdater``:
+0.1 per change (``EntityUtil.nextVersion``), +1.0 for a backward-incompatible one such as a
deleted column (``ColumnEntityUpdater.updateColumns``: ``majorVersionChange``); FieldChange carries
``oldValue``/``newValue``; a PATCH by the same user within the 10-minute session is consolidated
into the version that user's previous change made (``consolidateChanges``), and the PATCH/PUT
response carries the incremental change description. SDK: ``OMetaVersionMixin``
(``get_list_entity_versions``, ``get_entity_version``).
"""

from __future__ import annotations

import base64
import json

import pytest
from emulator_helpers import Api


def jwt(sub: str) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'sub': sub})}.sig"


def sdk_client(emulator, token: str = "unused"):
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    return OpenMetadata(OpenMetadataConnection(hostPort=emulator.url, authProvider="openmetadata",
                                               securityConfig={"jwtToken": token}))


@pytest.fixture
def clients(om_emulator):
    admin, steward = sdk_client(om_emulator), sdk_client(om_emulator, jwt("steward"))
    admin.create_or_update(_create("CreateUserRequest", name="steward", email="steward@example.com"))
    yield admin, steward
    admin.close()
    steward.close()


def _create(model: str, **fields):
    from metadata.generated.schema.api.data import createDatabase, createDatabaseSchema, createPipeline, createTable
    from metadata.generated.schema.api.services import createDatabaseService, createPipelineService
    from metadata.generated.schema.api.teams import createUser

    for module in (createDatabase, createDatabaseSchema, createPipeline, createTable, createDatabaseService,
                   createPipelineService, createUser):
        if hasattr(module, model):
            return getattr(module, model)(**fields)
    raise AssertionError(model)


def _catalog(admin, **table_extra):
    from metadata.generated.schema.entity.data.table import Column, DataType

    service = admin.create_or_update(_create("CreateDatabaseServiceRequest", name="pg", serviceType="Postgres"))
    database = admin.create_or_update(_create("CreateDatabaseRequest", name="dwh", service="pg"))
    schema = admin.create_or_update(_create("CreateDatabaseSchemaRequest", name="sales", database="pg.dwh"))
    columns = [Column(name="id", dataType=DataType.INT), Column(name="name", dataType=DataType.VARCHAR, dataLength=10)]
    table = admin.create_or_update(
        _create("CreateTableRequest", name="orders", databaseSchema="pg.dwh.sales", columns=columns, **table_extra)
    )
    return service, database, schema, table


def _versions(history) -> list[dict]:
    return [json.loads(v) if isinstance(v, str) else v for v in history.versions]


def test_every_collection_answers_versions_and_a_version(clients):
    from metadata.generated.schema.entity.data.database import Database
    from metadata.generated.schema.entity.data.databaseSchema import DatabaseSchema
    from metadata.generated.schema.entity.data.pipeline import Pipeline
    from metadata.generated.schema.entity.data.table import Table
    from metadata.generated.schema.entity.services.databaseService import DatabaseService
    from metadata.generated.schema.entity.services.pipelineService import PipelineService

    admin, _ = clients
    service, database, schema, table = _catalog(admin)
    pipeline_service = admin.create_or_update(
        _create("CreatePipelineServiceRequest", name="airflow", serviceType="Airflow",
                connection={"config": {"type": "Airflow", "hostPort": "http://localhost:8080",
                                       "connection": {"type": "Backend"}}})
    )
    pipeline = admin.create_or_update(_create("CreatePipelineRequest", name="dag", service="airflow"))
    entities = [(DatabaseService, service), (Database, database), (DatabaseSchema, schema), (Table, table),
                (PipelineService, pipeline_service), (Pipeline, pipeline)]
    for cls, entity in entities:
        request = {
            DatabaseService: lambda: _create("CreateDatabaseServiceRequest", name="pg", serviceType="Postgres",
                                             description="documented"),
            Database: lambda: _create("CreateDatabaseRequest", name="dwh", service="pg", description="documented"),
            DatabaseSchema: lambda: _create("CreateDatabaseSchemaRequest", name="sales", database="pg.dwh",
                                            description="documented"),
            Table: lambda: _create("CreateTableRequest", name="orders", databaseSchema="pg.dwh.sales",
                                   columns=table.columns, description="documented"),
            PipelineService: lambda: _create("CreatePipelineServiceRequest", name="airflow", serviceType="Airflow",
                                             connection=pipeline_service.connection, description="documented"),
            Pipeline: lambda: _create("CreatePipelineRequest", name="dag", service="airflow",
                                      description="documented"),
        }[cls]()
        updated = admin.create_or_update(request)
        assert updated.version.root == 0.2, cls.__name__

        history = admin.get_list_entity_versions(entity.id, cls)
        assert history.entityType == cls.__name__[0].lower() + cls.__name__[1:]
        versions = _versions(history)
        assert [v["version"] for v in versions] == [0.2, 0.1], cls.__name__
        assert versions[0]["description"] == "documented" and not versions[1].get("description")
        assert versions[0]["changeDescription"]["fieldsAdded"] == [{"name": "description", "newValue": "documented"}]

        first = admin.get_entity_version(cls, entity.id, 0.1)
        assert first.version.root == 0.1 and not first.description
        current = admin.get_entity_version(cls, entity.id, "0.2").description
        assert getattr(current, "root", current) == "documented"
        assert admin.get_entity_version(cls, entity.id, 0.7) is None  # the SDK's answer to a 404

    api = Api(admin.config.hostPort)
    missing = api.get(f"tables/{table.id.root}/versions/0.7")
    assert missing.status_code == 404
    assert missing.json()["message"] == f"table instance for {table.id.root} and version 0.7 not found"
    assert api.get(f"tables/{table.id.root}/versions/latest").status_code == 400


def test_changes_are_described_consolidated_and_majors_bump_by_one(clients, om_emulator):
    from metadata.generated.schema.entity.data.table import Column, DataType, Table

    admin, steward = clients
    _, _, _, table = _catalog(admin)
    api = Api(om_emulator.url, jwt("steward"))

    # a steward's PATCH: version 0.2, old and new values, updatedBy the steward
    r = api.patch(f"tables/{table.id.root}", [{"op": "add", "path": "/description", "value": "Orders placed"}])
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["version"] == 0.2 and first["updatedBy"] == "steward"
    assert first["changeDescription"] == {"fieldsAdded": [{"name": "description", "newValue": "Orders placed"}],
                                          "fieldsUpdated": [], "fieldsDeleted": [], "previousVersion": 0.1}

    # the same steward's next PATCH within the session is consolidated into 0.2
    second = api.patch(f"tables/{table.id.root}", [
        {"op": "add", "path": "/columns/1/description", "value": "Customer name"},
        {"op": "replace", "path": "/description", "value": "Orders placed online"},
    ]).json()
    assert second["version"] == 0.2
    assert second["changeDescription"]["previousVersion"] == 0.2  # the response: what this request changed
    assert {"name": "columns.name.description", "newValue": "Customer name"} in second["changeDescription"]["fieldsAdded"]
    assert {"name": "description", "oldValue": "Orders placed", "newValue": "Orders placed online"} in (
        second["changeDescription"]["fieldsUpdated"])
    stored = admin.get_by_id(Table, table.id, fields=["*"])
    consolidated = stored.changeDescription
    assert consolidated.previousVersion.root == 0.1
    assert {c.name.root for c in consolidated.fieldsAdded} == {"description", "columns.name.description"}
    assert list(om_emulator.store.history_of(table.id.root)) == [0.1]

    # the bot's schema change drops a column: a backward-incompatible change, +1.0
    again = admin.create_or_update(_create("CreateTableRequest", name="orders", databaseSchema="pg.dwh.sales",
                                           columns=[Column(name="id", dataType=DataType.INT)]))
    assert again.version.root == 1.2
    dropped = again.changeDescription.fieldsDeleted
    assert [c.name.root for c in dropped] == ["columns"] and '"name":"name"' in dropped[0].oldValue

    versions = _versions(admin.get_list_entity_versions(table.id, Table))
    assert [v["version"] for v in versions] == [1.2, 0.2, 0.1]
    assert versions[1]["description"] == "Orders placed online" and versions[1]["updatedBy"] == "steward"

    # a write that changes nothing keeps version, updatedAt and updatedBy
    same = admin.create_or_update(_create("CreateTableRequest", name="orders", databaseSchema="pg.dwh.sales",
                                          columns=[Column(name="id", dataType=DataType.INT)]))
    assert (same.version.root, same.updatedAt.root, same.updatedBy) == (1.2, again.updatedAt.root, again.updatedBy)
    api.session.close()


def test_soft_delete_and_restore_are_versions_and_history_survives_a_restart(om_emulator_factory, tmp_path):
    state = tmp_path / "state.json"
    emulator = om_emulator_factory(state_path=state)
    admin = sdk_client(emulator)
    _, _, _, table = _catalog(admin)
    api = Api(emulator.url)
    tid = str(table.id.root)
    assert api.delete(f"tables/{tid}").json()["version"] == 0.2
    restored = api.put("tables/restore", {"id": tid}).json()
    assert restored["version"] == 0.3
    assert restored["changeDescription"]["fieldsUpdated"] == [{"name": "deleted", "oldValue": True, "newValue": False}]
    before = api.get(f"tables/{tid}/versions").json()
    api.session.close()
    admin.close()
    emulator.stop()

    again = om_emulator_factory(state_path=state)
    api = Api(again.url)
    after = api.get(f"tables/{tid}/versions").json()
    assert after["entityType"] == "table"
    assert [json.loads(v)["version"] for v in after["versions"]] == [0.3, 0.2, 0.1]
    assert after["versions"][1:] == before["versions"][1:]
    assert api.get(f"tables/{tid}/versions/0.2").json()["deleted"] is True
    api.session.close()
