"""The SDK's own client against an emulator, and a small catalog built with it."""

from __future__ import annotations


def sdk_client(emulator):
    """``OpenMetadata`` connected to ``emulator`` (no token), as a datakit connects."""
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    return OpenMetadata(
        OpenMetadataConnection(
            hostPort=emulator.url, authProvider="openmetadata", securityConfig={"jwtToken": "unused"}
        )
    )


def make_catalog(client, tables=("orders",), service_display_name=None):
    """Service ``sdk_pg`` / database ``dwh`` / schema ``sales``; tables with columns id, amount, email."""
    from metadata.generated.schema.api.data.createDatabase import CreateDatabaseRequest
    from metadata.generated.schema.api.data.createDatabaseSchema import CreateDatabaseSchemaRequest
    from metadata.generated.schema.api.data.createTable import CreateTableRequest
    from metadata.generated.schema.api.services.createDatabaseService import CreateDatabaseServiceRequest
    from metadata.generated.schema.entity.data.table import Column, DataType
    from metadata.generated.schema.entity.services.databaseService import DatabaseServiceType

    service = client.create_or_update(
        CreateDatabaseServiceRequest(
            name="sdk_pg", displayName=service_display_name, serviceType=DatabaseServiceType.Postgres
        )
    )
    database = client.create_or_update(CreateDatabaseRequest(name="dwh", service=service.fullyQualifiedName))
    schema = client.create_or_update(CreateDatabaseSchemaRequest(name="sales", database=database.fullyQualifiedName))
    out = {}
    for name in tables:
        out[name] = client.create_or_update(
            CreateTableRequest(
                name=name,
                databaseSchema=schema.fullyQualifiedName,
                columns=[
                    Column(name="id", dataType=DataType.INT),
                    Column(name="amount", dataType=DataType.DECIMAL, precision=10, scale=2),
                    Column(name="email", dataType=DataType.VARCHAR, dataLength=100),
                ],
            )
        )
    return service, database, schema, out
