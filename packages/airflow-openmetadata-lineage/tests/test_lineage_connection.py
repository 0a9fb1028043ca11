"""The OpenMetadata connection, parsed by the package itself; errors name the field and the fix."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from airflow_openmetadata_lineage import LineageConfigError
from airflow_openmetadata_lineage.connection import endpoint_from_connection, get_endpoint


def conn(**fields):
    base = {"conn_id": "openmetadata_default", "host": "om.example", "schema": "https", "port": 8585,
            "password": "jwt", "extra_dejson": {}}
    base.update(fields)
    return SimpleNamespace(**base)


def test_a_full_connection():
    endpoint = endpoint_from_connection(conn(extra_dejson={"verify_ssl": "/etc/ca.pem", "connect_timeout": "2"}))
    assert endpoint.api_url == "https://om.example:8585/api"
    assert endpoint.base_url == "https://om.example:8585"
    assert (endpoint.verify_ssl, endpoint.connect_timeout) == ("/etc/ca.pem", 2.0)
    assert "jwt" not in repr(endpoint)


def test_a_url_in_host_is_understood():
    endpoint = endpoint_from_connection(conn(host="http://om.example:9000", schema="", port=None))
    assert endpoint.api_url == "http://om.example:9000/api"


@pytest.mark.parametrize("fields, field, fix", [
    ({"host": ""}, "openmetadata_default.host", "set Host"),
    ({"schema": "ftp"}, "openmetadata_default.schema", "set Schema to http or https"),
    ({"host": "om.example:8585"}, "openmetadata_default.host", "put the port in Port"),
    ({"password": " "}, "openmetadata_default.password", "ingestion-bot"),
    ({"extra_dejson": {"verify_ssl": "maybe"}}, "openmetadata_default.extra.verify_ssl", "true, false"),
    ({"extra_dejson": {"connect_timeout": "x"}}, "openmetadata_default.extra.connect_timeout", "number"),
])
def test_errors_name_the_field_and_the_fix(fields, field, fix):
    with pytest.raises(LineageConfigError) as err:
        endpoint_from_connection(conn(**fields))
    assert err.value.field == field and fix in err.value.fix


def test_a_missing_connection_says_how_to_add_it():
    with pytest.raises(LineageConfigError) as err:
        get_endpoint("no_such_openmetadata")
    assert err.value.field == "no_such_openmetadata"
    assert "AIRFLOW_CONN_NO_SUCH_OPENMETADATA" in err.value.fix
