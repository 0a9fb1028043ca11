"""Fixtures: a real MIT KDC on loopback (one per session, ~0.1 s to start), temp caches.

Recipe (docs/field-notes "Kerberos on loopback"): a throwaway realm in a temp dir,
krb5.conf + kdc.conf on a free port, kdb5_util create, krb5kdc, kadmin.local
addprinc/ktadd, kinit -k -t. Needs Debian krb5-kdc, krb5-admin-server (kadmin.local,
kdb5_util) and krb5-user (kinit, klist): skipped locally without them, failed in CI.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kerberos.helpers import (
    HINT,
    OTHER_SERVICE,
    REALM,
    SERVICE,
    Kdc,
    free_port,
    freetds_library,
    write_odbcinst,
)
from tests.support import prereq


@pytest.fixture(scope="session")
def kdc() -> Iterator[Kdc]:
    krb5kdc = prereq.require_binary("krb5kdc", "/usr/sbin", hint=HINT)
    kdb5_util = prereq.require_binary("kdb5_util", "/usr/sbin", hint=HINT)
    kadmin = prereq.require_binary("kadmin.local", "/usr/sbin", hint=HINT)
    kinit = prereq.require_binary("kinit", "/usr/bin", hint=HINT)
    klist = prereq.require_binary("klist", "/usr/bin", hint=HINT)

    root = Path(tempfile.mkdtemp(prefix="datakit-kdc-"))
    os.chmod(root, 0o755)  # uid 65534 must read krb5.conf; the keytab and database stay 0600
    port = free_port()
    krb5_conf = root / "krb5.conf"
    krb5_conf.write_text(
        f"""# throwaway realm for tests
[libdefaults]
    default_realm = {REALM}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
    udp_preference_limit = 1

[realms]
    {REALM} = {{
        kdc = 127.0.0.1:{port}
    }}
"""
    )
    krb5_conf_v3 = root / "krb5-v3.conf"
    krb5_conf_v3.write_text(f"include {krb5_conf}\n[libdefaults]\n    ccache_type = 3\n")
    (root / "kdc.conf").write_text(
        f"""[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}
[realms]
    {REALM} = {{
        database_name = {root}/principal
        key_stash_file = {root}/stash
        acl_file = {root}/kadm5.acl
        max_life = 10h
        max_renewable_life = 7d
    }}
[logging]
    kdc = FILE:{root}/kdc.log
"""
    )
    (root / "kadm5.acl").write_text("")
    env = dict(os.environ, KRB5_CONFIG=str(krb5_conf), KRB5_KDC_PROFILE=str(root / "kdc.conf"))

    def run(*cmd: str) -> None:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"{cmd}: {done.stdout}{done.stderr}"

    pidfile = root / "kdc.pid"
    keytab = root / "svc.keytab"
    try:
        run(kdb5_util, "create", "-s", "-r", REALM, "-P", secrets.token_hex(16))
        run(krb5kdc, "-r", REALM, "-P", str(pidfile))
        for principal in (SERVICE, OTHER_SERVICE):
            run(kadmin, "-q", f"addprinc -randkey {principal}")
        run(kadmin, "-q", f"ktadd -k {keytab} {SERVICE}")
        yield Kdc(root, port, krb5_conf, krb5_conf_v3, keytab, kinit, klist)
    finally:
        if pidfile.exists():
            try:
                pid = int(pidfile.read_text().strip())
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 3
                while time.monotonic() < deadline:
                    os.kill(pid, 0)  # ProcessLookupError once it has exited
                    time.sleep(0.05)
                os.kill(pid, signal.SIGKILL)
            except (ValueError, ProcessLookupError):
                pass
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def expired_cache(kdc: Kdc) -> Iterator[Path]:
    """A cache whose TGT lives 1 s (`kinit -l 1s`; 0s is refused); the wait for it is paid once."""
    directory = Path(tempfile.mkdtemp(prefix="datakit-expired-"))
    yield kdc.kinit(directory / "krb5cc", lifetime="1s")
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A world-traversable temp dir (pytest's own tmp_path is 0700: uid nobody could not enter it)."""
    directory = Path(tempfile.mkdtemp(prefix="datakit-krb5-"))
    os.chmod(directory, 0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def valid_cache(kdc: Kdc, tmp_path: Path) -> Path:
    return kdc.kinit(tmp_path / "krb5cc")


@pytest.fixture(scope="session")
def odbc_sysini() -> Iterator[Path]:
    """A directory for ODBCSYSINI with FreeTDS registered (Debian tdsodbc, unixodbc)."""
    library = freetds_library()
    if library is None:
        prereq.missing("FreeTDS ODBC driver libtdsodbc.so not found; apt-get install tdsodbc unixodbc")
    directory = Path(tempfile.mkdtemp(prefix="datakit-odbc-"))
    yield write_odbcinst(directory, library)
    shutil.rmtree(directory, ignore_errors=True)
