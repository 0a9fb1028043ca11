"""mssql_corp -> the SDK's Mssql config: pyodbc, trusted connection, no password anywhere."""

import json

import pytest
from airflow.sdk.definitions.connection import Connection

from include.errors import ConfigError
from include.openmetadata.server import server_from_connection
from include.sources.mssql import (
    build_mssql_workflow,
    mssql_from_connection,
    odbc_connection_string,
)

SERVER = server_from_connection(
    Connection(conn_id="openmetadata_default", conn_type="http", schema="http", host="om", port=8585,
               password="jwt-secret-value")
)


def conn(**kwargs):
    base = {"conn_id": "mssql_corp", "conn_type": "mssql", "host": "sql01.corp.example.com", "port": 1433,
            "schema": "Sales"}
    base.update(kwargs)
    return Connection(**base)


def sdk_connection(config):
    sc = config.source.serviceConnection
    return (sc.root if hasattr(sc, "root") else sc).config


def test_builds_pyodbc_trusted_connection():
    source = mssql_from_connection(conn())
    config = build_mssql_workflow(source, SERVER)
    assert config.source.type == "mssql"
    assert config.source.serviceName == "mssql_corp"
    ms = sdk_connection(config)
    assert ms.scheme.value == "mssql+pyodbc"
    assert ms.hostPort == "sql01.corp.example.com:1433"
    assert ms.database == "Sales"
    assert ms.driver == "ODBC Driver 18 for SQL Server"
    assert ms.username is None and ms.password is None
    assert ms.connectionOptions.root == {"Encrypt": "yes", "TrustServerCertificate": "no"}


def test_url_and_odbc_string_exactly_as_expected():
    """The whole chain up to the driver: SDK URL builder, then SQLAlchemy's pyodbc dialect."""
    from metadata.ingestion.source.database.mssql.connection import get_connection_url

    from include.sources.mssql import build_mssql_connection

    source = mssql_from_connection(conn())
    assert get_connection_url(build_mssql_connection(source)) == (
        "mssql+pyodbc://sql01.corp.example.com:1433/Sales?driver=ODBC+Driver+18+for+SQL+Server"
        "&Encrypt=yes&TrustServerCertificate=no"
    )
    assert odbc_connection_string(source) == (
        "DRIVER={ODBC Driver 18 for SQL Server};Server=sql01.corp.example.com,1433;Database=Sales;"
        "Trusted_Connection=Yes;Encrypt=yes;TrustServerCertificate=no"
    )


def test_extras_land_where_the_sdk_expects_them():
    source = mssql_from_connection(conn(port=14330, extra=json.dumps({
        "driver": "FreeTDS", "encrypt": False, "trust_server_certificate": "true", "ingest_all_databases": True,
        "database_filter": ["^Sales$"], "schema_filter": ["^dbo$"], "table_filter": "^fact_",
    })))
    config = build_mssql_workflow(source, SERVER)
    ms = sdk_connection(config)
    assert (ms.driver, ms.ingestAllDatabases, ms.hostPort) == ("FreeTDS", True, "sql01.corp.example.com:14330")
    assert ms.connectionOptions.root == {"Encrypt": "no", "TrustServerCertificate": "yes"}
    sc = config.source.sourceConfig.config
    assert sc.databaseFilterPattern.includes == ["^Sales$"]
    assert sc.schemaFilterPattern.includes == ["^dbo$"]
    assert "^sys$" in sc.schemaFilterPattern.excludes
    assert sc.tableFilterPattern.includes == ["^fact_"]
    assert "Trusted_Connection=Yes" in odbc_connection_string(source)


def secrets_in(node, path=""):
    """Paths of password-like fields that hold a value."""
    if isinstance(node, dict):
        for key, value in node.items():
            if any(w in key.lower() for w in ("password", "secret", "token", "pwd")) and value not in (None, "", {}):
                yield f"{path}.{key}"
            yield from secrets_in(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from secrets_in(value, f"{path}[{i}]")


def test_no_password_anywhere_in_the_built_config():
    config = build_mssql_workflow(mssql_from_connection(conn()), SERVER)
    dumped = config.model_dump(mode="json")
    # The config must hold the OpenMetadata JWT to reach the server, but never shows it
    # in the forms a log line would use.
    text = config.model_dump_json() + repr(config) + str(config)
    assert not list(secrets_in(dumped["source"])), "a password/secret field is set"
    assert "jwt-secret-value" not in text
    assert "UID=" not in odbc_connection_string(mssql_from_connection(conn()))
    assert "PWD=" not in odbc_connection_string(mssql_from_connection(conn()))


@pytest.mark.parametrize(
    ("kwargs", "field", "phrase"),
    [
        ({"schema": ""}, "mssql_corp.schema", "the database name is empty (the SDK would build a broken URL)"),
        ({"host": ""}, "mssql_corp.host", "the SQL Server host is empty"),
        ({"login": "svc"}, "mssql_corp.login", "authenticates with Kerberos"),
        ({"password": "hunter2"}, "mssql_corp.login", "authenticates with Kerberos"),
        ({"extra": json.dumps({"driver": "x};UID=sa"})}, "mssql_corp.extra.driver", "is not an ODBC driver name"),
        ({"extra": json.dumps({"schema_filter": ["(dbo"]})}, "mssql_corp.extra.schema_includes",
         "not a valid regular expression"),
        ({"extra": json.dumps({"encrypt": "sometimes"})}, "mssql_corp.extra.encrypt", "not a boolean"),
        ({"extra": json.dumps({"table_filter": {"a": 1}})}, "mssql_corp.extra.table_filter",
         'is not a list of regular expressions'),
    ],
)
def test_bad_inputs_rejected(kwargs, field, phrase):
    with pytest.raises(ConfigError) as err:
        source = mssql_from_connection(conn(**kwargs))
        build_mssql_workflow(source, SERVER)
    assert err.value.field == field
    assert phrase in str(err.value)
    assert "hunter2" not in str(err.value)
