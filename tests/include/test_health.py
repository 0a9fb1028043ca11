"""catalog_health: one table of checks, against the emulator, a real pagila, closed ports and a real DAG run."""

from __future__ import annotations

import json

import pytest

from include import health
from include.health import FAIL, OK, SKIP, CheckRow, HealthReport
from tests.support.airflow_run import run_dag
from tests.support.postgres import free_port

SOURCE_CONNS = ("AIRFLOW_CONN_PAGILA_POSTGRES", "AIRFLOW_CONN_MSSQL_CORP", "AIRFLOW_CONN_AIRFLOW_METADATA_DB")


@pytest.fixture
def no_sources(monkeypatch):
    for name in SOURCE_CONNS:
        monkeypatch.delenv(name, raising=False)


def rows_by_check(report: HealthReport) -> dict[str, CheckRow]:
    return {row.check: row for row in report.rows}


def test_table_formatting():
    rows = [CheckRow("openmetadata", "http://om:8585/api", OK, "OpenMetadata 2.0.6", 0.123),
            CheckRow("postgres", "db:5432", FAIL, "cannot connect", 5.0),
            CheckRow("kerberos", "FILE:/krb5/cache/krb5cc", SKIP, "not used", 0.0)]
    report = HealthReport(rows)
    assert report.table().splitlines() == [
        "check         target                   status  detail              seconds",
        "------------  -----------------------  ------  ------------------  -------",
        "openmetadata  http://om:8585/api       OK      OpenMetadata 2.0.6     0.12",
        "postgres      db:5432                  FAIL    cannot connect         5.00",
        "kerberos      FILE:/krb5/cache/krb5cc  SKIP    not used               0.00",
        "catalog health: 1 OK, 1 FAIL, 1 SKIP",
    ]
    assert report.to_dict()["counts"] == {"OK": 1, "FAIL": 1, "SKIP": 1}
    assert report.to_dict()["rows"][1] == {"check": "postgres", "target": "db:5432", "status": "FAIL",
                                           "detail": "cannot connect", "seconds": 5.0}
    with pytest.raises(health.HealthCheckFailed, match=r"1 health check\(s\) failed: postgres db:5432: cannot connect"):
        report.raise_for_failures()
    HealthReport(rows[:1] + rows[2:]).raise_for_failures()  # SKIP is no failure


def test_missing_connections(no_sources, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", raising=False)
    report = health.run_checks()
    assert [(r.check, r.status) for r in report.rows] == [
        ("openmetadata", FAIL), ("postgres", SKIP), ("sqlserver", SKIP), ("odbc driver", SKIP), ("kerberos", SKIP),
        ("airflow db", SKIP)]
    rows = rows_by_check(report)
    assert "'openmetadata_default' is not defined: every catalog DAG needs it" in rows["openmetadata"].detail
    assert rows["postgres"].detail == "no Airflow connection 'pagila_postgres': this source is not used here"
    assert rows["sqlserver"].detail == "no Airflow connection 'mssql_corp': SQL Server is not used here"
    assert rows["kerberos"].target.startswith("FILE:")


@pytest.mark.integration
def test_against_the_emulator_and_a_real_pagila(no_sources, om_connection, pagila_db, airflow_db, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_AIRFLOW_METADATA_DB", json.dumps(
        {"conn_type": "sqlite", "host": airflow_db.removeprefix("sqlite:///"), "extra": {"number_of_status": 0}}))
    report = health.run_checks()
    rows = rows_by_check(report)
    assert rows["openmetadata"].status == OK and rows["openmetadata"].target == om_connection.url
    assert rows["openmetadata"].detail.startswith("OpenMetadata 2.0.") and "token accepted" in rows["openmetadata"].detail
    assert rows["postgres"].status == OK and rows["postgres"].target == f"127.0.0.1:{pagila_db.port}"
    assert rows["postgres"].detail.startswith("PostgreSQL 1") and "database 'pagila'" in rows["postgres"].detail
    assert rows["airflow db"].status == OK and "Airflow metadata DB (sqlite)" in rows["airflow db"].detail
    assert {rows[c].status for c in ("sqlserver", "odbc driver", "kerberos")} == {SKIP}
    assert report.ok and all(r.seconds < 10 for r in report.rows)


@pytest.mark.integration
def test_closed_ports_are_fail_rows_naming_host_and_port(no_sources, om_connection, monkeypatch):
    pg_port, sql_port = free_port(), free_port()
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": pg_port, "login": "postgres", "password": "x",
         "schema": "pagila"}))
    monkeypatch.setenv("AIRFLOW_CONN_MSSQL_CORP", json.dumps(
        {"conn_type": "mssql", "host": "127.0.0.1", "port": sql_port, "schema": "Sales"}))
    report = health.run_checks()
    rows = rows_by_check(report)
    assert rows["openmetadata"].status == OK
    assert (rows["postgres"].status, rows["postgres"].target) == (FAIL, f"127.0.0.1:{pg_port}")
    assert f"cannot connect to PostgreSQL at 127.0.0.1:{pg_port}" in rows["postgres"].detail
    assert (rows["sqlserver"].status, rows["sqlserver"].target) == (FAIL, f"127.0.0.1:{sql_port}")
    assert f"Cannot reach SQL Server at 127.0.0.1:{sql_port} over TCP: Connection refused" in rows["sqlserver"].detail
    # With SQL Server configured, its driver and the Kerberos ticket are checked too (no SKIP).
    assert rows["odbc driver"].status in (OK, FAIL) and rows["kerberos"].status in (OK, FAIL)
    assert not report.ok


def test_cli_exit_status_and_json(no_sources, monkeypatch, capsys):
    monkeypatch.delenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", raising=False)
    assert health.main([]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["check", "target", "status", "detail", "seconds"]
    assert "catalog health: 0 OK, 1 FAIL, 5 SKIP" in out
    assert health.main(["--json"]) == 1
    assert json.loads(capsys.readouterr().out)["counts"] == {"OK": 0, "FAIL": 1, "SKIP": 5}


def report_xcom(dag_id: str) -> dict:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        value = session.execute(
            select(XComModel.value).where(XComModel.dag_id == dag_id, XComModel.key == "report")
            .order_by(XComModel.timestamp.desc()).limit(1)).scalar_one()
    return XComModel.deserialize_value(type("R", (), {"value": value})())


@pytest.mark.integration
def test_catalog_health_dag_run(no_sources, om_connection, pagila_db, airflow_db, monkeypatch, capfd):
    ok = run_dag("catalog_health")
    assert ok.state == "success", ok.task_states
    table = ok.xcoms["check"]
    assert table["ok"] is True and table["counts"] == {"OK": 2, "FAIL": 0, "SKIP": 4}

    port = free_port()
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": port, "login": "postgres", "password": "x",
         "schema": "pagila"}))
    capfd.readouterr()
    bad = run_dag("catalog_health")
    assert bad.state == "failed" and bad.task_states == {"check": "failed"}
    out = "".join(capfd.readouterr())
    # The whole table is printed before the task fails, and pushed to XCom.
    for check in ("openmetadata", "postgres", "sqlserver", "odbc driver", "kerberos", "airflow db"):
        assert check in out
    assert "catalog health: 1 OK, 1 FAIL, 4 SKIP" in out
    report = report_xcom("catalog_health")
    assert report["counts"] == {"OK": 1, "FAIL": 1, "SKIP": 4}
    [failed] = [r for r in report["rows"] if r["status"] == FAIL]
    assert failed["target"] == f"127.0.0.1:{port}"
