"""catalog_mssql up to the driver, for real: a KDC ticket, unixODBC with FreeTDS, Airflow runs.

No SQL Server can run here, so the server side is a closed loopback port: what is
tested is that the DAG fails fast, naming host, port, driver and the fix.
"""

from __future__ import annotations

import json
import time

import pytest

from include.catalog.tasks import ingest, preflight
from include.errors import DatakitError, PreflightError
from tests.kerberos.helpers import free_port
from tests.support.airflow_run import run_dag

pytestmark = pytest.mark.integration


@pytest.fixture
def mssql_env(monkeypatch, kdc, valid_cache, odbc_sysini, om_connection):
    port = free_port()  # nothing listens there
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{valid_cache}")
    monkeypatch.setenv("KRB5_CONFIG", str(kdc.krb5_conf))
    monkeypatch.setenv("ODBCSYSINI", str(odbc_sysini))
    monkeypatch.delenv("ODBCINSTINI", raising=False)

    def set_conn(**extra):
        monkeypatch.setenv("AIRFLOW_CONN_MSSQL_CORP", json.dumps(
            {"conn_type": "mssql", "host": "127.0.0.1", "port": port, "schema": "Sales", "extra": extra}))

    set_conn(driver="FreeTDS")
    return port, set_conn


def test_unreachable_server_fails_the_dag_fast_naming_host_and_port(mssql_env, airflow_db, capfd):
    port, _ = mssql_env
    started = time.monotonic()
    result = run_dag("catalog_mssql")
    elapsed = time.monotonic() - started
    assert result.state == "failed"
    assert result.task_states == {"wait_for_depth": "success", "preflight": "failed", "ingest_metadata": "upstream_failed"}
    assert elapsed < 60, f"took {elapsed:.1f} s"
    out = capfd.readouterr()
    assert f"Cannot reach SQL Server at 127.0.0.1:{port} over TCP: Connection refused" in out.out + out.err

    with pytest.raises(PreflightError, match=rf"Cannot reach SQL Server at 127\.0\.0\.1:{port} over TCP"):
        preflight("mssql", "mssql_corp")


def test_driver_missing_names_it_and_the_registered_ones(mssql_env):
    _, set_conn = mssql_env
    set_conn()  # the default driver, Microsoft's, which is not installed here
    with pytest.raises(PreflightError) as err:
        preflight("mssql", "mssql_corp")
    message = str(err.value)
    assert "ODBC driver 'ODBC Driver 18 for SQL Server' is not registered" in message
    assert "'FreeTDS'" in message


def test_expired_ticket_stops_before_the_driver(mssql_env, expired_cache, monkeypatch):
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{expired_cache}")
    with pytest.raises(PreflightError, match=r"Kerberos ticket of svc/localhost@DATAKIT\.TEST (expired|expires) at"):
        preflight("mssql", "mssql_corp")


def test_ingest_without_preflight_fails_fast_with_the_drivers_error(mssql_env):
    """The SDK's own connection attempt through FreeTDS: a named error, in seconds."""
    port, _ = mssql_env
    started = time.monotonic()
    with pytest.raises(DatakitError) as err:
        ingest("mssql", "mssql_corp")
    elapsed = time.monotonic() - started
    text = f"{type(err.value).__name__}: {err.value}"
    assert elapsed < 60, f"took {elapsed:.1f} s"
    assert f"mssql_corp at 127.0.0.1:{port}, database 'Sales': the ingestion workflow could not start" in text
    assert f"CheckAccess: Failed - 127.0.0.1:{port} is not reachable: [Errno 111] Connection refused" in text
