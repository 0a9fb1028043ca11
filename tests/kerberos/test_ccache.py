"""The stdlib ccache reader, against caches written by a real MIT kinit (v3 and v4)."""

from __future__ import annotations

import struct
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from include.kerberos.ccache import CCacheError, klist_valid, parse_ccache, read_ccache, resolve_ccache_name
from tests.kerberos.helpers import PROJECT_ROOT, REALM, SERVICE, Kdc, ccache_bytes, credential_bytes

pytestmark = pytest.mark.integration
TGT = f"krbtgt/{REALM}@{REALM}"


@pytest.mark.parametrize("v3", [False, True], ids=["v4-default", "v3-ccache_type-3"])
def test_kinit_caches_parse_and_agree_with_klist(kdc: Kdc, tmp_path: Path, v3: bool) -> None:
    cache_path = kdc.kinit(tmp_path / "krb5cc", v3=v3, renewable="1d")
    raw = cache_path.read_bytes()
    assert raw[:2] == (b"\x05\x03" if v3 else b"\x05\x04")  # what kinit really wrote

    cache = read_ccache(cache_path)
    assert cache.version == (0x0503 if v3 else 0x0504)
    assert cache.principal == SERVICE == kdc.klist_principal(cache_path)
    assert cache.realm == REALM
    assert cache.tgt is not None and cache.tgt.server_name == TGT
    assert cache.tgt_expiry == kdc.klist_expiry(cache_path)
    assert cache.tgt_expiry.tzinfo is timezone.utc
    assert cache.tgt.renewable and cache.tgt.renew_till > cache.tgt_expiry
    # kinit stores config entries (pa_type, ...) in X-CACHECONF: pseudo-tickets: never listed as tickets
    assert all("X-CACHECONF:" not in name for name in cache.servers)
    assert cache.servers == [TGT]
    if not v3:
        assert cache.config_entries >= 1


def test_service_ticket_only_cache_has_no_tgt(kdc: Kdc, tmp_path: Path) -> None:
    cache = read_ccache(kdc.kinit(tmp_path / "cc", service=f"HTTP/localhost@{REALM}"))
    assert cache.tgt is None and cache.tgt_expiry is None
    assert cache.servers == [f"HTTP/localhost@{REALM}"]


def test_synthetic_layouts_time_offset_unknown_tags_and_config_entries() -> None:
    end = int(datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc).timestamp())
    creds = [
        credential_bytes(SERVICE, "krb5_ccache_conf_data/pa_type@X-CACHECONF:", 0),
        credential_bytes(SERVICE, TGT, end),
        credential_bytes(SERVICE, f"MSSQLSvc/sql.corp:1433@{REALM}", end - 60),
    ]
    cache = parse_ccache(ccache_bytes(SERVICE, creds, offset_seconds=-42, extra_tag=b"abc"))
    assert cache.time_offset == timedelta(seconds=-42)
    assert cache.config_entries == 1
    assert cache.tgt_expiry == datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert cache.servers == [TGT, f"MSSQLSvc/sql.corp:1433@{REALM}"]
    v3 = parse_ccache(ccache_bytes(SERVICE, [credential_bytes(SERVICE, TGT, end, version=3)], version=3))
    assert v3.version == 0x0503 and v3.tgt_expiry == cache.tgt_expiry
    # times beyond 2038 are unsigned in MIT caches
    late = parse_ccache(ccache_bytes(SERVICE, [credential_bytes(SERVICE, TGT, 0xF0000000)]))
    assert late.tgt_expiry.year == 2097


def test_empty_garbage_truncated_and_old_versions_are_named(valid_cache: Path) -> None:
    good = valid_cache.read_bytes()
    with pytest.raises(CCacheError, match=r"/x is empty \(0 bytes\)") as err:
        parse_ccache(b"", "/x")
    assert err.value.kind == "empty"
    with pytest.raises(CCacheError, match="is not a Kerberos credential cache: it starts with bytes 23 21") as err:
        parse_ccache(b"#!/bin/sh\necho not a cache\n", "/x")
    assert err.value.kind == "not_ccache"
    for cut in (1, 3, 10, len(good) // 2, len(good) - 1):
        with pytest.raises(CCacheError, match="is truncated: it ends inside") as err:
            parse_ccache(good[:cut], "/x")
        assert err.value.kind == "truncated"
    with pytest.raises(CCacheError, match="format version 0x0502") as err:
        parse_ccache(b"\x05\x02" + good[2:], "/x")
    assert err.value.kind == "unsupported_version"
    # a v4 magic followed by noise: lengths that make no sense are "not valid", not a crash
    noise = b"\x05\x04\x00\x00" + struct.pack(">II", 1, 2) + struct.pack(">I", 0x7FFFFFFF) + b"z" * 64
    with pytest.raises(CCacheError, match="is not a valid Kerberos credential cache") as err:
        parse_ccache(noise, "/x")
    assert err.value.kind == "corrupt"


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("KEYRING:persistent:1000", "kernel-keyring"),
        ("KCM:1000", "KCM"),
        ("MEMORY:x", "in-memory"),
        ("DIR:/run/user/1000/krb5cc", "directory collection"),
        ("API:foo", "CCAPI"),
    ],
)
def test_unshareable_cache_types_say_what_to_set(name: str, what: str) -> None:
    with pytest.raises(CCacheError) as err:
        resolve_ccache_name(name)
    message = str(err.value)
    assert what in message
    assert "cannot be shared through a sidecar volume" in message
    assert "KRB5CCNAME=FILE:/krb5/cache/krb5cc" in message
    assert err.value.kind == "unsupported_type"


def test_file_forms_resolve() -> None:
    assert resolve_ccache_name("FILE:/krb5/cache/krb5cc") == Path("/krb5/cache/krb5cc")
    assert resolve_ccache_name("/tmp/krb5cc_1000") == Path("/tmp/krb5cc_1000")
    assert resolve_ccache_name("file:/a/b") == Path("/a/b")
    assert resolve_ccache_name("DIR::/run/user/0/krb5cc/tkt") == Path("/run/user/0/krb5cc/tkt")


def test_klist_fallback_agrees(kdc: Kdc, valid_cache: Path, tmp_path: Path) -> None:
    assert klist_valid(f"FILE:{valid_cache}", kdc.klist_bin) is True
    assert klist_valid(f"FILE:{tmp_path / 'absent'}", kdc.klist_bin) is False


def test_modules_stay_light() -> None:
    """No airflow, no OpenMetadata SDK, no pyodbc at import time (DAG parse cost)."""
    code = (
        "import sys, include.kerberos, include.kerberos.ccache, include.kerberos.preflight, "
        "include.kerberos.sidecar, include.kerberos.diagnose\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'airflow', 'metadata', 'pyodbc', 'sqlalchemy'})\n"
        "print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
