"""check_ticket / settings / krb5.conf against a real MIT KDC and real kinit caches."""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from include.errors import ConfigError, PreflightError
from include.kerberos.ccache import read_ccache
from include.kerberos.krb5_conf import check_krb5_conf, read_krb5_conf
from include.kerberos.preflight import (
    KerberosSettings,
    check_ticket,
    format_utc,
)
from tests.kerberos.helpers import NOBODY, REALM, SERVICE, Kdc, run_as_nobody

pytestmark = pytest.mark.integration


def settings_for(kdc: Kdc, cache: Path | str, **kwargs) -> KerberosSettings:
    return KerberosSettings(ccache=f"FILE:{cache}", krb5_config=str(kdc.krb5_conf), **kwargs)


# ---- settings ------------------------------------------------------------------------------
def test_settings_defaults_live_in_one_place_and_env_overrides() -> None:
    default = KerberosSettings.from_env({})
    assert default.ccache == "FILE:/krb5/cache/krb5cc"
    assert default.krb5_config == "/etc/krb5.conf"
    assert default.min_lifetime == timedelta(minutes=15)
    assert default.sidecar_refresh_seconds == 300
    assert default == KerberosSettings()
    custom = KerberosSettings.from_env(
        {
            "KRB5CCNAME": "FILE:/x/cc",
            "KRB5_CONFIG": "/x/krb5.conf",
            "DATAKIT_KRB5_MIN_LIFETIME_MINUTES": "30",
            "KRB5_SIDECAR_REFRESH_SECONDS": "60",
        }
    )
    assert (custom.ccache, custom.krb5_config) == ("FILE:/x/cc", "/x/krb5.conf")
    assert (custom.min_lifetime, custom.sidecar_refresh_seconds) == (timedelta(minutes=30), 60)
    with pytest.raises(ConfigError) as err:
        KerberosSettings.from_env({"DATAKIT_KRB5_MIN_LIFETIME_MINUTES": "soon"})
    assert err.value.field == "DATAKIT_KRB5_MIN_LIFETIME_MINUTES"
    assert "'soon' is not a whole number of minutes" in str(err.value)


# ---- valid ---------------------------------------------------------------------------------
def test_valid_ticket_passes_reports_principal_and_expiry(
    kdc: Kdc, valid_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="include.kerberos")
    info = check_ticket(settings_for(kdc, valid_cache))
    assert info.principal == SERVICE == kdc.klist_principal(valid_cache)
    assert info.expires_at == kdc.klist_expiry(valid_cache)
    assert info.realm == REALM
    assert timedelta(hours=9, minutes=59) < info.remaining <= timedelta(hours=10)  # kdc.conf max_life 10h
    assert info.cache_version == 0x0504
    logged = [r for r in caplog.records if r.name == "include.kerberos"]
    assert logged and SERVICE in logged[-1].getMessage()
    assert format_utc(info.expires_at) in logged[-1].getMessage()


# ---- expired / expiring --------------------------------------------------------------------
def test_expired_ticket_names_principal_and_expiry(kdc: Kdc, expired_cache: Path) -> None:
    expiry = read_ccache(expired_cache).tgt_expiry
    assert expiry is not None
    wait = (expiry - datetime.now(timezone.utc)).total_seconds() + 0.05
    if wait > 0:  # kinit -l 1s: valid for one more second at most
        time.sleep(wait)
    with pytest.raises(PreflightError) as err:
        check_ticket(settings_for(kdc, expired_cache))
    message = str(err.value)
    assert f"Kerberos ticket of {SERVICE} expired at {format_utc(expiry)}" in message
    assert "Fix: run kinit on the host; the kerberos sidecar copies the host's cache to" in message
    assert "every 5 minutes" in message


def test_ticket_expiring_within_the_margin_fails(kdc: Kdc, tmp_path: Path) -> None:
    cache = kdc.kinit(tmp_path / "cc", lifetime="5m", renewable="1h")
    expiry = read_ccache(cache).tgt_expiry
    with pytest.raises(PreflightError) as err:
        check_ticket(settings_for(kdc, cache, sidecar_refresh_seconds=120))
    message = str(err.value)
    assert f"Kerberos ticket of {SERVICE} expires at {format_utc(expiry)}, in 4 min" in message
    assert "less than the 15 min a job needs (DATAKIT_KRB5_MIN_LIFETIME_MINUTES)" in message
    assert "kinit -R" in message and "every 2 minutes" in message
    # a smaller margin accepts the same ticket
    assert check_ticket(settings_for(kdc, cache, min_lifetime=timedelta(minutes=1))).expires_at == expiry


# ---- missing / unusable --------------------------------------------------------------------
def test_missing_cache_asks_about_the_sidecar_and_the_volume(kdc: Kdc, tmp_path: Path) -> None:
    with pytest.raises(PreflightError) as err:
        check_ticket(settings_for(kdc, tmp_path / "krb5cc"))
    message = str(err.value)
    assert f"No Kerberos ticket cache at {tmp_path / 'krb5cc'}" in message
    assert "Is the kerberos sidecar running" in message
    assert f"is the volume krb5-cache mounted at {tmp_path}?" in message

    with pytest.raises(PreflightError) as err:
        check_ticket(settings_for(kdc, tmp_path / "nodir" / "krb5cc"))
    assert f"the directory {tmp_path / 'nodir'} does not exist either" in str(err.value)
    assert "mount the volume krb5-cache at" in str(err.value)


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"", "is empty (0 bytes)"),
        (b"<html>502 Bad Gateway</html>", "is not a Kerberos credential cache: it starts with bytes 3c 68 74 6d"),
        (None, "is truncated: it ends inside credential #"),
    ],
    ids=["empty", "garbage", "truncated"],
)
def test_unusable_cache_contents_are_named(
    kdc: Kdc, valid_cache: Path, tmp_path: Path, content: bytes | None, phrase: str
) -> None:
    bad = tmp_path / "bad"
    bad.write_bytes(content if content is not None else valid_cache.read_bytes()[:-7])
    with pytest.raises(PreflightError) as err:
        check_ticket(settings_for(kdc, bad))
    message = str(err.value)
    assert message.startswith(f"Kerberos ticket cache {bad} ")
    assert phrase in message
    assert "Fix: run kinit on the host" in message


def test_cache_path_that_is_a_directory(kdc: Kdc, tmp_path: Path) -> None:
    (tmp_path / "krb5cc").mkdir()
    with pytest.raises(PreflightError, match="is a directory, not a file"):
        check_ticket(settings_for(kdc, tmp_path / "krb5cc"))


def test_cache_without_tgt(kdc: Kdc, tmp_path: Path) -> None:
    cache = kdc.kinit(tmp_path / "cc", service=f"HTTP/localhost@{REALM}")
    with pytest.raises(PreflightError) as err:
        check_ticket(settings_for(kdc, cache))
    assert f"holds no ticket-granting ticket krbtgt/{REALM}@{REALM} for {SERVICE}" in str(err.value)
    assert f"(it holds: HTTP/localhost@{REALM})" in str(err.value)


def test_keyring_ccname_is_refused_with_what_to_set() -> None:
    with pytest.raises(PreflightError, match="cannot be shared through a sidecar volume"):
        check_ticket(KerberosSettings(ccache="KEYRING:persistent:0"))


# ---- permissions: the non-root Airflow user ------------------------------------------------
CHECK_AS_NOBODY = """
from include.kerberos.preflight import KerberosSettings, check_ticket
from include.errors import PreflightError
try:
    info = check_ticket(KerberosSettings(ccache={ccache!r}))
    print("PASS", info.principal, info.expires_at.isoformat())
except PreflightError as exc:
    print("FAIL", exc)
"""


def test_root_only_cache_fails_for_a_non_root_uid_with_the_fix(kdc: Kdc, shared_dir: Path) -> None:
    cache = kdc.kinit(shared_dir / "krb5cc")  # kinit writes 0600, owned by root
    assert (cache.stat().st_mode & 0o777) == 0o600
    check_ticket(settings_for(kdc, cache))  # root reads it: modes are bypassed

    done = run_as_nobody(CHECK_AS_NOBODY.format(ccache=f"FILE:{cache}"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("FAIL Kerberos ticket cache"), out
    assert f"{cache} is not readable by uid {NOBODY} (gid {NOBODY})" in out
    assert "file mode 0600, owner uid 0 gid 0" in out
    assert f"directory {shared_dir} mode 0755" in out
    assert "mode 0644 (or 0640 with group 65534" in out
    assert "mode 0555 or wider" in out
    assert "non-root user astro" in out

    os.chmod(cache, 0o644)  # what the sidecar publishes
    done = run_as_nobody(CHECK_AS_NOBODY.format(ccache=f"FILE:{cache}"))
    assert done.stdout.startswith(f"PASS {SERVICE}"), done.stdout + done.stderr


def test_untraversable_directory_fails_for_a_non_root_uid(kdc: Kdc, shared_dir: Path) -> None:
    inner = shared_dir / "cache"
    inner.mkdir(mode=0o700)
    cache = kdc.kinit(inner / "krb5cc")
    os.chmod(cache, 0o644)
    done = run_as_nobody(CHECK_AS_NOBODY.format(ccache=f"FILE:{cache}"))
    assert f"is not readable by uid {NOBODY}" in done.stdout, done.stdout + done.stderr
    assert f"directory {inner} mode 0700, owner uid 0 gid 0" in done.stdout


# ---- krb5.conf -----------------------------------------------------------------------------
def test_krb5_conf_realm_and_kdcs(kdc: Kdc) -> None:
    conf = check_krb5_conf(KerberosSettings(krb5_config=str(kdc.krb5_conf)))
    assert conf.default_realm == REALM
    assert conf.kdcs() == (f"127.0.0.1:{kdc.port}",)
    assert conf.dns_lookup_kdc is False
    with pytest.raises(PreflightError, match="Kerberos configuration /nonexistent/krb5.conf not found"):
        check_krb5_conf(KerberosSettings(krb5_config="/nonexistent/krb5.conf"))


def test_krb5_conf_reader_handles_profile_syntax(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "corp").write_text("[realms]\n CORP.EXAMPLE.COM = {\n  kdc = dc3.corp.example.com\n }\n")
    (tmp_path / "conf.d" / "ignored.bak").write_text("[libdefaults]\n default_realm = WRONG\n")
    main = tmp_path / "krb5.conf"
    main.write_text(
        f"""includedir {tmp_path / 'conf.d'}
# comment
; another comment
[libdefaults]
\tdefault_realm = CORP.EXAMPLE.COM
\tdns_lookup_kdc = true
[realms]
    CORP.EXAMPLE.COM = {{
        kdc = dc1.corp.example.com:88
        kdc = dc2.corp.example.com
        admin_server = dc1.corp.example.com
        auth_to_local = RULE:[1:$1@$0](.*@CORP\\.EXAMPLE\\.COM)s/@.*//
    }}
    OTHER.EXAMPLE = {{
        kdc = kdc.other.example
    }}
[domain_realm]*
    .corp.example.com = CORP.EXAMPLE.COM
"""
    )
    conf = read_krb5_conf(f"{main}:{tmp_path / 'absent.conf'}")
    assert conf.paths == (str(main),)
    assert conf.default_realm == "CORP.EXAMPLE.COM"
    assert conf.dns_lookup_kdc is True
    assert conf.kdcs() == ("dc3.corp.example.com", "dc1.corp.example.com:88", "dc2.corp.example.com")
    assert conf.kdcs("OTHER.EXAMPLE") == ("kdc.other.example",)
