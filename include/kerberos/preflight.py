"""Fail-fast checks before a SQL Server job runs with Kerberos (no passwords anywhere).

The Airflow containers read a ticket cache that the kerberos sidecar copies from
the host into the shared volume ``krb5-cache`` (mounted read-only at
``/krb5/cache``). Every check raises ``PreflightError`` with a message that says
what is wrong and what to do; nothing here needs the OpenMetadata SDK or Airflow.

    from include.kerberos.preflight import KerberosSettings, check_ticket
    info = check_ticket(KerberosSettings.from_env())
"""

from __future__ import annotations

import errno as errno_module
import logging
import os
import re
import shutil
import socket
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from include.errors import ConfigError, PreflightError
from include.kerberos.ccache import CCacheError, parse_ccache, resolve_ccache_name

logger = logging.getLogger("include.kerberos")

# ---- defaults: the one place they live -------------------------------------------------
ENV_CCACHE = "KRB5CCNAME"
ENV_KRB5_CONFIG = "KRB5_CONFIG"
ENV_MIN_LIFETIME = "DATAKIT_KRB5_MIN_LIFETIME_MINUTES"
ENV_REFRESH = "KRB5_SIDECAR_REFRESH_SECONDS"

SHARED_CACHE_DIR = "/krb5/cache"  # the sidecar's volume, read-only in Airflow
DEFAULT_CCACHE = f"FILE:{SHARED_CACHE_DIR}/krb5cc"
DEFAULT_KRB5_CONFIG = "/etc/krb5.conf"
DEFAULT_MIN_LIFETIME_MINUTES = 15
DEFAULT_REFRESH_SECONDS = 300
DEFAULT_CACHE_MODE = 0o644  # what the sidecar writes; readable by Airflow's non-root user
DEFAULT_DIR_MODE = 0o755
DEFAULT_ODBC_DRIVER = "ODBC Driver 18 for SQL Server"
DEFAULT_MSSQL_PORT = 1433


def _env_int(environ: Mapping[str, str], name: str, default: int, minimum: int, unit: str) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            name, f"{raw!r} is not a whole number of {unit}", f"set {name} to e.g. {default}, or unset it"
        ) from None
    if value < minimum:
        raise ConfigError(name, f"{value} is below the minimum {minimum} {unit}", f"set {name} >= {minimum}")
    return value


@dataclass(frozen=True)
class KerberosSettings:
    """Where the ticket is and how much lifetime a job needs; defaults match the compose setup."""

    ccache: str = DEFAULT_CCACHE
    krb5_config: str = DEFAULT_KRB5_CONFIG
    min_lifetime: timedelta = timedelta(minutes=DEFAULT_MIN_LIFETIME_MINUTES)
    sidecar_refresh_seconds: int = DEFAULT_REFRESH_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KerberosSettings:
        env = os.environ if environ is None else environ
        minutes = _env_int(env, ENV_MIN_LIFETIME, DEFAULT_MIN_LIFETIME_MINUTES, 0, "minutes")
        refresh = _env_int(env, ENV_REFRESH, DEFAULT_REFRESH_SECONDS, 1, "seconds")
        return cls(
            ccache=env.get(ENV_CCACHE, "").strip() or DEFAULT_CCACHE,
            krb5_config=env.get(ENV_KRB5_CONFIG, "").strip() or DEFAULT_KRB5_CONFIG,
            min_lifetime=timedelta(minutes=minutes),
            sidecar_refresh_seconds=refresh,
        )


@dataclass(frozen=True)
class TicketInfo:
    principal: str
    realm: str
    expires_at: datetime  # aware, UTC (KDC clock)
    starts_at: datetime | None
    renew_until: datetime | None
    remaining: timedelta
    ccache_path: str
    cache_version: int
    services: tuple[str, ...] = ()

    def describe(self) -> str:
        text = f"{self.principal}, expires {format_utc(self.expires_at)} (in {human_duration(self.remaining)})"
        if self.renew_until:
            text += f", renewable until {format_utc(self.renew_until)}"
        return text


# ---- formatting ---------------------------------------------------------------------------
def format_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def human_duration(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def _every(seconds: int) -> str:
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"


def _mode_owner(path: Path) -> str:
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"cannot stat it ({exc.strerror})"
    return f"mode {stat.S_IMODE(st.st_mode):04o}, owner uid {st.st_uid} gid {st.st_gid}"


def _whoami() -> str:
    uid, gid = os.getuid(), os.getgid()
    groups = sorted(set(os.getgroups()) - {gid})
    extra = f", groups {','.join(map(str, groups))}" if groups else ""
    return f"uid {uid} (gid {gid}{extra})"


# ---- the ticket ---------------------------------------------------------------------------
def check_ticket(settings: KerberosSettings | None = None, *, now: datetime | None = None) -> TicketInfo:
    """The TGT in the shared cache, valid for at least ``settings.min_lifetime``; else PreflightError."""
    settings = settings or KerberosSettings.from_env()
    try:
        path = resolve_ccache_name(settings.ccache)
    except CCacheError as exc:
        raise PreflightError(str(exc)) from None
    refresh = (
        f"the kerberos sidecar copies the host's cache to {path} every {_every(settings.sidecar_refresh_seconds)}"
    )
    kinit_fix = f"run kinit on the host; {refresh}"

    try:
        st = os.stat(path)
    except FileNotFoundError:
        parent = path.parent
        if not parent.is_dir():
            raise PreflightError(
                f"No Kerberos ticket cache at {path}: the directory {parent} does not exist either, so the "
                f"sidecar's volume is not mounted there. Fix: mount the volume krb5-cache at {parent} (read-only) "
                f"in every Airflow container and set {ENV_CCACHE}=FILE:{path}; is the kerberos sidecar running?"
            ) from None
        raise PreflightError(
            f"No Kerberos ticket cache at {path}. Is the kerberos sidecar running (`astro dev ps` / "
            f"`docker compose ps`) and is the volume krb5-cache mounted at {parent}? Fix: run kinit on the host, "
            f"then check the sidecar's log; {refresh}"
        ) from None
    except PermissionError:
        raise _unreadable(path) from None
    if stat.S_ISDIR(st.st_mode):
        raise PreflightError(
            f"Kerberos ticket cache {path} is a directory, not a file (a bind mount of a host path that did not "
            f"exist creates a directory). Fix: mount the sidecar's volume krb5-cache at {path.parent} and point "
            f"{ENV_CCACHE} at the file in it, FILE:{path.parent}/krb5cc"
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except PermissionError:
        raise _unreadable(path) from None
    except OSError as exc:
        raise PreflightError(f"Kerberos ticket cache {path} cannot be read: {exc.strerror}") from None

    try:
        cache = parse_ccache(data, str(path))
    except CCacheError as exc:
        raise PreflightError(
            f"Kerberos ticket cache {exc}. Fix: {kinit_fix}. If this persists, read the sidecar's log: "
            "its source must be a FILE: cache written by kinit"
        ) from None

    tgt = cache.tgt
    if tgt is None:
        held = ", ".join(cache.servers) or "no tickets at all"
        raise PreflightError(
            f"Kerberos ticket cache {path} holds no ticket-granting ticket krbtgt/{cache.realm}@{cache.realm} "
            f"for {cache.principal} (it holds: {held}). Fix: {kinit_fix}"
        )

    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    kdc_now = now + cache.time_offset
    expires = tgt.endtime or datetime.fromtimestamp(0, tz=timezone.utc)
    remaining = expires - kdc_now
    if remaining <= timedelta(0):
        raise PreflightError(
            f"Kerberos ticket of {cache.principal} expired at {format_utc(expires)} "
            f"({human_duration(remaining)} ago; cache {path}). Fix: {kinit_fix}"
        )
    if remaining < settings.min_lifetime:
        renew = ""
        if tgt.renewable and tgt.renew_till and tgt.renew_till > kdc_now:
            renew = f" (or `kinit -R`: renewable until {format_utc(tgt.renew_till)})"
        minutes = int(settings.min_lifetime.total_seconds() // 60)
        raise PreflightError(
            f"Kerberos ticket of {cache.principal} expires at {format_utc(expires)}, in "
            f"{human_duration(remaining)}: less than the {minutes} min a job needs ({ENV_MIN_LIFETIME}). "
            f"Fix: run kinit on the host{renew}; {refresh}"
        )
    start = tgt.starttime or tgt.authtime
    if start and start - kdc_now > timedelta(minutes=5):
        raise PreflightError(
            f"Kerberos ticket of {cache.principal} is not valid before {format_utc(start)} (postdated, or this "
            f"machine's clock is behind). Fix: check the clock (NTP), then {kinit_fix}"
        )
    info = TicketInfo(
        principal=cache.principal,
        realm=cache.realm,
        expires_at=expires,
        starts_at=start,
        renew_until=tgt.renew_till,
        remaining=remaining,
        ccache_path=str(path),
        cache_version=cache.version,
        services=tuple(cache.servers),
    )
    logger.info("Kerberos ticket OK: %s (cache %s)", info.describe(), path)
    return info


def _unreadable(path: Path) -> PreflightError:
    uid, gid = os.getuid(), os.getgid()
    return PreflightError(
        f"Kerberos ticket cache {path} is not readable by {_whoami()}: file {_mode_owner(path)}; "
        f"directory {path.parent} {_mode_owner(path.parent)}. Fix: the kerberos sidecar must write the cache "
        f"with mode 0644 (or 0640 with group {gid}, the Airflow user's gid: sidecar option --gid {gid}) and "
        f"keep the directory at mode 0555 or wider (0755 by default); the Astro image runs Airflow as the "
        f"non-root user astro (here uid {uid}), which a root-owned 0600 cache from kinit shuts out"
    )


# ---- ODBC ---------------------------------------------------------------------------------
def registered_odbc_drivers() -> list[str]:
    import pyodbc  # light, but needs libodbc (Debian unixodbc)

    return list(pyodbc.drivers())


def odbcinst_location(timeout: float = 5.0) -> str | None:
    """The odbcinst.ini unixODBC reads (``odbcinst -j``'s DRIVERS line), or None."""
    program = shutil.which("odbcinst")
    if not program:
        return None
    try:
        done = subprocess.run(
            [program, "-j"], capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"^DRIVERS\.*:\s*(\S.*)$", done.stdout, re.MULTILINE)
    return match.group(1).strip() if match else None


def check_odbc_driver(name: str = DEFAULT_ODBC_DRIVER) -> None:
    """The ODBC driver ``name`` is registered with unixODBC; else PreflightError listing the registered ones."""
    try:
        drivers = registered_odbc_drivers()
    except ImportError as exc:
        raise PreflightError(
            f"pyodbc cannot be loaded ({exc}). Fix: install the Debian package unixodbc in the image "
            "(packages.txt) and pyodbc in requirements.txt"
        ) from None
    if name in drivers:
        return
    registered = ", ".join(repr(d) for d in drivers) if drivers else "none"
    where = odbcinst_location()
    source = f" (read from {where}, per `odbcinst -j`)" if where else ""
    raise PreflightError(
        f"ODBC driver {name!r} is not registered with unixODBC. Registered drivers: {registered}{source}. "
        f"Fix: install it in the image (Microsoft's msodbcsql18: ACCEPT_EULA=Y apt-get install msodbcsql18 "
        f"from packages.microsoft.com) or set the connection extra \"driver\" to one of the registered drivers"
    )


# ---- TCP ----------------------------------------------------------------------------------
def check_tcp(host: str, port: int, timeout: float = 3.0, *, what: str = "SQL Server") -> None:
    """A TCP connection to host:port opens within ``timeout`` seconds; else PreflightError."""
    fix = (
        "Fix: check host and port of the connection (default port 1433), that the server runs, "
        "and that a firewall/VPN lets this container reach it"
    )
    try:
        port_number = int(port)
    except (TypeError, ValueError):
        raise PreflightError(f"{what} port {port!r} for host {host} is not a number. {fix}") from None
    try:
        with socket.create_connection((host, port_number), timeout=timeout):
            return
    except socket.gaierror as exc:
        raise PreflightError(
            f"Cannot resolve {what} host {host} (port {port_number}): {exc.strerror}. "
            "Fix: check the host name of the connection and this container's DNS"
        ) from None
    except (socket.timeout, TimeoutError):
        raise PreflightError(
            f"Cannot reach {what} at {host}:{port_number} over TCP: no answer within {timeout:g} s (timed out). {fix}"
        ) from None
    except OSError as exc:
        code = errno_module.errorcode.get(exc.errno or 0, "")
        text = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc))
        raise PreflightError(
            f"Cannot reach {what} at {host}:{port_number} over TCP: {text}"
            f"{f' ({code})' if code else ''}. {fix}"
        ) from None
