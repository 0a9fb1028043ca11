"""PostgreSQL source: Airflow connection + options -> the SDK's ``OpenMetadataWorkflowConfig``.

Connection (conn_type ``postgres``): ``host``, ``port`` (default 5432), ``login``,
``password``, ``schema`` = the database name. Extras: ``sslmode`` (disable, allow,
prefer, require, verify-ca, verify-full; default disable) and ``ingest_all_databases``
(true: every database on the server, filtered by ``database_includes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from include.connections import as_bool, extra_of, pg_sslmode, required
from include.sources.common import MetadataOptions, build_workflow_config

SOURCE_TYPE = "postgres"


@dataclass(frozen=True)
class PostgresSource:
    """The validated, secret-holding view of a PostgreSQL connection."""

    conn_id: str
    host: str
    port: int
    database: str
    username: str
    password: str | None
    sslmode: str = "disable"
    ingest_all_databases: bool = False

    def __repr__(self) -> str:  # never show the password
        return f"PostgresSource({self.conn_id}: {self.username}@{self.host}:{self.port}/{self.database})"

    @property
    def where(self) -> str:
        """Host, port and database, for messages."""
        return f"{self.host}:{self.port}, database {self.database!r}"


def postgres_from_connection(conn: Any) -> PostgresSource:
    conn_id = conn.conn_id or "postgres"
    host = required(conn, conn_id, "host", "the PostgreSQL host is empty", "set Host to the server name")
    database = required(conn, conn_id, "schema", "the database name is empty",
                        "set the connection's Schema (Database) field to the database to catalogue, e.g. pagila")
    username = required(conn, conn_id, "login", "the user name is empty", "set Login to a user that can read the catalog")
    extra = extra_of(conn)
    sslmode = pg_sslmode(extra, conn_id)
    return PostgresSource(
        conn_id=conn_id,
        host=host,
        port=int(conn.port or 5432),
        database=database,
        username=username,
        password=conn.password or None,
        sslmode=sslmode,
        ingest_all_databases=as_bool(extra.get("ingest_all_databases", False), f"{conn_id}.extra.ingest_all_databases"),
    )


def build_postgres_workflow(
    source: PostgresSource,
    server,
    options: MetadataOptions | None = None,
    *,
    service_name: str | None = None,
):
    """The SDK's ``OpenMetadataWorkflowConfig`` for one PostgreSQL database (imports the SDK).

    ``service_name`` defaults to the connection id: one Airflow connection is one
    OpenMetadata database service, so table FQNs read ``<conn_id>.<db>.<schema>.<table>``.
    """
    from metadata.generated.schema.entity.services.connections.database.common.basicAuth import BasicAuth
    from metadata.generated.schema.entity.services.connections.database.postgresConnection import (
        PostgresConnection,
    )
    from metadata.generated.schema.entity.services.databaseService import DatabaseConnection
    from metadata.generated.schema.security.ssl.verifySSLConfig import SslMode

    options = (options or MetadataOptions()).validated()
    connection = PostgresConnection(
        hostPort=f"{source.host}:{source.port}",
        username=source.username,
        authType=BasicAuth(password=source.password),
        database=source.database,
        ingestAllDatabases=source.ingest_all_databases,
        sslMode=SslMode(source.sslmode),
    )
    return build_workflow_config(
        source_type=SOURCE_TYPE,
        service_name=service_name or source.conn_id,
        service_connection=DatabaseConnection(config=connection),
        source_config=options.to_sdk(),
        server=server,
    )


def check_postgres_reachable(source: PostgresSource, timeout: float = 5.0) -> str:
    """Connect and ask the server version; a ``PreflightError`` names host, database and fix."""
    import psycopg2

    from include.errors import PreflightError

    try:
        with psycopg2.connect(
            host=source.host,
            port=source.port,
            dbname=source.database,
            user=source.username,
            password=source.password,
            sslmode=source.sslmode,
            connect_timeout=max(1, int(timeout)),
            application_name="datakit-preflight",
        ) as connection, connection.cursor() as cursor:
            cursor.execute("select current_setting('server_version')")
            version = cursor.fetchone()[0]
        connection.close()
    except psycopg2.OperationalError as exc:
        first = (str(exc).strip().splitlines() or ["no detail"])[0]
        if "password authentication failed" in first or "authentication" in first:
            fix = f"check Login and Password of the Airflow connection {source.conn_id!r}"
        elif "does not exist" in first:
            fix = f"check Schema (the database name) of the Airflow connection {source.conn_id!r}"
        else:
            fix = f"check that PostgreSQL runs and that Host/Port of {source.conn_id!r} are right"
        raise PreflightError(
            f"{source.conn_id}: cannot connect to PostgreSQL at {source.where}: {first}. Fix: {fix}"
        ) from None
    return version
