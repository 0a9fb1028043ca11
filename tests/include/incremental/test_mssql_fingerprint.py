"""SQL Server fingerprints, up to the driver: the statement, one round trip per database, the rows.

No SQL Server can run here: the statement is checked for what it must read and for its
shape, and ``pyodbc.connect`` is replaced by a fake that records what the driver is asked.
"""

from __future__ import annotations

import re

import pytest

from include.incremental import mssql
from include.incremental.fingerprint import compare, narrow
from include.sources.mssql import MssqlSource


def test_the_statement_reads_every_part_of_a_table():
    sql = mssql.FINGERPRINT_SQL
    for catalog_view in ("sys.schemas", "sys.objects", "sys.columns", "sys.default_constraints",
                         "sys.computed_columns", "sys.extended_properties", "sys.key_constraints",
                         "sys.index_columns", "sys.foreign_keys", "sys.foreign_key_columns", "sys.sql_modules",
                         "sys.procedures", "sys.partition_schemes", "sys.partition_functions", "sys.indexes"):
        assert catalog_view in sql, catalog_view
    assert "'MS_Description'" in sql and "HASHBYTES('SHA2_256'" in sql and "STRING_AGG" in sql
    assert "o.type IN ('U', 'V') AND o.is_ms_shipped = 0" in sql
    # One statement, no parameters, balanced, ordered aggregates (a stable hash).
    assert sql.count("UNION ALL") == 1 and "?" not in sql and ";" not in sql
    assert sql.count("(") == sql.count(")")
    assert sql.count("STRING_AGG(") == sql.count("WITHIN GROUP (ORDER BY")
    # Each hashed text is nvarchar(max): HASHBYTES takes no more than 8,000 bytes of anything shorter.
    assert len(re.findall(r"HASHBYTES\('SHA2_256', CAST\(CONCAT\(", sql)) == 2


class FakeCursor:
    def __init__(self, log, rows_by_db, database):
        self.log, self.rows_by_db, self.database = log, rows_by_db, database
        self.rows = []

    def execute(self, sql):
        self.log.append((self.database, sql))
        self.rows = [("db1",), ("db2",)] if sql == mssql.DATABASES_SQL else self.rows_by_db[self.database]

    def fetchall(self):
        return self.rows


class FakeConnection:
    def __init__(self, log, rows_by_db, database):
        self.cursor_ = FakeCursor(log, rows_by_db, database)
        self.closed = False

    def cursor(self):
        return self.cursor_

    def close(self):
        self.closed = True


ROWS = [("dbo", None, "schema", "AA" * 32 + "  ", "dbo"), ("dbo", "orders", "table", "BB" * 32, "dbo"),
        ("dbo", "v_orders", "view", "CC" * 32, "dbo")]


@pytest.fixture
def driver(monkeypatch):
    import pyodbc

    log: list[tuple[str, str]] = []
    strings: list[str] = []
    rows_by_db = {"sales": ROWS, "db1": ROWS, "db2": ROWS[:2]}

    def connect(connection_string, timeout=0):
        strings.append(connection_string)
        database = re.search(r"DATABASE=([^;]+)", connection_string, re.I).group(1)
        return FakeConnection(log, rows_by_db, database)

    monkeypatch.setattr(pyodbc, "connect", connect)
    return log, strings


def source(**kw):
    return MssqlSource(conn_id="mssql_corp", host="sql01.corp.example.com", port=1433, database="sales", **kw)


def test_one_round_trip_for_the_configured_database(driver):
    log, strings = driver
    rows = mssql.fetch_rows(source())
    assert log == [("sales", mssql.FINGERPRINT_SQL)]
    assert "Trusted_Connection=Yes" in strings[0] and "sql01.corp.example.com" in strings[0]
    assert [(r.database, r.schema, r.name, r.kind) for r in rows] == [
        ("sales", "dbo", None, "schema"), ("sales", "dbo", "orders", "table"), ("sales", "dbo", "v_orders", "view")]
    assert rows[0].fingerprint == "AA" * 32  # char(64) padding stripped


def test_every_database_once_when_all_are_ingested(driver):
    log, _ = driver
    rows = mssql.fetch_rows(source(ingest_all_databases=True))
    assert [db for db, sql in log if sql == mssql.FINGERPRINT_SQL] == ["db1", "db2"]
    assert {r.database for r in rows} == {"db1", "db2"}


def test_comparison_of_sql_server_rows():
    from include.sources.mssql import SYSTEM_SCHEMAS
    from include.sources.common import MetadataOptions

    config = MetadataOptions(schema_excludes=SYSTEM_SCHEMAS).to_sdk()
    rows = mssql.rows_of(FakeCursor([], {"sales": ROWS + [("sys", None, "schema", "00" * 32, "sys")]}, "sales"), "sales")
    before = narrow(rows, service="mssql_corp", sdk_config=config, filter_databases=False, include_owners=False)
    assert set(before["sales"]) == {"dbo"}  # sys is a system schema
    changed = [r if r[1] != "orders" else ("dbo", "orders", "table", "DD" * 32, "dbo") for r in ROWS]
    after = narrow(mssql.rows_of(FakeCursor([], {"sales": changed[:2]}, "sales"), "sales"), service="mssql_corp",
                   sdk_config=config, filter_databases=False, include_owners=False)
    result = compare(before, after)
    assert result.changed == [("sales", "dbo", "orders")] and result.deleted == [("sales", "dbo", "v_orders")]
