"""SQL Server fingerprints: one catalog query per database, one round trip (SQL Server 2017+).

The statement covers what the SDK's SQL Server source reads (its queries in
``metadata/ingestion/source/database/mssql/queries.py`` and SQLAlchemy's inspector): per table
or view (``sys.objects`` U/V, not shipped by Microsoft) its kind; per column (``sys.columns``)
name, type, length, precision, scale, nullability, identity, collation, default
(``sys.default_constraints``), computed expression and ``MS_Description``
(``sys.extended_properties``); primary keys and unique constraints with their columns
(``sys.key_constraints``); foreign keys with the referenced table and the column pairs
(``sys.foreign_keys``, ``sys.foreign_key_columns``); the object's ``MS_Description``; a view's
definition (``sys.sql_modules``); partitioning (scheme, function, its number of partitions,
the partition column); the owner (hashed only when owners are ingested). Per schema: its and
the database's ``MS_Description`` and every procedure with its definition and description.
Hashing is ``HASHBYTES('SHA2_256', nvarchar(max))`` (no 8,000-byte limit since 2016);
``STRING_AGG ... WITHIN GROUP`` needs 2017.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from include.incremental.fingerprint import CatalogRow

_US, _RS, _GS = "NCHAR(31)", "NCHAR(30)", "NCHAR(29)"


def _desc(cls: int, major: str, minor: str = "0") -> str:
    return (f"(SELECT CAST(ep.value AS nvarchar(max)) FROM sys.extended_properties ep WHERE ep.class = {cls} "
            f"AND ep.major_id = {major} AND ep.minor_id = {minor} AND ep.name = 'MS_Description')")


FINGERPRINT_SQL = f"""
SELECT s.name AS schema_name, CAST(NULL AS sysname) AS object_name, 'schema' AS kind,
    CONVERT(char(64), HASHBYTES('SHA2_256', CAST(CONCAT(
        {_desc(3, 's.schema_id')}, {_US},
        (SELECT CAST(ep.value AS nvarchar(max)) FROM sys.extended_properties ep
         WHERE ep.class = 0 AND ep.name = 'MS_Description'), {_US},
        (SELECT STRING_AGG(CAST(CONCAT(p.name, {_RS}, p.type, {_RS}, m.definition, {_RS},
                                       {_desc(1, 'p.object_id')}) AS nvarchar(max)), {_GS})
                WITHIN GROUP (ORDER BY p.name)
         FROM sys.procedures p LEFT JOIN sys.sql_modules m ON m.object_id = p.object_id
         WHERE p.schema_id = s.schema_id)
    ) AS nvarchar(max))), 2) AS fingerprint,
    USER_NAME(s.principal_id) AS owner
FROM sys.schemas s
UNION ALL
SELECT s.name, o.name, CASE o.type WHEN 'V' THEN 'view' ELSE 'table' END,
    CONVERT(char(64), HASHBYTES('SHA2_256', CAST(CONCAT(
        o.type, {_US},
        {_desc(1, 'o.object_id')}, {_US},
        (SELECT STRING_AGG(CAST(CONCAT(c.name, {_RS}, TYPE_NAME(c.user_type_id), {_RS}, c.max_length, {_RS},
                                       c.precision, {_RS}, c.scale, {_RS}, c.is_nullable, {_RS}, c.is_identity, {_RS},
                                       c.collation_name, {_RS}, dc.definition, {_RS}, cc.definition, {_RS},
                                       {_desc(1, 'c.object_id', 'c.column_id')}) AS nvarchar(max)), {_GS})
                WITHIN GROUP (ORDER BY c.column_id)
         FROM sys.columns c
         LEFT JOIN sys.default_constraints dc ON dc.object_id = c.default_object_id
         LEFT JOIN sys.computed_columns cc ON cc.object_id = c.object_id AND cc.column_id = c.column_id
         WHERE c.object_id = o.object_id), {_US},
        (SELECT STRING_AGG(CAST(CONCAT(kc.name, {_RS}, kc.type, {_RS},
                (SELECT STRING_AGG(COL_NAME(ic.object_id, ic.column_id), ',') WITHIN GROUP (ORDER BY ic.key_ordinal)
                 FROM sys.index_columns ic
                 WHERE ic.object_id = kc.parent_object_id AND ic.index_id = kc.unique_index_id)) AS nvarchar(max)), {_GS})
                WITHIN GROUP (ORDER BY kc.name)
         FROM sys.key_constraints kc WHERE kc.parent_object_id = o.object_id), {_US},
        (SELECT STRING_AGG(CAST(CONCAT(fk.name, {_RS}, OBJECT_SCHEMA_NAME(fk.referenced_object_id), '.',
                                       OBJECT_NAME(fk.referenced_object_id), {_RS},
                (SELECT STRING_AGG(CONCAT(COL_NAME(fkc.parent_object_id, fkc.parent_column_id), '>',
                                          COL_NAME(fkc.referenced_object_id, fkc.referenced_column_id)), ',')
                        WITHIN GROUP (ORDER BY fkc.constraint_column_id)
                 FROM sys.foreign_key_columns fkc WHERE fkc.constraint_object_id = fk.object_id)) AS nvarchar(max)), {_GS})
                WITHIN GROUP (ORDER BY fk.name)
         FROM sys.foreign_keys fk WHERE fk.parent_object_id = o.object_id), {_US},
        CASE WHEN o.type = 'V' THEN (SELECT m.definition FROM sys.sql_modules m WHERE m.object_id = o.object_id) END, {_US},
        (SELECT CONCAT(ps.name, {_RS}, pf.name, {_RS}, pf.type_desc, {_RS}, pf.fanout, {_RS}, COL_NAME(ic.object_id, ic.column_id))
         FROM sys.indexes i
         JOIN sys.partition_schemes ps ON ps.data_space_id = i.data_space_id
         JOIN sys.partition_functions pf ON pf.function_id = ps.function_id
         LEFT JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.partition_ordinal = 1
         WHERE i.object_id = o.object_id AND i.index_id IN (0, 1))
    ) AS nvarchar(max))), 2),
    USER_NAME(COALESCE(o.principal_id, s.principal_id))
FROM sys.objects o JOIN sys.schemas s ON s.schema_id = o.schema_id
WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0
"""

# The SDK's own list when ingestAllDatabases is on (MSSQL_GET_DATABASE).
DATABASES_SQL = "SELECT name FROM master.sys.databases ORDER BY name"


def rows_of(cursor: Any, database: str) -> list[CatalogRow]:
    """Run the statement on ``cursor`` (one round trip) and turn its rows into ``CatalogRow``s."""
    cursor.execute(FINGERPRINT_SQL)
    return [CatalogRow(database, str(schema), None if name is None else str(name), str(kind), str(fp).strip(),
                       None if owner is None else str(owner))
            for schema, name, kind, fp, owner in cursor.fetchall()]


def _connect(source: Any, database: str, timeout: float):
    import pyodbc

    from include.sources.mssql import odbc_connection_string

    return pyodbc.connect(odbc_connection_string(replace(source, database=database)), timeout=max(1, int(timeout)))


def fetch_rows(source: Any, timeout: float = 10.0) -> list[CatalogRow]:
    """Fingerprint rows of every database of ``source`` (an ``MssqlSource``; Kerberos, pyodbc)."""
    names = [source.database]
    if source.ingest_all_databases:
        conn = _connect(source, source.database, timeout)
        try:
            cursor = conn.cursor()
            cursor.execute(DATABASES_SQL)
            names = [r[0] for r in cursor.fetchall()]
        finally:
            conn.close()
    rows: list[CatalogRow] = []
    for database in names:
        try:
            conn = _connect(source, database, timeout)
        except Exception:
            if not source.ingest_all_databases:
                raise
            continue  # as the SDK does: a database it cannot open is skipped
        try:
            rows += rows_of(conn.cursor(), database)
        finally:
            conn.close()
    return rows
