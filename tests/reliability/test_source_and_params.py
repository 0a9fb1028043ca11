"""The source PostgreSQL is down or refuses the login; a manual trigger has bad params.

Named errors (connection, host, port, database, the fix) from the preflight and from the
ingest task when the preflight is bypassed; bad params stop the run before any request.
"""

from __future__ import annotations

import json

import pytest

from include.catalog.tasks import ingest, preflight
from include.errors import ConfigError, DatakitError, PreflightError
from include.sources.common import PARAM_SPECS
from tests.reliability.helpers import SERVICE, DagRun, closed_port, set_om_connection

pytestmark = [pytest.mark.integration]


@pytest.mark.parametrize("fault", ["down", "wrong-password"])
def test_source_down_or_wrong_credentials_names_host_and_database(fault, pagila_db, om_connection, monkeypatch):
    set_om_connection(monkeypatch, om_connection.url)
    conn = json.loads(pagila_db.airflow_conn_json("pagila"))
    secret = "pw-Zq81-wrong-not-the-real-one"
    if fault == "down":
        conn["port"] = port = closed_port()
    else:
        conn["password"], port = secret, pagila_db.port
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(conn))
    where = f"127.0.0.1:{port}, database 'pagila'"

    with pytest.raises(PreflightError) as err:
        preflight("postgres", SERVICE)
    if fault == "down":
        expected = (f'{SERVICE}: cannot connect to PostgreSQL at {where}: connection to server at "127.0.0.1", '
                    f"port {port} failed: Connection refused. Fix: check that PostgreSQL runs and that Host/Port of "
                    f"'{SERVICE}' are right")
    else:
        expected = (f'{SERVICE}: cannot connect to PostgreSQL at {where}: connection to server at "127.0.0.1", '
                    f'port {port} failed: FATAL:  password authentication failed for user "postgres". Fix: check '
                    f"Login and Password of the Airflow connection '{SERVICE}'")
    assert str(err.value) == expected

    # Preflight bypassed: the ingest task's own error, from the SDK's test connection.
    with pytest.raises(DatakitError) as err:
        ingest("postgres", SERVICE, dag_run=DagRun())
    cause = (f"127.0.0.1:{port} is not reachable: [Errno 111] Connection refused" if fault == "down" else
             f'(psycopg2.OperationalError) connection to server at "127.0.0.1", port {port} failed: FATAL: '
             f'password authentication failed for user "postgres"')
    assert str(err.value) == (
        f"catalog_pagila: {SERVICE} at {where}: the ingestion workflow could not start: SourceConnectionException: "
        f"Failed to run the test connection step: CheckAccess (CheckAccess: Failed - {cause}). Fix: check that the "
        f"source is reachable from Airflow and that its connection is right (the preflight task checks both)")
    assert secret not in str(err.value)
    # Nothing was written to the catalog (the service is created only after the test connection).
    assert om_connection.store.count("tables") == 0


@pytest.mark.parametrize("conf, param, problem", [
    ({"schema_filter": ["^public$", "(public"]}, "schema_filter",
     "'(public' is not a valid regular expression (missing ), unterminated subpattern at position 0). "
     "Fix: fix the pattern (Python `re` syntax), e.g. ^public$"),
    ({"schema_filters": ["^public$"]}, "schema_filters",
     f"unknown option 'schema_filters' in the trigger configuration. Fix: use only {', '.join(sorted(PARAM_SPECS))}"),
], ids=["bad-regex", "unknown-option"])
def test_bad_trigger_params_are_rejected_before_any_work(conf, param, problem, airflow_db, om_connection, monkeypatch,
                                                         no_task_retries, capfd):
    set_om_connection(monkeypatch, om_connection.url)
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": closed_port(), "login": "u", "password": "pw-unused",
         "schema": "pagila"}))
    expected = f"params.{param}: {problem}"

    result = no_task_retries("catalog_pagila", conf=conf)
    assert result.state == "failed"
    assert result.task_states == {"wait_for_depth": "success", "preflight": "failed", "ingest_metadata": "upstream_failed"}
    assert om_connection.requests_log == [], "not one request reached OpenMetadata"
    out, err = capfd.readouterr()
    assert f"ConfigError: {expected}" in out + err, "the task log names the param"

    with pytest.raises(ConfigError) as error:
        preflight("postgres", SERVICE, params=conf, dag_run=DagRun(conf=conf))
    assert str(error.value) == expected
    assert om_connection.requests_log == []
