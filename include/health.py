"""Is everything the catalog depends on there? One table: check, target, status, detail, seconds.

Checks, each bounded by ``DATAKIT_PREFLIGHT_TIMEOUT_SECONDS``:

============  ===================================  =============================================
check         target                               how
============  ===================================  =============================================
openmetadata  the API URL                          version endpoint, version match, token
              (``openmetadata_default``)           (``include.openmetadata.preflight``)
postgres      host:port of ``pagila_postgres``     login + ``server_version``
sqlserver     host:port of ``mssql_corp``          TCP connect (``include.kerberos.preflight``)
odbc driver   the connection's driver              registered with unixODBC
kerberos      the ticket cache (``KRB5CCNAME``)    valid TGT with enough lifetime
airflow db    ``airflow_metadata_db``              reachable, and is Airflow's metadata DB
============  ===================================  =============================================

Status: OK, FAIL, or SKIP when a source's connection does not exist (a datakit may not use
SQL Server; the Kerberos ticket is only checked when it does). OpenMetadata is no source:
every catalog DAG needs it, so a missing ``openmetadata_default`` is a FAIL.

Used by the ``catalog_health`` DAG (``health_task``) and from a shell: ``make health`` or
``python -m include.health [--json]`` (exit status 1 when a check fails).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

from include.errors import DatakitError

OK, FAIL, SKIP = "OK", "FAIL", "SKIP"
COLUMNS = ("check", "target", "status", "detail", "seconds")


@dataclass(frozen=True)
class CheckRow:
    check: str
    target: str
    status: str
    detail: str
    seconds: float = 0.0


class HealthCheckFailed(DatakitError):
    """At least one health check failed; the message names each failed check."""


@dataclass
class HealthReport:
    rows: list[CheckRow] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckRow]:
        return [r for r in self.rows if r.status == FAIL]

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self) -> dict[str, int]:
        return {status: sum(r.status == status for r in self.rows) for status in (OK, FAIL, SKIP)}

    def summary(self) -> str:
        counts = self.counts()
        return f"catalog health: {counts[OK]} OK, {counts[FAIL]} FAIL, {counts[SKIP]} SKIP"

    def table(self) -> str:
        return format_table(self.rows) + "\n" + self.summary()

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "counts": self.counts(), "rows": [asdict(r) for r in self.rows]}

    def raise_for_failures(self) -> None:
        if self.failed:
            raise HealthCheckFailed(
                f"{len(self.failed)} health check(s) failed: "
                + "; ".join(f"{r.check} {r.target}: {r.detail}" for r in self.failed)
            )


def format_table(rows: Iterable[CheckRow]) -> str:
    """A plain-text table, one line per check (details on one line, never truncated)."""
    cells = [[r.check, r.target, r.status, r.detail, f"{r.seconds:.2f}"] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(COLUMNS)]

    def line(values: list[str]) -> str:
        out = []
        for i, (value, width) in enumerate(zip(values, widths)):
            out.append(value.rjust(width) if COLUMNS[i] == "seconds" else value.ljust(width))
        return "  ".join(out).rstrip()

    return "\n".join([line(list(COLUMNS)), line(["-" * w for w in widths]), *(line(c) for c in cells)])


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _run(check: str, target: str, probe: Callable[[], str]) -> CheckRow:
    """Run ``probe`` (returns the OK detail); a failure becomes a FAIL row with the error."""
    started = time.monotonic()
    try:
        detail, status = probe(), OK
    except DatakitError as exc:
        detail, status = str(exc), FAIL
    except Exception as exc:  # an unexpected error is a failed check, not a crashed report
        detail, status = f"{type(exc).__name__}: {exc}", FAIL
    return CheckRow(check, target, status, _one_line(detail), round(time.monotonic() - started, 3))


def _skip(check: str, target: str, reason: str) -> CheckRow:
    return CheckRow(check, target, SKIP, reason)


def _lookup(conn_id: str) -> Any | None:
    """The Airflow connection, or None when it is not defined."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


def _where(conn: Any, default_port: int) -> str:
    return f"{conn.host or '?'}:{conn.port or default_port}"


def check_openmetadata_row(conn_id: str, timeout: float) -> CheckRow:
    conn = _lookup(conn_id)
    if conn is None:
        return CheckRow("openmetadata", conn_id, FAIL,
                        f"the Airflow connection {conn_id!r} is not defined: every catalog DAG needs it. Fix: add it "
                        f"(Admin > Connections, airflow_settings.yaml or AIRFLOW_CONN_{conn_id.upper()})")
    from include.openmetadata.server import server_from_connection

    target = conn_id
    try:
        server = server_from_connection(conn)
        target = server.api_url
    except DatakitError:
        server = None

    def probe() -> str:
        from include.openmetadata.preflight import check_openmetadata

        checked = check_openmetadata(server or server_from_connection(conn), timeout=timeout)
        return f"OpenMetadata {checked.server_version} (SDK {checked.sdk_version}), token accepted"

    return _run("openmetadata", target, probe)


def check_postgres_row(conn_id: str, timeout: float) -> CheckRow:
    conn = _lookup(conn_id)
    if conn is None:
        return _skip("postgres", conn_id, f"no Airflow connection {conn_id!r}: this source is not used here")

    def probe() -> str:
        from include.sources.postgres import check_postgres_reachable, postgres_from_connection

        source = postgres_from_connection(conn)
        version = check_postgres_reachable(source, timeout=timeout)
        return f"PostgreSQL {version}, database {source.database!r}, login {source.username!r} accepted"

    return _run("postgres", _where(conn, 5432), probe)


def check_mssql_rows(conn_id: str, timeout: float) -> list[CheckRow]:
    from include.kerberos.preflight import KerberosSettings

    conn = _lookup(conn_id)
    ccache = KerberosSettings.from_env().ccache
    if conn is None:
        reason = f"no Airflow connection {conn_id!r}: SQL Server is not used here"
        return [_skip("sqlserver", conn_id, reason), _skip("odbc driver", conn_id, reason),
                _skip("kerberos", ccache, reason)]
    from include.sources.mssql import mssql_from_connection

    try:
        source = mssql_from_connection(conn)
    except DatakitError as exc:
        return [CheckRow("sqlserver", _where(conn, 1433), FAIL, _one_line(str(exc)))]

    def tcp() -> str:
        from include.kerberos.preflight import check_tcp

        check_tcp(source.host, source.port, timeout=timeout)
        return f"TCP connection to {source.host}:{source.port} opened"

    def driver() -> str:
        from include.kerberos.preflight import check_odbc_driver

        check_odbc_driver(source.driver)
        return "registered with unixODBC"

    def ticket() -> str:
        from include.kerberos.preflight import check_ticket

        return check_ticket().describe()

    return [_run("sqlserver", f"{source.host}:{source.port}", tcp), _run("odbc driver", source.driver, driver),
            _run("kerberos", ccache, ticket)]


def check_airflow_db_row(conn_id: str, timeout: float) -> CheckRow:
    conn = _lookup(conn_id)
    if conn is None:
        return _skip("airflow db", conn_id, f"no Airflow connection {conn_id!r}: catalog_airflow is not used here")
    target = conn.host if (conn.conn_type or "") == "sqlite" else _where(conn, 5432)

    def probe() -> str:
        from include.sources.airflow import airflow_db_from_connection
        from include.sources.airflow_db import check_metadata_db

        found = check_metadata_db(airflow_db_from_connection(conn), timeout=timeout)
        version = f" {found['version']}" if found.get("version") else ""
        return f"Airflow metadata DB ({found['backend']}{version}), {found['dags']} DAGs"

    return _run("airflow db", target or conn_id, probe)


def run_checks(timeout: float | None = None) -> HealthReport:
    """Every check, in a fixed order (OpenMetadata, then each source)."""
    from include.settings import get_settings

    settings = get_settings()
    timeout = timeout or settings.client.preflight_timeout
    ids = settings.conn_ids
    rows = [check_openmetadata_row(ids.openmetadata, timeout), check_postgres_row(ids.pagila, timeout),
            *check_mssql_rows(ids.mssql, timeout), check_airflow_db_row(ids.airflow_metadata_db, timeout)]
    return HealthReport(rows)


def health_task(ti: Any = None) -> dict[str, Any]:
    """The ``check`` task of ``catalog_health``: print the table, push it, fail if a check failed."""
    report = run_checks()
    print(report.table())  # noqa: T201 - the table is the task's output
    result = report.to_dict()
    if ti is not None:
        ti.xcom_push(key="report", value=result)  # there even when the task fails
    report.raise_for_failures()
    return result


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m include.health", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    args = parser.parse_args(argv)
    report = run_checks()
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.table())  # noqa: T201
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
