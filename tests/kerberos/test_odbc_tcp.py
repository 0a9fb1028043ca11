"""check_odbc_driver with Debian's FreeTDS registered in a private odbcinst.ini; check_tcp on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from include.errors import PreflightError
from include.kerberos.preflight import check_tcp
from tests.kerberos.helpers import PROJECT_ROOT, free_port, odbc_env

pytestmark = pytest.mark.integration

CHECK = """
from include.kerberos.preflight import check_odbc_driver, registered_odbc_drivers
from include.errors import PreflightError
print("DRIVERS", registered_odbc_drivers())
for name in {names!r}:
    try:
        check_odbc_driver(name)
        print("PASS", name)
    except PreflightError as exc:
        print("FAIL", exc)
"""


def test_missing_driver_is_named_and_registered_ones_listed(odbc_sysini: Path) -> None:
    names = ["ODBC Driver 18 for SQL Server", "FreeTDS"]
    done = subprocess.run(
        [sys.executable, "-c", CHECK.format(names=names)],
        cwd=PROJECT_ROOT, env=odbc_env(odbc_sysini), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "DRIVERS ['FreeTDS', 'DatakitTDS']"  # ours, not /etc/odbcinst.ini
    fail = lines[1]
    assert fail.startswith("FAIL ODBC driver 'ODBC Driver 18 for SQL Server' is not registered with unixODBC.")
    assert "Registered drivers: 'FreeTDS', 'DatakitTDS'" in fail
    if shutil.which("odbcinst"):  # Debian unixodbc's odbcinst says which file was read
        assert f"(read from {odbc_sysini / 'odbcinst.ini'}, per `odbcinst -j`)" in fail
    assert "msodbcsql18" in fail
    assert lines[2] == "PASS FreeTDS"


def test_closed_port_fails_fast_naming_host_and_port() -> None:
    port = free_port()  # bound then released: nothing listens there
    started = time.monotonic()
    with pytest.raises(PreflightError) as err:
        check_tcp("127.0.0.1", port, timeout=3.0)
    assert time.monotonic() - started < 1.0
    message = str(err.value)
    assert f"Cannot reach SQL Server at 127.0.0.1:{port} over TCP: Connection refused (ECONNREFUSED)" in message
    assert "Fix: check host and port" in message


def test_open_port_passes_and_bad_names_are_reported() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        check_tcp("127.0.0.1", server.getsockname()[1], timeout=1.0)
    with pytest.raises(PreflightError, match="Cannot resolve SQL Server host no-such-host.invalid"):
        check_tcp("no-such-host.invalid", 1433, timeout=1.0)
    with pytest.raises(PreflightError, match="port 'abc' for host h is not a number"):
        check_tcp("h", "abc")  # type: ignore[arg-type]
