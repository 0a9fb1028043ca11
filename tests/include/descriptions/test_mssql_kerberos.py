"""sync_descriptions_mssql up to the driver, for real: a KDC ticket, unixODBC with FreeTDS, an Airflow run.

No SQL Server can run here: the server side is a closed loopback port. What is tested is that
the sync takes catalog_mssql's Kerberos path (its preflight checks: ticket, driver, network)
and that the writer's connection reaches the ODBC driver with the trusted-connection string.
Fixtures (real MIT KDC, ticket caches, odbcinst.ini) come from tests/kerberos/conftest.py.
"""

from __future__ import annotations

import json
import time

import pytest

from include.errors import PreflightError
from tests.kerberos.conftest import kdc, odbc_sysini, valid_cache  # noqa: F401 - fixtures
from tests.kerberos.helpers import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def mssql_env(monkeypatch, kdc, valid_cache, odbc_sysini, om_connection):  # noqa: F811
    port = free_port()  # nothing listens there
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{valid_cache}")
    monkeypatch.setenv("KRB5_CONFIG", str(kdc.krb5_conf))
    monkeypatch.setenv("ODBCSYSINI", str(odbc_sysini))
    monkeypatch.delenv("ODBCINSTINI", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_MSSQL_CORP", json.dumps(
        {"conn_type": "mssql", "host": "127.0.0.1", "port": port, "schema": "Sales",
         "extra": {"driver": "FreeTDS", "encrypt": False}}))
    return port


def test_the_dag_stops_in_preflight_naming_host_and_port(mssql_env, airflow_db, monkeypatch, capfd):
    from tests.support import airflow_run

    airflow_run.without_task_retries(monkeypatch)
    started = time.monotonic()
    result = airflow_run.run_dag("sync_descriptions_mssql")
    assert time.monotonic() - started < 60
    assert result.state == "failed"
    assert result.task_states["preflight"] == "failed"
    assert result.task_states["after_full_refresh"] == "success" and result.task_states["catalog_idle"] == "success"
    out = capfd.readouterr()
    assert f"Cannot reach SQL Server at 127.0.0.1:{mssql_env} over TCP: Connection refused" in out.out + out.err


def test_the_writer_reaches_the_driver_with_the_ticket_and_no_secret(mssql_env):
    import pyodbc

    from include.connections import get_connection
    from include.descriptions import mssql
    from include.sources.mssql import mssql_from_connection, odbc_connection_string

    source = mssql_from_connection(get_connection("mssql_corp"))
    assert "Trusted_Connection=Yes" in odbc_connection_string(source)
    started = time.monotonic()
    with pytest.raises(pyodbc.Error) as err:  # FreeTDS itself answers: nothing listens on the port
        mssql.connect(source, lock_timeout_ms=1000, timeout=5)
    assert time.monotonic() - started < 30
    reason, message = mssql.classify(err.value)
    assert reason == "error" and message

    from include.descriptions.tasks import preflight

    with pytest.raises(PreflightError, match=rf"Cannot reach SQL Server at 127\.0\.0\.1:{mssql_env} over TCP"):
        preflight("mssql")
