"""One readable report of everything a Kerberos SQL Server ingestion depends on.

    python -m include.kerberos.diagnose [--host H] [--port P] [--driver D] [--conn-id mssql_corp]
                                        [--no-airflow] [--sdk-test] [--timeout S]

Checks, in order: krb5.conf (realm, KDCs), the ticket in the shared cache
(principal, expiry), the ODBC driver, TCP reachability of the SQL Server and,
only when asked (``--sdk-test``) and only when all of those pass, the
OpenMetadata SDK's own test-connection (see the HOOK section below). Exit
status 0 when nothing failed, 1 otherwise.

Host, port and driver: command-line arguments win; whatever is missing comes
from the Airflow connection ``mssql_corp`` (host, port, schema, extra
``driver``) when Airflow is importable and the connection exists, then from
env ``DATAKIT_MSSQL_HOST``/``DATAKIT_MSSQL_PORT``/``DATAKIT_MSSQL_DRIVER``, then
from defaults (port 1433, driver "ODBC Driver 18 for SQL Server").

Reusable from a DAG task: ``diagnose(...)`` returns a ``DiagnosisReport``
(``.ok``, ``.checks``, ``.facts``, ``.text``, ``.to_dict()``,
``.raise_for_failures()``). Airflow and the SDK are imported inside functions only.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from include.errors import PreflightError
from include.kerberos.ccache import CCacheError, klist_valid, resolve_ccache_name
from include.kerberos.krb5_conf import check_krb5_conf
from include.kerberos.preflight import (
    DEFAULT_MSSQL_PORT,
    DEFAULT_ODBC_DRIVER,
    KerberosSettings,
    check_odbc_driver,
    check_tcp,
    check_ticket,
    format_utc,
    human_duration,
    odbcinst_location,
    registered_odbc_drivers,
)

DEFAULT_CONN_ID = "mssql_corp"
ENV_HOST = "DATAKIT_MSSQL_HOST"
ENV_PORT = "DATAKIT_MSSQL_PORT"
ENV_DRIVER = "DATAKIT_MSSQL_DRIVER"

OK, FAIL, SKIP = "OK", "FAIL", "SKIP"
SDK_CHECK = "SDK test-connection"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # OK | FAIL | SKIP
    detail: str

    @property
    def ok(self) -> bool:
        return self.status != FAIL


@dataclass(frozen=True)
class Target:
    host: str | None
    port: int
    driver: str
    database: str | None = None
    origin: str = "defaults"  # where host/port/driver came from, for the report


@dataclass
class DiagnosisReport:
    checks: list[CheckResult] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)  # ordered label -> value
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == FAIL]

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def text(self) -> str:
        width = max((len(label) for label, _ in self.facts), default=0)
        lines = ["Kerberos / SQL Server diagnosis", ""]
        lines += [f"  {label.ljust(width)}  {value}" for label, value in self.facts]
        if self.notes:
            lines += ["", *[f"  note: {note}" for note in self.notes]]
        lines += ["", "Checks"]
        lines += [f"  [{c.status:<4}] {c.name}: {c.detail}" for c in self.checks]
        counted = [c for c in self.checks if c.status != SKIP]
        if self.ok:
            lines += ["", f"Result: OK ({len(counted)} checks passed)"]
        else:
            lines += ["", f"Result: FAIL ({len(self.failed)} of {len(counted)} checks failed)"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [{"name": c.name, "status": c.status, "detail": c.detail} for c in self.checks],
            "facts": dict(self.facts),
            "notes": list(self.notes),
        }

    def raise_for_failures(self) -> None:
        if not self.ok:
            raise PreflightError(self.text)


# ---- where the SQL Server is ----------------------------------------------------------------
def airflow_connection(conn_id: str) -> tuple[Any | None, str]:
    """The Airflow connection ``conn_id`` (or None) and a note saying what happened."""
    try:
        try:
            from airflow.sdk.bases.hook import BaseHook  # Airflow 3
        except ImportError:
            from airflow.hooks.base import BaseHook  # Airflow 2
    except Exception as exc:  # not installed, or broken config: the report must still come out
        return None, f"Airflow not importable ({type(exc).__name__}); connection {conn_id} not read"
    try:
        return BaseHook.get_connection(conn_id), f"Airflow connection {conn_id}"
    except Exception as exc:
        return None, f"Airflow connection {conn_id} not found ({type(exc).__name__})"


def resolve_target(
    host: str | None = None,
    port: int | None = None,
    driver: str | None = None,
    *,
    conn_id: str = DEFAULT_CONN_ID,
    use_airflow: bool = True,
    environ: Mapping[str, str] | None = None,
) -> tuple[Target, str]:
    """Host/port/driver by precedence: arguments, Airflow connection, env, defaults.

    Returns the target and a note on the Airflow lookup ("" when not needed).
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {"host": host or None, "port": port or None, "driver": driver or None}
    origin = {key: "arguments" for key, value in values.items() if value}
    database = None
    note = ""
    if use_airflow and not all(values.values()):
        conn, note = airflow_connection(conn_id)
        if conn is not None:
            extra = getattr(conn, "extra_dejson", None) or {}
            found = {"host": conn.host, "port": conn.port, "driver": extra.get("driver")}
            for key, value in found.items():
                if not values[key] and value:
                    values[key] = value
                    origin[key] = f"Airflow connection {conn_id}"
            database = getattr(conn, "schema", None) or None
    for key, name in (("host", ENV_HOST), ("port", ENV_PORT), ("driver", ENV_DRIVER)):
        if not values[key] and env.get(name):
            values[key] = env[name]
            origin[key] = f"env {name}"
    for key, default in (("port", DEFAULT_MSSQL_PORT), ("driver", DEFAULT_ODBC_DRIVER)):
        if not values[key]:
            values[key] = default
            origin[key] = "default"
    grouped: dict[str, list[str]] = {}
    for key in ("host", "port", "driver"):
        if key in origin:
            grouped.setdefault(origin[key], []).append(key)
    text = "; ".join(f"{', '.join(keys)} from {src}" for src, keys in grouped.items())
    try:
        port_number = int(values["port"])
    except (TypeError, ValueError):
        raise PreflightError(f"SQL Server port {values['port']!r} ({origin.get('port')}) is not a number") from None
    target = Target(
        host=values["host"],
        port=port_number,
        driver=str(values["driver"]),
        database=database,
        origin=text or "nowhere",
    )
    return target, note


# ---- the report -----------------------------------------------------------------------------
def diagnose(
    settings: KerberosSettings | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
    driver: str | None = None,
    conn_id: str = DEFAULT_CONN_ID,
    use_airflow: bool = True,
    tcp_timeout: float = 3.0,
    sdk_test: bool = False,
    om_client: Any | None = None,
    now: datetime | None = None,
) -> DiagnosisReport:
    """Run every check (none raises) and return the report."""
    report = DiagnosisReport()
    try:
        settings = settings or KerberosSettings.from_env()
    except Exception as exc:  # ConfigError from a bad env value
        report.checks.append(CheckResult("settings", FAIL, str(exc)))
        settings = KerberosSettings()
    facts = report.facts

    # 1. krb5.conf
    facts.append(("krb5.conf", settings.krb5_config))
    conf = None
    try:
        conf = check_krb5_conf(settings)
        kdcs = ", ".join(conf.kdcs()) or "none listed (DNS lookup)"
        facts.append(("default realm", conf.default_realm or "not set"))
        facts.append(("KDC(s)", kdcs))
        report.checks.append(
            CheckResult("krb5.conf", OK, f"read {', '.join(conf.paths)}; realm {conf.default_realm}, KDC(s) {kdcs}")
        )
    except PreflightError as exc:
        report.checks.append(CheckResult("krb5.conf", FAIL, str(exc)))

    # 2. the ticket
    try:
        cache_path = str(resolve_ccache_name(settings.ccache))
    except CCacheError:
        cache_path = settings.ccache
    facts.append(("ticket cache", f"{settings.ccache}"))
    try:
        info = check_ticket(settings, now=now)
        facts.append(("principal", info.principal))
        facts.append(("expires", f"{format_utc(info.expires_at)} (in {human_duration(info.remaining)})"))
        report.checks.append(CheckResult("Kerberos ticket", OK, info.describe()))
        if conf is not None and info.realm not in conf.realms and conf.dns_lookup_kdc is False:
            report.notes.append(
                f"krb5.conf has no [realms] entry for the ticket's realm {info.realm} and dns_lookup_kdc = false: "
                "service tickets for SQL Server cannot be requested"
            )
    except PreflightError as exc:
        facts.append(("principal", "unknown"))
        report.checks.append(CheckResult("Kerberos ticket", FAIL, str(exc)))
    klist = klist_valid(f"FILE:{cache_path}") if os.path.isabs(cache_path) else None
    if klist is not None:
        facts.append(("klist -s", "valid TGT" if klist else "no valid TGT (klist -s exit 1)"))

    # 3. ODBC driver
    try:
        target, airflow_note = resolve_target(host, port, driver, conn_id=conn_id, use_airflow=use_airflow)
    except PreflightError as exc:
        report.checks.append(CheckResult("SQL Server target", FAIL, str(exc)))
        target, airflow_note = Target(host=None, port=DEFAULT_MSSQL_PORT, driver=driver or DEFAULT_ODBC_DRIVER), ""
    try:
        drivers = registered_odbc_drivers()
        where = odbcinst_location()
        facts.append(("ODBC drivers", (", ".join(drivers) or "none") + (f" (from {where})" if where else "")))
    except ImportError as exc:
        facts.append(("ODBC drivers", f"pyodbc not loadable: {exc}"))
    try:
        check_odbc_driver(target.driver)
        report.checks.append(CheckResult("ODBC driver", OK, f"{target.driver!r} is registered"))
    except PreflightError as exc:
        report.checks.append(CheckResult("ODBC driver", FAIL, str(exc)))

    # 4. TCP
    where_from = target.origin
    if airflow_note and "Airflow connection" not in target.origin:
        where_from += f"; {airflow_note}"
    facts.append(
        ("SQL Server", f"{target.host or '?'}:{target.port}, driver {target.driver!r} ({where_from})")
    )
    if not target.host:
        report.checks.append(
            CheckResult(
                "TCP to SQL Server",
                FAIL,
                f"no SQL Server host: pass --host, set {ENV_HOST}, or define the Airflow connection {conn_id}",
            )
        )
    else:
        try:
            check_tcp(target.host, target.port, timeout=tcp_timeout)
            report.checks.append(CheckResult("TCP to SQL Server", OK, f"{target.host}:{target.port} accepts connections"))
        except PreflightError as exc:
            report.checks.append(CheckResult("TCP to SQL Server", FAIL, str(exc)))

    # 5. the SDK's own test-connection (HOOK below): only when asked and when all else passed
    if not sdk_test:
        report.checks.append(CheckResult(SDK_CHECK, SKIP, "not requested (--sdk-test)"))
    elif not report.ok:
        report.checks.append(CheckResult(SDK_CHECK, SKIP, "not attempted: an earlier check failed"))
    else:
        try:
            report.checks.append(sdk_test_connection(build_mssql_connection(target), om_client))
        except Exception as exc:  # the hook must not turn a report into a crash
            report.checks.append(CheckResult(SDK_CHECK, FAIL, f"{type(exc).__name__}: {exc}"))
    return report


# =============================================================================================
# HOOK: the OpenMetadata SDK's test-connection result.
#
# Importing the SDK costs ~10 s of CPU, so this runs only on request and only after every
# check above passed. With no SQL Server reachable (as on a developer machine or in CI) it
# reports the SDK's named error, e.g. "Connection refused: ... is not reachable" when the
# port is closed, or the driver's "Can't open lib '<driver>' : file not found" when the
# driver is missing. A real Kerberos login (Trusted_Connection) needs the corporate server.
# =============================================================================================
def build_mssql_connection(target: Target) -> Any:
    """The OpenMetadata ``MssqlConnection`` that ingestion would use: pyodbc, no user, no password.

    Built by ``include.sources.mssql`` so the diagnostic tests exactly the connection
    ``catalog_mssql`` opens. With no username SQLAlchemy's mssql+pyodbc dialect adds
    ``Trusted_Connection=Yes``: the ODBC driver authenticates with the TGT in ``KRB5CCNAME``.
    """
    from include.sources.mssql import MssqlSource
    from include.sources.mssql import build_mssql_connection as build

    return build(MssqlSource(conn_id=DEFAULT_CONN_ID, host=target.host, port=target.port,
                             database=target.database or "master", driver=target.driver))


def sdk_test_connection(service_connection: Any, om_client: Any | None = None, timeout_seconds: int = 60) -> CheckResult:
    """Run the SDK's test-connection for an OpenMetadata service connection (e.g. MssqlConnection).

    * ``om_client`` (an ``OpenMetadata`` client) given: the source's full ``test_connection``
      (every step of the server's test-connection definition; the same code the UI's "Test
      Connection" button runs, via ``metadata.ingestion.source.connections.create_connection``).
    * no client (no OpenMetadata server needed): the gate step ``CheckAccess`` only - TCP probe,
      connect, ``SELECT 1`` - with the failure classified by the connector's own error pack.
    """
    from metadata.core.connections.test_connection import collect_checks
    from metadata.ingestion.source.connections import create_connection

    owned = create_connection(service_connection)
    if owned is None:
        return CheckResult(SDK_CHECK, FAIL, f"the SDK has no connection class for {type(service_connection).__name__}")
    with owned:
        if om_client is not None:
            result = owned.test_connection(om_client, timeout_seconds=timeout_seconds)
            steps = []
            for step in result.steps:
                if step.passed:
                    steps.append(f"{step.name} passed")
                else:
                    title = step.diagnosis.title if getattr(step, "diagnosis", None) else (step.message or "failed")
                    steps.append(f"{step.name} FAILED ({title})")
            status = OK if str(getattr(result.status, "value", result.status)) == "Successful" else FAIL
            return CheckResult(SDK_CHECK, status, "; ".join(steps) or "no steps")
        provider = owned.checks()
        access = collect_checks(provider).get("CheckAccess")
        if access is None:
            return CheckResult(SDK_CHECK, FAIL, "the connector defines no CheckAccess step")
        try:
            access()
        except Exception as exc:
            cause = getattr(exc, "cause", None) or exc
            diagnosis = provider.errors.classify(cause) or provider.errors.classify(exc)
            text = " ".join(str(cause).split())
            if diagnosis is not None:
                return CheckResult(SDK_CHECK, FAIL, f"{diagnosis.title}: {text}. Fix: {diagnosis.remediation}")
            return CheckResult(SDK_CHECK, FAIL, f"{type(cause).__name__}: {text}")
        return CheckResult(SDK_CHECK, OK, "CheckAccess passed: connected with Kerberos and ran SELECT 1")


# ---- CLI --------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None, *, print_fn: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m include.kerberos.diagnose",
        description="Report on the Kerberos ticket, krb5.conf, ODBC driver and SQL Server reachability.",
    )
    parser.add_argument("--host", help=f"SQL Server host (default: connection {DEFAULT_CONN_ID}, env {ENV_HOST})")
    parser.add_argument("--port", type=int, help=f"SQL Server port (default: connection, env {ENV_PORT}, 1433)")
    parser.add_argument("--driver", help=f"ODBC driver name (default: connection extra 'driver', {DEFAULT_ODBC_DRIVER!r})")
    parser.add_argument("--conn-id", default=DEFAULT_CONN_ID, help="Airflow connection to read [%(default)s]")
    parser.add_argument("--no-airflow", action="store_true", help="do not read the Airflow connection")
    parser.add_argument("--timeout", type=float, default=3.0, help="TCP connect timeout, seconds [%(default)s]")
    parser.add_argument("--sdk-test", action="store_true",
                        help="also run the OpenMetadata SDK's test-connection (~10 s) when all checks pass")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = diagnose(
        host=args.host,
        port=args.port,
        driver=args.driver,
        conn_id=args.conn_id,
        use_airflow=not args.no_airflow,
        tcp_timeout=args.timeout,
        sdk_test=args.sdk_test,
    )
    if args.json:
        import json

        print_fn(json.dumps(report.to_dict(), indent=2))
    else:
        print_fn(report.text)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
