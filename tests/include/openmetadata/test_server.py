"""openmetadata_default -> OpenMetadataServer -> the SDK's OpenMetadataConnection."""

import json

import pytest
from airflow.sdk.definitions.connection import Connection

from include.errors import ConfigError
from include.openmetadata.server import get_server, server_from_connection


def conn(**kwargs):
    base = {"conn_id": "openmetadata_default", "conn_type": "http", "schema": "http", "host": "om", "port": 8585,
            "password": "jwt-token"}
    base.update(kwargs)
    return Connection(**base)


def test_api_url_and_defaults():
    server = server_from_connection(conn())
    assert server.api_url == "http://om:8585/api"
    assert server.base_url == "http://om:8585"
    assert server.client_arguments() == {"timeout": (5, 60), "retry": 2, "retry_wait": 2}


def test_jwt_is_not_in_repr():
    assert "jwt-token" not in repr(server_from_connection(conn()))


def test_extras_land_in_client_limits():
    server = server_from_connection(
        conn(extra=json.dumps({"connect_timeout": 1, "read_timeout": "7.5", "retries": 0, "retry_wait": 0.5}))
    )
    # The SDK's ClientConfig takes whole seconds: fractions round up.
    assert server.client_arguments() == {"timeout": (1, 8), "retry": 0, "retry_wait": 1}


def test_host_given_as_url():
    assert server_from_connection(conn(schema=None, host="https://om.example.com", port=None)).api_url == (
        "https://om.example.com/api"
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "phrase"),
    [
        ({"schema": None}, "openmetadata_default.schema", "has no scheme"),
        ({"schema": "ftp"}, "openmetadata_default.schema", "set Schema to http or https"),
        ({"host": ""}, "openmetadata_default.host", "host is empty"),
        ({"host": "om:8585"}, "openmetadata_default.host", "is not a host name"),
        ({"password": None}, "openmetadata_default.password", "ingestion-bot JWT is empty"),
        ({"extra": json.dumps({"read_timeout": "soon"})}, "openmetadata_default.extra.read_timeout", "not a number"),
        ({"extra": json.dumps({"verify_ssl": "maybe"})}, "openmetadata_default.extra.verify_ssl", "not a boolean"),
    ],
)
def test_invalid_connection_names_field_and_fix(kwargs, field, phrase):
    with pytest.raises(ConfigError) as err:
        server_from_connection(conn(**kwargs))
    assert err.value.field == field
    assert phrase in str(err.value)
    assert "Fix:" in str(err.value)


def test_missing_connection_says_how_to_add_it(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", raising=False)
    with pytest.raises(ConfigError) as err:
        get_server()
    assert "openmetadata_default: the Airflow connection is not defined" in str(err.value)
    assert "AIRFLOW_CONN_OPENMETADATA_DEFAULT" in str(err.value)


def test_connection_from_environment_json(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT",
        '{"conn_type":"http","schema":"http","host":"127.0.0.1","port":8585,"password":"<jwt>"}',
    )
    server = get_server()
    assert server.api_url == "http://127.0.0.1:8585/api"
    assert server.jwt == "<jwt>"


@pytest.mark.parametrize(
    ("verify", "expected", "ca"),
    [(None, "no-ssl", None), (False, "ignore", None), ("/etc/ssl/ca.pem", "validate", "/etc/ssl/ca.pem")],
)
def test_sdk_connection(verify, expected, ca):
    extra = json.dumps({} if verify is None else {"verify_ssl": verify})
    sdk = server_from_connection(conn(schema="https", extra=extra)).to_sdk_connection()
    assert sdk.hostPort == "https://om:8585/api"
    assert sdk.authProvider.value == "openmetadata"
    assert sdk.securityConfig.jwtToken.get_secret_value() == "jwt-token"
    assert sdk.verifySSL.value == expected
    if ca:
        assert sdk.sslConfig.root.caCertificate.get_secret_value() == ca
