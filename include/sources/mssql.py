"""Corporate SQL Server through Kerberos: Airflow connection -> the SDK's workflow config.

Connection ``mssql_corp`` (conn_type ``mssql``): ``host``, ``port`` (1433), ``schema`` =
database. **No login and no password**: authentication is the Kerberos ticket that the
sidecar shares (``KRB5CCNAME``), so the ODBC connection is a trusted connection.

Extras (all optional):

==========================  ==============================================================
``driver``                  ODBC driver name (default ``ODBC Driver 18 for SQL Server``)
``encrypt``                 TLS to SQL Server (default true)
``trust_server_certificate``  accept a certificate not signed by a trusted CA (default false)
``ingest_all_databases``    every database on the server, filtered by ``database_filter``
``database_filter``,        lists of regular expressions (includes)
``schema_filter``,
``table_filter``
==========================  ==============================================================

The SDK's URL is ``mssql+pyodbc://host:port/db?driver=...&Encrypt=..&TrustServerCertificate=..``;
with no user name SQLAlchemy's pyodbc dialect adds ``Trusted_Connection=Yes`` itself, so the
ODBC connection string authenticates with the ticket cache.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from include.connections import as_bool, extra_of, extra_patterns, required
from include.errors import ConfigError
from include.sources.common import MetadataOptions, build_workflow_config

SOURCE_TYPE = "mssql"
DEFAULT_DRIVER = "ODBC Driver 18 for SQL Server"
# Schemas SQL Server creates in every database; not data.
SYSTEM_SCHEMAS = ("^sys$", "^INFORMATION_SCHEMA$", "^guest$", "^db_.*", "^cdc$")


@dataclass(frozen=True)
class MssqlSource:
    """A validated SQL Server connection: where, which driver, which options. Holds no secret."""

    conn_id: str
    host: str
    port: int
    database: str
    driver: str = DEFAULT_DRIVER
    encrypt: bool = True
    trust_server_certificate: bool = False
    ingest_all_databases: bool = False
    database_filter: tuple[str, ...] = ()
    schema_filter: tuple[str, ...] = ()
    table_filter: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}, database {self.database!r}"

    def connection_options(self) -> dict[str, str]:
        """ODBC keywords appended to the URL (SQLAlchemy adds Trusted_Connection=Yes)."""
        return {
            "Encrypt": "yes" if self.encrypt else "no",
            "TrustServerCertificate": "yes" if self.trust_server_certificate else "no",
        }

    def metadata_options(self, base: MetadataOptions | None = None) -> MetadataOptions:
        base = base or MetadataOptions(schema_excludes=SYSTEM_SCHEMAS)
        changes: dict[str, Any] = {}
        if self.database_filter:
            changes["database_includes"] = self.database_filter
        if self.schema_filter:
            changes["schema_includes"] = self.schema_filter
        if self.table_filter:
            changes["table_includes"] = self.table_filter
        return replace(base, **changes).validated(prefix=f"{self.conn_id}.extra")


def mssql_from_connection(conn: Any) -> MssqlSource:
    conn_id = conn.conn_id or "mssql"
    if conn.login or conn.password:
        raise ConfigError(
            f"{conn_id}.login",
            "a login or password is set, but this connection authenticates with Kerberos",
            "clear Login and Password: the Kerberos ticket from the sidecar (KRB5CCNAME) is used",
        )
    host = required(conn, conn_id, "host", "the SQL Server host is empty",
                    "set Host to the server's fully qualified name (Kerberos needs it for the SPN)")
    database = required(conn, conn_id, "schema", "the database name is empty (the SDK would build a broken URL)",
                        "set the connection's Schema field to the database to catalogue, e.g. master")
    extra = extra_of(conn)
    driver = str(extra.get("driver") or DEFAULT_DRIVER).strip()
    if not driver or any(c in driver for c in "{};="):
        raise ConfigError(f"{conn_id}.extra.driver", f"{driver!r} is not an ODBC driver name",
                          f"use the name as registered in odbcinst.ini, e.g. {DEFAULT_DRIVER}")
    return MssqlSource(
        conn_id=conn_id,
        host=host,
        port=int(conn.port or 1433),
        database=database,
        driver=driver,
        encrypt=as_bool(extra.get("encrypt", True), f"{conn_id}.extra.encrypt"),
        trust_server_certificate=as_bool(extra.get("trust_server_certificate", False),
                                         f"{conn_id}.extra.trust_server_certificate"),
        ingest_all_databases=as_bool(extra.get("ingest_all_databases", False), f"{conn_id}.extra.ingest_all_databases"),
        database_filter=extra_patterns(extra, "database_filter", conn_id, '["^dbo$"]'),
        schema_filter=extra_patterns(extra, "schema_filter", conn_id, '["^dbo$"]'),
        table_filter=extra_patterns(extra, "table_filter", conn_id, '["^dbo$"]'),
    )


def build_mssql_connection(source: MssqlSource):
    """The SDK's ``MssqlConnection`` (imports the SDK): pyodbc, no user, no password."""
    from metadata.generated.schema.entity.services.connections.connectionBasicType import ConnectionOptions
    from metadata.generated.schema.entity.services.connections.database.mssqlConnection import (
        MssqlConnection,
        MssqlScheme,
    )

    return MssqlConnection(
        scheme=MssqlScheme.mssql_pyodbc,
        hostPort=f"{source.host}:{source.port}",
        database=source.database,
        driver=source.driver,
        ingestAllDatabases=source.ingest_all_databases,
        connectionOptions=ConnectionOptions(source.connection_options()),
    )


def build_mssql_workflow(source: MssqlSource, server, options: MetadataOptions | None = None, *,
                         service_name: str | None = None):
    """The SDK's ``OpenMetadataWorkflowConfig`` for the SQL Server database."""
    from metadata.generated.schema.entity.services.databaseService import DatabaseConnection

    options = (options or source.metadata_options()).validated()
    return build_workflow_config(
        source_type=SOURCE_TYPE,
        service_name=service_name or source.conn_id,
        service_connection=DatabaseConnection(config=build_mssql_connection(source)),
        source_config=options.to_sdk(),
        server=server,
    )


def odbc_connection_string(source: MssqlSource) -> str:
    """What pyodbc would be given: the SDK's URL through SQLAlchemy's pyodbc dialect."""
    from metadata.ingestion.source.database.mssql.connection import get_connection_url
    from sqlalchemy.dialects.mssql.pyodbc import dialect
    from sqlalchemy.engine import make_url

    url = make_url(get_connection_url(build_mssql_connection(source)))
    args, _ = dialect().create_connect_args(url)
    return args[0]
