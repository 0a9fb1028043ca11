"""SQL Server: ``MS_Description`` extended properties, read in one query, written with bound parameters.

Connection: catalog_mssql's Kerberos path, unchanged: ``include.sources.mssql`` validates the
``mssql_corp`` connection (no login, no password) and ``odbc_connection_string`` gives the
string the SDK's SQLAlchemy URL turns into (``Trusted_Connection=Yes``: the ticket cache of
``KRB5CCNAME``). ``pyodbc.connect`` gets exactly that string.

Statements: ``sys.sp_addextendedproperty`` (no property yet), ``sys.sp_updateextendedproperty``
(one exists) or ``sys.sp_dropextendedproperty`` (``allow_clear``), each with named arguments
whose values are ODBC parameters (``?``): the description and every name are bound, never put
into the SQL text. ``SET LOCK_TIMEOUT`` bounds the wait for a lock; each object commits alone.
An extended property holds at most 7,500 bytes (3,750 ``nvarchar`` characters): a longer
description is rejected by the plan, by name, before anything is written.
"""

from __future__ import annotations

from typing import Any

from include.descriptions.plan import (
    COLUMN,
    DATABASE,
    SCHEMA,
    TABLE,
    VIEW,
    Change,
    Current,
    ObjectKey,
)
from include.descriptions.pool import Driver

MAX_CHARACTERS = 3750
PROPERTY = "MS_Description"

_EP = ("LEFT JOIN sys.extended_properties ep ON ep.class = {cls} AND ep.major_id = {major} "
       "AND ep.minor_id = {minor} AND ep.name = N'MS_Description'")

COMMENTS_QUERY = f"""
SELECT N'database' AS kind, NULL AS schema_name, NULL AS object_name, NULL AS column_name,
       CAST(ep.value AS nvarchar(max)) AS description, CASE WHEN ep.name IS NULL THEN 0 ELSE 1 END AS has_property
  FROM (SELECT 1 AS one) AS db
  LEFT JOIN sys.extended_properties ep ON ep.class = 0 AND ep.name = N'MS_Description'
UNION ALL
SELECT N'schema', s.name, NULL, NULL, CAST(ep.value AS nvarchar(max)), CASE WHEN ep.name IS NULL THEN 0 ELSE 1 END
  FROM sys.schemas s {_EP.format(cls=3, major='s.schema_id', minor=0)}
UNION ALL
SELECT CASE o.type WHEN 'U' THEN N'table' ELSE N'view' END, s.name, o.name, NULL, CAST(ep.value AS nvarchar(max)),
       CASE WHEN ep.name IS NULL THEN 0 ELSE 1 END
  FROM sys.objects o JOIN sys.schemas s ON s.schema_id = o.schema_id
  {_EP.format(cls=1, major='o.object_id', minor=0)}
 WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0
UNION ALL
SELECT N'column', s.name, o.name, c.name, CAST(ep.value AS nvarchar(max)), CASE WHEN ep.name IS NULL THEN 0 ELSE 1 END
  FROM sys.columns c JOIN sys.objects o ON o.object_id = c.object_id JOIN sys.schemas s ON s.schema_id = o.schema_id
  {_EP.format(cls=1, major='c.object_id', minor='c.column_id')}
 WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0
"""


def read_comments(conn: Any, schemas: list[str] | None = None) -> tuple[dict[ObjectKey, Current], set[ObjectKey]]:
    """(comments by key, keys that already have an ``MS_Description``), in one query."""
    cursor = conn.cursor()
    try:
        rows = cursor.execute(COMMENTS_QUERY).fetchall()
    finally:
        cursor.close()
    wanted = set(schemas) if schemas is not None else None
    out: dict[ObjectKey, Current] = {}
    existing: set[ObjectKey] = set()
    for kind, schema, table, column, description, has_property in rows:
        if kind != DATABASE and wanted is not None and schema not in wanted:
            continue
        key = ObjectKey(schema, table, column) if kind != DATABASE else ObjectKey()
        out[key] = Current(kind, description)
        if has_property:
            existing.add(key)
    return out, existing


def _levels(change: Change) -> list[tuple[str, str]]:
    """The (level type, name) pairs of an object: none for the database."""
    key = change.key
    if change.kind == DATABASE:
        return []
    levels = [("SCHEMA", key.schema)]
    if change.kind == SCHEMA:
        return levels
    levels.append(("VIEW" if change.kind == VIEW else "TABLE", key.table))
    if change.kind == COLUMN:
        levels.append(("COLUMN", key.column))
    return levels


def property_statement(change: Change, *, exists: bool, table_kind: str = TABLE) -> tuple[str, list[Any]]:
    """(SQL with ``?`` placeholders, parameters) that sets, replaces or drops ``MS_Description``.

    ``table_kind`` is the kind of the column's relation (``table`` or ``view``): SQL Server
    names a column's level 1 by the object it belongs to.
    """
    if change.new is None:
        procedure, params, args = "sys.sp_dropextendedproperty", [PROPERTY], ["@name = ?"]
    else:
        procedure = "sys.sp_updateextendedproperty" if exists else "sys.sp_addextendedproperty"
        params, args = [PROPERTY, change.new], ["@name = ?", "@value = ?"]
    levels = _levels(change)
    if change.kind == COLUMN and table_kind == VIEW:
        levels[1] = ("VIEW", levels[1][1])
    for depth, (level_type, name) in enumerate(levels):
        args += [f"@level{depth}type = ?", f"@level{depth}name = ?"]
        params += [level_type, name]
    return f"EXEC {procedure} " + ", ".join(args), params


def connect(source: Any, *, lock_timeout_ms: int, timeout: int = 15):
    """pyodbc connection over catalog_mssql's Kerberos path (trusted connection, no secret)."""
    import pyodbc

    from include.sources.mssql import odbc_connection_string

    conn = pyodbc.connect(odbc_connection_string(source), autocommit=False, timeout=timeout)
    cursor = conn.cursor()
    # SET takes no parameter; the value is an int we formatted ourselves.
    cursor.execute(f"SET LOCK_TIMEOUT {int(lock_timeout_ms)}")
    cursor.close()
    conn.commit()
    return conn


# SQL Server error numbers (sys.messages) in the driver's message text: "(15135)".
_REASONS = {
    "15135": ("dropped", "the object does not exist (dropped or renamed since it was read)"),
    "15151": ("not the owner", "no permission on the object; grant ALTER on it to the Kerberos principal"),
    "15247": ("not the owner", "no permission; grant ALTER on the object to the Kerberos principal"),
    "1222": ("lock timeout", "lock timeout; re-run when the long-running statement on it has ended"),
    "15217": ("exists", "the property exists already (added since it was read); re-run"),
}


def classify(exc: BaseException) -> tuple[str, str]:
    text = " ".join(str(exc).split())[:300]
    for number, (reason, fix) in _REASONS.items():
        if f"({number})" in text or f"[{number}]" in text:
            return reason, f"{text}. Fix: {fix}"
    return "error", text


def driver(source: Any, existing: set[ObjectKey], kinds: dict[ObjectKey, str], *, lock_timeout_ms: int) -> Driver:
    """Writes through ``property_statement``; ``existing``/``kinds`` come from ``read_comments``."""

    def write(conn: Any, change: Change) -> None:
        table_kind = kinds.get(change.key._replace(column=None), TABLE)
        statement, params = property_statement(change, exists=change.key in existing, table_kind=table_kind)
        cursor = conn.cursor()
        try:
            cursor.execute(statement, *params)
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            cursor.close()

    def usable(conn: Any) -> bool:
        return not getattr(conn, "closed", False)

    return Driver(connect=lambda: connect(source, lock_timeout_ms=lock_timeout_ms), write=write,
                  classify=classify, usable=usable)
