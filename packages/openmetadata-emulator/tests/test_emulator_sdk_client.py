"""The SDK's own client against the emulator: the best contract check there is."""

from __future__ import annotations

import copy

import pytest


@pytest.fixture
def client(om_emulator_factory):
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.generated.schema.security.client.openMetadataJWTClientConfig import (
        OpenMetadataJWTClientConfig,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    emulator = om_emulator_factory(token="sdk-test-token")
    connection = OpenMetadataConnection(
        hostPort=emulator.url,
        authProvider="openmetadata",
        securityConfig=OpenMetadataJWTClientConfig(jwtToken="sdk-test-token"),
    )
    metadata = OpenMetadata(connection)  # validates the server version on the way
    metadata.emulator = emulator
    yield metadata
    metadata.close()


def _hierarchy(client):
    from metadata.generated.schema.api.data.createDatabase import CreateDatabaseRequest
    from metadata.generated.schema.api.data.createDatabaseSchema import CreateDatabaseSchemaRequest
    from metadata.generated.schema.api.services.createDatabaseService import CreateDatabaseServiceRequest
    from metadata.generated.schema.entity.services.databaseService import DatabaseServiceType

    service = client.create_or_update(
        CreateDatabaseServiceRequest(
            name="sdk_pg",
            serviceType=DatabaseServiceType.Postgres,
            connection={
                "config": {
                    "type": "Postgres",
                    "username": "u",
                    "authType": {"password": "p"},
                    "hostPort": "localhost:5432",
                    "database": "dwh",
                }
            },
        )
    )
    database = client.create_or_update(CreateDatabaseRequest(name="dwh", service=service.fullyQualifiedName))
    schema = client.create_or_update(
        CreateDatabaseSchemaRequest(name="sales.eu", database=database.fullyQualifiedName)
    )
    return service, database, schema


def _table_request(schema, name, **extra):
    from metadata.generated.schema.api.data.createTable import CreateTableRequest
    from metadata.generated.schema.entity.data.table import Column, DataType

    return CreateTableRequest(
        name=name,
        databaseSchema=schema.fullyQualifiedName,
        columns=[
            Column(name="id", dataType=DataType.INT),
            Column(name="amount", dataType=DataType.DECIMAL, precision=10, scale=2),
        ],
        **extra,
    )


def test_sdk_create_or_update_and_get_by_name(client):
    from metadata.generated.schema.entity.data.database import Database
    from metadata.generated.schema.entity.data.databaseSchema import DatabaseSchema
    from metadata.generated.schema.entity.data.table import Table
    from metadata.generated.schema.entity.services.databaseService import DatabaseService

    service, database, schema = _hierarchy(client)
    assert schema.fullyQualifiedName.root == 'sdk_pg.dwh."sales.eu"'
    table = client.create_or_update(_table_request(schema, "orders", description="Orders"))
    assert table.fullyQualifiedName.root == 'sdk_pg.dwh."sales.eu".orders'
    assert table.version.root == 0.1

    got = client.get_by_name(entity=Table, fqn=table.fullyQualifiedName.root, fields=["*"])
    assert got.id == table.id
    assert got.databaseSchema.fullyQualifiedName == 'sdk_pg.dwh."sales.eu"'
    assert got.database.id == database.id and got.service.id == service.id
    assert [c.fullyQualifiedName.root for c in got.columns] == [
        'sdk_pg.dwh."sales.eu".orders.id',
        'sdk_pg.dwh."sales.eu".orders.amount',
    ]
    assert client.get_by_name(entity=DatabaseService, fqn="sdk_pg", fields=["*"]).serviceType.value == "Postgres"
    assert client.get_by_name(entity=Database, fqn="sdk_pg.dwh").id == database.id
    assert client.get_by_name(entity=DatabaseSchema, fqn=schema.fullyQualifiedName.root).id == schema.id
    assert client.get_by_name(entity=Table, fqn="sdk_pg.dwh.nope.nope") is None
    assert client.get_by_id(entity=Table, entity_id=table.id).name.root == "orders"

    same = client.create_or_update(_table_request(schema, "orders", description="Orders"))
    assert same.id == table.id and same.version.root == 0.1
    changed = client.create_or_update(_table_request(schema, "orders", description="All orders"))
    assert changed.version.root == 0.2


def test_sdk_bulk_list_patch_and_delete_stale(client):
    from metadata.generated.schema.entity.data.table import Table, TableConstraint

    _, _, schema = _hierarchy(client)
    result = client.bulk_create_or_update([_table_request(schema, f"t{i}") for i in range(120)])
    assert result.numberOfRowsFailed.root == 0
    assert result.numberOfRowsProcessed.root == 120

    listed = list(client.list_all_entities(entity=Table, params={"databaseSchema": schema.fullyQualifiedName.root}))
    assert len(listed) == 120 and len({t.id.root for t in listed}) == 120

    original = client.get_by_name(entity=Table, fqn=f"{schema.fullyQualifiedName.root}.t1", fields=["tableConstraints"])
    updated = copy.deepcopy(original)
    updated.description = "patched by the SDK"
    updated.tableConstraints = [TableConstraint(constraintType="PRIMARY_KEY", columns=["id"])]
    patched = client.patch(entity=Table, source=original, destination=updated)
    assert patched.description.root == "patched by the SDK"
    assert patched.tableConstraints[0].columns == ["id"]

    seen = {f"{schema.fullyQualifiedName.root}.t{i}" for i in range(100)}
    stale = client.delete_stale_entities(
        entity=Table, scope_params={"databaseSchema": schema.fullyQualifiedName.root}, live_fqns=seen
    )
    assert stale is not None and stale.numberOfRowsPassed.root == 20
    assert client.get_by_name(entity=Table, fqn=f"{schema.fullyQualifiedName.root}.t110") is None
    # (include= only reaches the server together with fields=: the SDK appends "&include=")
    deleted = client.get_by_name(entity=Table, fqn=f"{schema.fullyQualifiedName.root}.t110", fields=["*"], include="all")
    assert deleted.deleted
    assert client.emulator.unknown_routes == []


def test_sdk_search_lineage_and_pipeline_status(client):
    from metadata.generated.schema.api.data.createPipeline import CreatePipelineRequest
    from metadata.generated.schema.api.lineage.addLineage import AddLineageRequest
    from metadata.generated.schema.api.services.createPipelineService import CreatePipelineServiceRequest
    from metadata.generated.schema.entity.data.pipeline import PipelineStatus, StatusType, Task
    from metadata.generated.schema.entity.data.table import Table
    from metadata.generated.schema.entity.services.pipelineService import PipelineServiceType
    from metadata.generated.schema.type.entityLineage import EntitiesEdge, LineageDetails, Source
    from metadata.generated.schema.type.entityReference import EntityReference

    _, _, schema = _hierarchy(client)
    src = client.create_or_update(_table_request(schema, "src"))
    dst = client.create_or_update(_table_request(schema, "dst"))
    found = client.es_search_from_fqn(entity_type=Table, fqn_search_string=src.fullyQualifiedName.root)
    assert [t.id for t in found] == [src.id]

    service = client.create_or_update(
        CreatePipelineServiceRequest(name="airflow", serviceType=PipelineServiceType.Airflow)
    )
    pipeline = client.create_or_update(
        CreatePipelineRequest(name="dag_1", service=service.fullyQualifiedName, tasks=[Task(name="copy")])
    )
    with_status = client.add_pipeline_status(
        fqn=pipeline.fullyQualifiedName.root,
        status=PipelineStatus(timestamp=1700000000000, executionStatus=StatusType.Successful),
    )
    assert with_status.pipelineStatus.executionStatus == StatusType.Successful

    request = AddLineageRequest(
        edge=EntitiesEdge(
            fromEntity=EntityReference(id=src.id, type="table"),
            toEntity=EntityReference(id=dst.id, type="table"),
            lineageDetails=LineageDetails(
                pipeline=EntityReference(id=pipeline.id, type="pipeline"), source=Source.PipelineLineage
            ),
        )
    )
    graph = client.add_lineage(request)
    assert [e["toEntity"] for e in graph["downstreamEdges"]] == [str(dst.id.root)]
    client.add_lineage(request)  # idempotent
    edge = client.get_lineage_edge(str(src.id.root), str(dst.id.root))
    assert edge["edge"]["pipeline"]["id"] == str(pipeline.id.root)
    by_name = client.get_lineage_by_name(entity=Table, fqn=dst.fullyQualifiedName.root, up_depth=1, down_depth=1)
    assert [e["fromEntity"] for e in by_name["upstreamEdges"]] == [str(src.id.root)]
    assert len(client.emulator.store.edges()) == 1
    assert client.emulator.unknown_routes == []
