"""The catalog tasks fail fast, before any work, naming what is wrong."""

from __future__ import annotations

import json
import socket
import time

import pytest

from include.catalog.tasks import ingest, preflight
from include.errors import ConfigError, PreflightError


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def conns(monkeypatch):
    port = closed_port()
    monkeypatch.setenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", json.dumps(
        {"conn_type": "http", "schema": "http", "host": "127.0.0.1", "port": port, "password": "jwt-x"}))
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": closed_port(), "login": "u", "password": "pw-x",
         "schema": "pagila"}))
    return port


def test_openmetadata_down_fails_in_seconds_naming_the_url(conns):
    started = time.monotonic()
    with pytest.raises(PreflightError) as err:
        preflight("postgres", "pagila_postgres")
    assert time.monotonic() - started < 5
    message = str(err.value)
    assert f"OpenMetadata is not reachable at http://127.0.0.1:{conns}/api ([Errno 111] Connection refused)" in message
    assert "'openmetadata_default' connection" in message


def test_bad_regex_param_is_rejected_before_any_network(conns, monkeypatch):
    import requests

    monkeypatch.setattr(requests.Session, "get", lambda *a, **k: pytest.fail("no request may be sent"))
    with pytest.raises(ConfigError, match=r"params\.schema_filter: '\(public' is not a valid regular expression"):
        preflight("postgres", "pagila_postgres", params={"schema_filter": ["(public"]})


def test_unknown_trigger_option_is_rejected(conns):
    class Run:
        conf = {"schema_filters": ["^public$"]}

    with pytest.raises(ConfigError, match=r"params\.schema_filters: unknown option 'schema_filters'"):
        preflight("postgres", "pagila_postgres", params={}, dag_run=Run())


def test_missing_source_connection(conns, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_PAGILA_POSTGRES")
    with pytest.raises(ConfigError, match="pagila_postgres: the Airflow connection is not defined"):
        ingest("postgres", "pagila_postgres")


def test_empty_database_name(conns, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": "u", "schema": ""}))
    with pytest.raises(ConfigError, match=r"pagila_postgres\.schema: the database name is empty"):
        ingest("postgres", "pagila_postgres")


def test_openmetadata_url_without_scheme(conns, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", json.dumps(
        {"conn_type": "http", "host": "om.internal", "port": 8585, "password": "jwt-x"}))
    with pytest.raises(ConfigError, match=r"openmetadata_default\.schema: the OpenMetadata URL has no scheme"):
        ingest("postgres", "pagila_postgres")


@pytest.mark.integration
def test_postgres_down_names_host_and_database(pg_cluster, monkeypatch):
    from include.sources.postgres import check_postgres_reachable, postgres_from_connection
    from airflow.sdk.definitions.connection import Connection

    port = closed_port()
    source = postgres_from_connection(Connection(conn_id="pagila_postgres", conn_type="postgres",
                                                 host="127.0.0.1", port=port, login="postgres", schema="pagila"))
    with pytest.raises(PreflightError, match=rf"pagila_postgres: cannot connect to PostgreSQL at 127.0.0.1:{port}, "
                                            r"database 'pagila'"):
        check_postgres_reachable(source, timeout=2)
    wrong = postgres_from_connection(Connection(conn_id="pagila_postgres", conn_type="postgres", host="127.0.0.1",
                                                port=pg_cluster.port, login="postgres", password="pw-Zq81-wrong",
                                                schema="pagila_template"))
    with pytest.raises(PreflightError) as err:
        check_postgres_reachable(wrong, timeout=2)
    assert "password authentication failed" in str(err.value)
    assert "check Login and Password of the Airflow connection 'pagila_postgres'" in str(err.value)
    assert "pw-Zq81" not in str(err.value)
