"""The diagnose report and CLI, with a real ticket, FreeTDS registered, loopback ports."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from include.errors import PreflightError
from include.kerberos.diagnose import FAIL, OK, SDK_CHECK, SKIP, diagnose, resolve_target
from include.kerberos.ccache import read_ccache
from include.kerberos.preflight import KerberosSettings, format_utc
from tests.kerberos.helpers import PROJECT_ROOT, REALM, SERVICE, Kdc, free_port, odbc_env

pytestmark = pytest.mark.integration


@pytest.fixture
def listener() -> Iterator[int]:
    """A loopback port that accepts TCP connections (and closes them): not a SQL Server."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "include.kerberos.diagnose", *args],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=90,
    )


def test_cli_missing_cache_exits_non_zero_with_report(kdc: Kdc, odbc_sysini: Path, tmp_path: Path) -> None:
    port = free_port()
    env = odbc_env(odbc_sysini, KRB5CCNAME=f"FILE:{tmp_path}/krb5cc", KRB5_CONFIG=str(kdc.krb5_conf))
    done = cli(["--no-airflow", "--host", "127.0.0.1", "--port", str(port), "--driver", "FreeTDS"], env)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert out.startswith("Kerberos / SQL Server diagnosis")
    assert f"ticket cache   FILE:{tmp_path}/krb5cc" in out
    assert f"default realm  {REALM}" in out
    assert f"KDC(s)         127.0.0.1:{kdc.port}" in out
    assert "ODBC drivers   FreeTDS, DatakitTDS" in out
    assert f"[OK  ] krb5.conf: read {kdc.krb5_conf}; realm {REALM}" in out
    assert f"[FAIL] Kerberos ticket: No Kerberos ticket cache at {tmp_path}/krb5cc. Is the kerberos sidecar running" in out
    assert "[OK  ] ODBC driver: 'FreeTDS' is registered" in out
    assert f"[FAIL] TCP to SQL Server: Cannot reach SQL Server at 127.0.0.1:{port} over TCP: Connection refused" in out
    assert "[SKIP] SDK test-connection: not requested (--sdk-test)" in out
    assert out.rstrip().endswith("Result: FAIL (2 of 4 checks failed)")


def test_cli_valid_ticket_all_checks_ok(kdc: Kdc, odbc_sysini: Path, valid_cache: Path, listener: int) -> None:
    env = odbc_env(odbc_sysini, KRB5CCNAME=f"FILE:{valid_cache}", KRB5_CONFIG=str(kdc.krb5_conf))
    done = cli(["--no-airflow", "--host", "127.0.0.1", "--port", str(listener), "--driver", "FreeTDS"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    expiry = format_utc(read_ccache(valid_cache).tgt_expiry)
    assert f"principal      {SERVICE}" in out
    assert f"expires        {expiry} (in 9 h 59 min)" in out or f"expires        {expiry} (in 10 h" in out
    assert "klist -s       valid TGT" in out
    assert f"[OK  ] Kerberos ticket: {SERVICE}, expires {expiry}" in out
    assert f"[OK  ] TCP to SQL Server: 127.0.0.1:{listener} accepts connections" in out
    assert f"SQL Server     127.0.0.1:{listener}, driver 'FreeTDS' (host, port, driver from arguments)" in out
    assert out.rstrip().endswith("Result: OK (4 checks passed)")

    # JSON form for machines
    done = cli(["--json", "--no-airflow", "--host", "127.0.0.1", "--port", str(listener), "--driver", "FreeTDS"], env)
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["facts"]["principal"] == SERVICE
    assert [c["status"] for c in report["checks"]] == [OK, OK, OK, OK, SKIP]


def test_valid_ticket_but_no_msodbcsql_and_closed_port(kdc: Kdc, odbc_sysini: Path, valid_cache: Path) -> None:
    """The situation on this machine: the ticket is fine, the SQL Server side is not there."""
    port = free_port()
    env = odbc_env(odbc_sysini, KRB5CCNAME=f"FILE:{valid_cache}", KRB5_CONFIG=str(kdc.krb5_conf))
    done = cli(["--no-airflow", "--host", "127.0.0.1", "--port", str(port), "--sdk-test"], env)
    assert done.returncode == 1
    out = done.stdout
    assert f"[OK  ] Kerberos ticket: {SERVICE}" in out
    assert "[FAIL] ODBC driver: ODBC driver 'ODBC Driver 18 for SQL Server' is not registered" in out
    assert "Registered drivers: 'FreeTDS', 'DatakitTDS'" in out
    assert "[FAIL] TCP to SQL Server" in out
    assert f"[SKIP] {SDK_CHECK}: not attempted: an earlier check failed" in out
    assert "driver 'ODBC Driver 18 for SQL Server' (host, port from arguments; driver from default)" in out


def test_report_object_for_a_dag_task(kdc: Kdc, tmp_path: Path, monkeypatch) -> None:
    import include.kerberos.diagnose as diagnose_module

    monkeypatch.setattr(diagnose_module, "sdk_test_connection",
                        lambda *a, **k: pytest.fail("the SDK hook must not run after a failed check"))
    settings = KerberosSettings(ccache=f"FILE:{tmp_path}/absent", krb5_config=str(kdc.krb5_conf))
    report = diagnose(settings, host="127.0.0.1", port=free_port(), driver="FreeTDS", use_airflow=False,
                      sdk_test=True)
    assert not report.ok
    assert [c.name for c in report.checks] == [
        "krb5.conf", "Kerberos ticket", "ODBC driver", "TCP to SQL Server", SDK_CHECK,
    ]
    assert report.check("Kerberos ticket").status == FAIL
    assert report.check(SDK_CHECK).status == SKIP
    as_dict = report.to_dict()
    assert as_dict["ok"] is False and as_dict["facts"]["default realm"] == REALM
    with pytest.raises(PreflightError) as err:
        report.raise_for_failures()
    assert "[FAIL] Kerberos ticket: No Kerberos ticket cache at" in str(err.value)


def test_target_precedence_without_airflow() -> None:
    env = {"DATAKIT_MSSQL_HOST": "sql.env", "DATAKIT_MSSQL_PORT": "14330"}
    target, note = resolve_target(use_airflow=False, environ=env)
    assert (target.host, target.port, target.driver) == ("sql.env", 14330, "ODBC Driver 18 for SQL Server")
    assert target.origin == (
        "host from env DATAKIT_MSSQL_HOST; port from env DATAKIT_MSSQL_PORT; driver from default"
    )
    assert note == ""
    target, _ = resolve_target("sql.arg", None, "FreeTDS", use_airflow=False, environ=env)
    assert (target.host, target.port, target.driver) == ("sql.arg", 14330, "FreeTDS")


def test_cli_reads_the_airflow_connection(kdc: Kdc, odbc_sysini: Path, valid_cache: Path) -> None:
    """Host, port and extra "driver" come from connection mssql_corp (here from an AIRFLOW_CONN_ env var)."""
    if importlib.util.find_spec("airflow") is None:  # not imported here: ~3 s
        pytest.skip("apache-airflow is not installed")
    port = free_port()
    conn = {"conn_type": "mssql", "host": "127.0.0.1", "port": port, "schema": "corp",
            "extra": {"driver": "FreeTDS"}}
    with tempfile.TemporaryDirectory(prefix="datakit-krb5-airflow-") as home:
        env = odbc_env(
            odbc_sysini, KRB5CCNAME=f"FILE:{valid_cache}", KRB5_CONFIG=str(kdc.krb5_conf),
            AIRFLOW_HOME=home, AIRFLOW_CONN_MSSQL_CORP=json.dumps(conn),
        )
        done = cli(["--timeout", "1"], env)
    out = done.stdout
    assert done.returncode == 1, done.stderr  # only the TCP check fails
    assert f"SQL Server     127.0.0.1:{port}, driver 'FreeTDS' (host, port, driver from Airflow connection mssql_corp)" in out
    assert "[OK  ] ODBC driver: 'FreeTDS' is registered" in out
    assert f"[FAIL] TCP to SQL Server: Cannot reach SQL Server at 127.0.0.1:{port}" in out


SDK_HOOK = """
import json, socket, threading
from include.kerberos.diagnose import Target, build_mssql_connection, diagnose, sdk_test_connection
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(8)
def serve():
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        conn.close()
threading.Thread(target=serve, daemon=True).start()
report = diagnose(host="127.0.0.1", port=server.getsockname()[1], driver="FreeTDS", use_airflow=False, sdk_test=True)
closed = sdk_test_connection(build_mssql_connection(Target("127.0.0.1", {closed}, "FreeTDS")))
print(json.dumps({{"report": report.to_dict(), "closed": [closed.status, closed.detail]}}))
"""


def test_sdk_hook_runs_only_after_the_checks_pass_and_names_the_error(
    kdc: Kdc, odbc_sysini: Path, valid_cache: Path
) -> None:
    """~10 s: imports the OpenMetadata SDK. No SQL Server here: the hook reports the driver's error."""
    closed = free_port()
    env = odbc_env(odbc_sysini, KRB5CCNAME=f"FILE:{valid_cache}", KRB5_CONFIG=str(kdc.krb5_conf),
                   PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, "-c", SDK_HOOK.format(closed=closed)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    checks = {c["name"]: c for c in result["report"]["checks"]}
    assert [checks[n]["status"] for n in ("krb5.conf", "Kerberos ticket", "ODBC driver", "TCP to SQL Server")] == [OK] * 4
    sdk = checks[SDK_CHECK]
    assert sdk["status"] == FAIL
    assert "[FreeTDS][SQL Server]Unable to connect to data source" in sdk["detail"]  # a port that is not TDS
    status, detail = result["closed"]
    assert status == FAIL
    assert detail.startswith(f"Connection refused: 127.0.0.1:{closed} is not reachable")  # the SDK's diagnosis
