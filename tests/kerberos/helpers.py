"""Helpers of the Kerberos tests: the KDC handle, a uid-65534 runner, a ccache writer.

The KDC itself is started by the session fixture in conftest.py.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import struct
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tests.support import prereq

REALM = "DATAKIT.TEST"
SERVICE = f"svc/localhost@{REALM}"  # the client principal the tests kinit as
OTHER_SERVICE = f"HTTP/localhost@{REALM}"  # a service: `kinit -S` gives a cache without TGT
PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534

HINT = "apt-get install krb5-kdc krb5-admin-server krb5-user"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Kdc:
    root: Path
    port: int
    krb5_conf: Path
    krb5_conf_v3: Path
    keytab: Path
    kinit_bin: str
    klist_bin: str

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(KRB5_CONFIG=str(self.krb5_conf), KRB5_KDC_PROFILE=str(self.root / "kdc.conf"))
        env.update(LC_ALL="C", TZ="UTC")
        return env

    def kinit(
        self,
        cache: Path,
        *,
        lifetime: str | None = None,
        renewable: str | None = None,
        v3: bool = False,
        service: str | None = None,
        principal: str = SERVICE,
    ) -> Path:
        """``kinit -k -t keytab`` into FILE:<cache>; returns the cache path."""
        cmd = [self.kinit_bin, "-k", "-t", str(self.keytab), "-c", f"FILE:{cache}"]
        if lifetime:
            cmd += ["-l", lifetime]
        if renewable:
            cmd += ["-r", renewable]
        if service:
            cmd += ["-S", service]
        env = self.env
        if v3:
            env["KRB5_CONFIG"] = str(self.krb5_conf_v3)
        done = subprocess.run(cmd + [principal], env=env, capture_output=True, text=True, timeout=20)
        assert done.returncode == 0, f"kinit failed: {done.stderr}"
        return cache

    def klist_expiry(self, cache: Path, server: str | None = None) -> datetime:
        """The Expires column of klist (C locale, UTC) for ``server`` (default: the realm's krbtgt)."""
        server = server or f"krbtgt/{REALM}@{REALM}"
        done = subprocess.run(
            [self.klist_bin, "-c", f"FILE:{cache}"], env=self.env, capture_output=True, text=True, timeout=20
        )
        assert done.returncode == 0, done.stderr
        for line in done.stdout.splitlines():
            parts = line.split()
            if len(parts) == 5 and parts[4] == server:
                moment = datetime.strptime(f"{parts[2]} {parts[3]}", "%m/%d/%y %H:%M:%S")
                return moment.replace(tzinfo=timezone.utc)
        raise AssertionError(f"{server} not in klist output:\n{done.stdout}")

    def klist_principal(self, cache: Path) -> str:
        done = subprocess.run(
            [self.klist_bin, "-c", f"FILE:{cache}"], env=self.env, capture_output=True, text=True, timeout=20
        )
        for line in done.stdout.splitlines():
            if line.startswith("Default principal:"):
                return line.split(":", 1)[1].strip()
        raise AssertionError(done.stdout)


@functools.lru_cache(maxsize=1)
def python_for_nobody() -> str | None:
    """A Python interpreter uid 65534 can run with its own stdlib.

    The venv's python is a symlink into /root (mode 0700 here): uid 65534 cannot
    execute it. The modules under test are stdlib-only (as in the sidecar's
    python:3.11-slim), so any Python >= 3.9 nobody can run will do.
    """
    candidates = [sys.executable, shutil.which("python3"), "/usr/bin/python3", "/usr/local/bin/python3"]
    probe = "import sys, encodings; assert sys.version_info >= (3, 9); print(encodings.__file__)"
    for candidate in dict.fromkeys(c for c in candidates if c):
        try:
            done = subprocess.run(
                [candidate, "-I", "-c", probe], user=NOBODY, group=NOBODY, extra_groups=[],
                cwd="/", capture_output=True, text=True, timeout=20,
            )
        except OSError:
            continue
        if done.returncode == 0:
            return candidate
    return None


def run_as_nobody(code: str, *, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run ``python -c code`` as uid/gid 65534 (root bypasses file modes, so this is the real test)."""
    prereq.require_root("switching to uid 65534 to test file permissions")
    python = python_for_nobody()
    if python is None:
        prereq.missing("no Python interpreter that uid 65534 can execute (install python3)")
    full_env = dict(env or os.environ)
    full_env["PYTHONPATH"] = str(PROJECT_ROOT)
    full_env["HOME"] = "/tmp"
    full_env.pop("PYTHONHOME", None)
    return subprocess.run(
        [python, "-c", code],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        cwd="/",
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# ---- a minimal ccache writer, for layouts kinit does not produce --------------------------
def _data(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _principal(name: str, name_type: int = 1) -> bytes:
    components, _, realm = name.rpartition("@")
    parts = components.split("/")
    return struct.pack(">II", name_type, len(parts)) + _data(realm.encode()) + b"".join(
        _data(p.encode()) for p in parts
    )


def credential_bytes(client: str, server: str, endtime: int, *, version: int = 4, starttime: int = 0) -> bytes:
    enctype = struct.pack(">H", 18) * (2 if version == 3 else 1)
    return (
        _principal(client)
        + _principal(server)
        + enctype
        + _data(b"k" * 32)
        + struct.pack(">IIII", max(0, (starttime or endtime) - 3600), starttime, endtime, 0)
        + b"\x00"
        + struct.pack(">I", 0x40E00000)
        + struct.pack(">I", 0)  # addresses
        + struct.pack(">I", 0)  # authdata
        + _data(b"ticket")
        + _data(b"")
    )


def ccache_bytes(
    principal: str,
    creds: list[bytes],
    *,
    version: int = 4,
    offset_seconds: int | None = None,
    extra_tag: bytes | None = None,
) -> bytes:
    """A FILE: cache: version, [v4 header], default principal, the given credentials."""
    out = struct.pack(">H", 0x0500 | version)
    if version == 4:
        fields = b""
        if extra_tag is not None:
            fields += struct.pack(">HH", 99, len(extra_tag)) + extra_tag
        if offset_seconds is not None:
            fields += struct.pack(">HHii", 1, 8, offset_seconds, 0)
        out += struct.pack(">H", len(fields)) + fields
    return out + _principal(principal) + b"".join(creds)


# ---- ODBC: Debian's FreeTDS registered in a private odbcinst.ini ----------------------------
def freetds_library() -> str | None:
    for pattern in ("/usr/lib/*/odbc/libtdsodbc.so", "/usr/lib/odbc/libtdsodbc.so", "/usr/lib64/libtdsodbc.so*"):
        found = sorted(Path("/").glob(pattern.lstrip("/")))
        if found:
            return str(found[0])
    return None


def write_odbcinst(directory: Path, library: str) -> Path:
    """odbcinst.ini with FreeTDS (as Debian's tdsodbc names it) and a second name only we use."""
    (directory / "odbcinst.ini").write_text(
        f"[FreeTDS]\nDescription=FreeTDS (Debian tdsodbc)\nDriver={library}\n\n"
        f"[DatakitTDS]\nDescription=same library, a name only this test registers\nDriver={library}\n"
    )
    return directory


def odbc_env(sysini: Path, **extra: str) -> dict[str, str]:
    """Environment of a subprocess whose unixODBC reads only ``sysini``/odbcinst.ini."""
    env = dict(os.environ)
    env.pop("ODBCINSTINI", None)
    env.update(ODBCSYSINI=str(sysini), PYTHONPATH=str(PROJECT_ROOT), LC_ALL="C", TZ="UTC")
    env.update(extra)
    return env
