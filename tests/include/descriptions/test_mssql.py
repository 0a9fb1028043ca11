"""SQL Server up to the driver: statements, bound parameters, the Kerberos connection string, a full sync.

No SQL Server runs here. ``pyodbc.connect`` is replaced by a recorder that answers the comments
query with rows shaped like SQL Server's; everything before it is the real code path:
OpenMetadata read from the emulator, the plan, the pool, the statements and their parameters.
"""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from include.descriptions import mssql
from include.descriptions.plan import (
    COLUMN,
    DATABASE,
    SCHEMA,
    TABLE,
    VIEW,
    Change,
    ObjectKey,
)
from include.sources.mssql import mssql_from_connection

INJECTION = "'); DROP TABLE dbo.orders; --"
UPDATE_TABLE = ("EXEC sys.sp_updateextendedproperty @name = ?, @value = ?, @level0type = ?, @level0name = ?, "
                "@level1type = ?, @level1name = ?")
ADD_COLUMN = ("EXEC sys.sp_addextendedproperty @name = ?, @value = ?, @level0type = ?, @level0name = ?, "
              "@level1type = ?, @level1name = ?, @level2type = ?, @level2name = ?")


def change(kind, key, new, old=None):
    return Change(kind, key, old, new)


def test_add_update_and_drop_bind_every_name_and_the_text():
    col = change(COLUMN, ObjectKey("sales", "orders", "o'id"), INJECTION)
    sql, params = mssql.property_statement(col, exists=False)
    assert sql == ("EXEC sys.sp_addextendedproperty @name = ?, @value = ?, @level0type = ?, @level0name = ?, "
                   "@level1type = ?, @level1name = ?, @level2type = ?, @level2name = ?")
    assert params == ["MS_Description", INJECTION, "SCHEMA", "sales", "TABLE", "orders", "COLUMN", "o'id"]
    assert INJECTION not in sql and "orders" not in sql  # nothing of the data is in the SQL text

    sql, params = mssql.property_statement(col, exists=True, table_kind=VIEW)
    assert sql.startswith("EXEC sys.sp_updateextendedproperty ")
    assert params[4:6] == ["VIEW", "orders"]

    sql, params = mssql.property_statement(change(TABLE, ObjectKey("sales", "orders"), None), exists=True)
    assert sql == ("EXEC sys.sp_dropextendedproperty @name = ?, @level0type = ?, @level0name = ?, "
                   "@level1type = ?, @level1name = ?")
    assert params == ["MS_Description", "SCHEMA", "sales", "TABLE", "orders"]


@pytest.mark.parametrize(("kind", "key", "levels"), [
    (DATABASE, ObjectKey(), []),
    (SCHEMA, ObjectKey("dbo"), ["SCHEMA", "dbo"]),
    (TABLE, ObjectKey("dbo", "t"), ["SCHEMA", "dbo", "TABLE", "t"]),
    (VIEW, ObjectKey("dbo", "v"), ["SCHEMA", "dbo", "VIEW", "v"]),
])
def test_each_level(kind, key, levels):
    sql, params = mssql.property_statement(change(kind, key, "d"), exists=False)
    assert params == ["MS_Description", "d", *levels]
    assert sql.count("?") == len(params)


class FakeCursor:
    def __init__(self, conn):
        self.conn = conn
        self._rows = []

    def execute(self, sql, *params):
        self.conn.executed.append((sql, list(params)))
        if "sys.extended_properties" in sql and sql.lstrip().startswith("SELECT"):
            self._rows = self.conn.rows
        for text, error in self.conn.fail.items():
            if text in params:
                raise error
        return self

    def fetchall(self):
        return self._rows

    def close(self):
        pass


class FakeConnection:
    instances: ClassVar[list] = []

    def __init__(self, connection_string, rows, fail):
        self.connection_string, self.rows, self.fail = connection_string, rows, fail
        self.executed, self.commits, self.rollbacks, self.closed = [], 0, 0, False
        FakeConnection.instances.append(self)

    def cursor(self):
        return FakeCursor(self)

    def commit(self):
        self.commits += 1

    def rollback(self):
        self.rollbacks += 1

    def close(self):
        self.closed = True


class Conn:
    conn_id, login, password, host, port, schema = "mssql_corp", None, None, "sql01.corp.example.com", 1433, "Sales"
    extra_dejson: ClassVar[dict] = {"driver": "FreeTDS"}


def test_connect_uses_catalog_mssqls_kerberos_string_and_sets_the_lock_timeout(monkeypatch):
    import pyodbc

    seen = {}

    def fake_connect(connection_string, **kwargs):
        seen.update(kwargs, string=connection_string)
        return FakeConnection(connection_string, [], {})

    monkeypatch.setattr(pyodbc, "connect", fake_connect)
    source = mssql_from_connection(Conn())
    conn = mssql.connect(source, lock_timeout_ms=1500)
    from include.sources.mssql import odbc_connection_string

    assert seen["string"] == odbc_connection_string(source)  # the very string catalog_mssql's SDK path builds
    assert "Trusted_Connection=Yes" in seen["string"] and "UID" not in seen["string"].upper().replace("DRIVER", "")
    assert "PWD" not in seen["string"].upper()
    assert seen["autocommit"] is False
    assert conn.executed == [("SET LOCK_TIMEOUT 1500", [])]


def test_classify_names_the_reason():
    assert mssql.classify(Exception("[42000] ... Object is invalid. (15135) (SQLExecDirectW)"))[0] == "dropped"
    assert mssql.classify(Exception("[42000] Lock request time out period exceeded. (1222)"))[0] == "lock timeout"
    assert mssql.classify(Exception("[42000] Cannot find the object (15151)"))[0] == "not the owner"
    assert mssql.classify(Exception("boom"))[0] == "error"


def test_a_sync_up_to_the_driver(om_emulator, monkeypatch):
    """OpenMetadata (emulator) -> plan -> statements with parameters -> the driver (recorded)."""
    import pyodbc

    from include.descriptions.sync import SyncOptions, mssql_backend, sync_database
    from include.openmetadata.server import OpenMetadataServer

    api = om_emulator.url
    import requests

    s = requests.Session()
    svc = s.put(f"{api}/v1/services/databaseServices", json={"name": "mssql_corp", "serviceType": "Mssql"}).json()
    db = s.put(f"{api}/v1/databases", json={"name": "Sales", "service": svc["fullyQualifiedName"],
                                             "description": "Sales database"}).json()
    sch = s.put(f"{api}/v1/databaseSchemas", json={"name": "dbo", "database": db["fullyQualifiedName"]}).json()
    s.put(f"{api}/v1/tables", json={"name": "orders", "databaseSchema": sch["fullyQualifiedName"],
                                    "description": INJECTION,
                                    "columns": [{"name": "id", "dataType": "INT", "description": "the id"},
                                                {"name": "note", "dataType": "INT", "description": "x" * 3751}]})
    s.put(f"{api}/v1/tables", json={"name": "v_orders", "databaseSchema": sch["fullyQualifiedName"],
                                    "tableType": "View", "columns": [{"name": "id", "dataType": "INT",
                                                                      "description": "view id"}]})
    rows = [("database", None, None, None, None, 0), ("schema", "dbo", None, None, None, 0),
            ("table", "dbo", "orders", None, "old text", 1), ("column", "dbo", "orders", "id", None, 0),
            ("column", "dbo", "orders", "note", None, 0), ("view", "dbo", "v_orders", None, None, 0),
            ("column", "dbo", "v_orders", "id", "view id", 1)]
    FakeConnection.instances = []
    monkeypatch.setattr(pyodbc, "connect", lambda string, **kw: FakeConnection(string, rows, {}))
    server = OpenMetadataServer(conn_id="openmetadata_default", api_url=api, jwt="jwt")
    source = mssql_from_connection(Conn())
    summary = sync_database(mssql_backend(source, lock_timeout_ms=1000), server, service="mssql_corp",
                            database="Sales", options=SyncOptions(), workers=2)
    executed = [e for c in FakeConnection.instances for e in c.executed if e[0].startswith("EXEC")]
    assert sorted(executed, key=lambda e: e[1]) == sorted([
        ("EXEC sys.sp_addextendedproperty @name = ?, @value = ?", ["MS_Description", "Sales database"]),
        (UPDATE_TABLE, ["MS_Description", INJECTION, "SCHEMA", "dbo", "TABLE", "orders"]),
        (ADD_COLUMN, ["MS_Description", "the id", "SCHEMA", "dbo", "TABLE", "orders", "COLUMN", "id"]),
    ], key=lambda e: e[1])
    assert summary["counts"]["written"] == 3 and summary["counts"]["unchanged"] == 3
    assert summary["counts"]["failed"] == 1  # the 3,751-character description: rejected by name, not truncated
    assert summary["failures"][0]["object"] == "Sales.dbo.orders.note"
    assert all(c.closed for c in FakeConnection.instances)
    assert sum(c.commits for c in FakeConnection.instances) >= 3
    assert json.dumps(summary)  # JSON-safe for XCom
