"""PostgreSQL fingerprints: one catalog query per database, one round trip.

The statement covers what the SDK's PostgreSQL source reads for a table or view (its queries in
``metadata/ingestion/source/database/postgres/queries.py`` and SQLAlchemy's inspector): the
relation kind; per column its name, type (``format_type``), NOT NULL, default, comment,
identity, generated expression and collation; every constraint (``pg_get_constraintdef``:
primary keys, unique, foreign keys with the referenced table's current name, checks); the
comment; a view's or materialized view's definition; a partitioned table's key and its
partitions with their bounds; the row-level policies (the SDK turns them into tags); the owner
(hashed only when owners are ingested). Per schema: its comment, owner, and every procedure
and function (signature, return type, body, comment). Partitions themselves are left out, as
the SDK leaves them out (``relispartition = false``); schemas are the SDK's list
(``nspname NOT LIKE 'pg\\_%'``). ``quote_nullable`` keeps NULL apart from any text.
"""

from __future__ import annotations

from typing import Any

from include.incremental.fingerprint import CatalogRow

# One statement: a row per schema (kind 'schema', name NULL) and per table or view.
FINGERPRINT_SQL = r"""
WITH sch AS (
    SELECT n.oid, n.nspname, n.nspowner FROM pg_catalog.pg_namespace n
    WHERE n.nspname NOT LIKE 'pg\_%'
), rel AS (
    SELECT c.oid, s.nspname, c.relname, c.relkind, c.relowner, c.relpartbound
    FROM pg_catalog.pg_class c JOIN sch s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND NOT c.relispartition
), descr AS (
    SELECT d.objoid, d.objsubid, d.description FROM pg_catalog.pg_description d
    WHERE d.classoid = 'pg_catalog.pg_class'::regclass
), cols AS (
    SELECT a.attrelid, string_agg(concat_ws(E'\x1e', a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                                            a.attnotnull, quote_nullable(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)),
                                            quote_nullable(cd.description), a.attidentity, a.attgenerated,
                                            a.attcollation), E'\x1d' ORDER BY a.attnum) AS body
    FROM pg_catalog.pg_attribute a
    JOIN rel r ON r.oid = a.attrelid
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    LEFT JOIN descr cd ON cd.objoid = a.attrelid AND cd.objsubid = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
    GROUP BY a.attrelid
), cons AS (
    SELECT co.conrelid, string_agg(concat_ws(E'\x1e', co.conname, co.contype,
                                             pg_catalog.pg_get_constraintdef(co.oid, true)),
                                   E'\x1d' ORDER BY co.conname) AS body
    FROM pg_catalog.pg_constraint co JOIN rel r ON r.oid = co.conrelid
    GROUP BY co.conrelid
), parts AS (
    SELECT i.inhparent, string_agg(concat_ws(E'\x1e', ch.relname, pg_catalog.pg_get_expr(ch.relpartbound, ch.oid)),
                                   E'\x1d' ORDER BY ch.relname) AS body
    FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class ch ON ch.oid = i.inhrelid
    JOIN rel r ON r.oid = i.inhparent AND r.relkind = 'p'
    GROUP BY i.inhparent
), pols AS (
    SELECT p.polrelid, string_agg(p.polname, E'\x1d' ORDER BY p.polname) AS body
    FROM pg_catalog.pg_policy p GROUP BY p.polrelid
), procs AS (
    SELECT p.pronamespace, string_agg(concat_ws(E'\x1e', p.proname, p.prokind,
                                                pg_catalog.pg_get_function_identity_arguments(p.oid),
                                                p.prorettype::regtype::text, quote_nullable(p.prosrc),
                                                quote_nullable(pd.description)),
                                      E'\x1d' ORDER BY p.proname, p.oid) AS body
    FROM pg_catalog.pg_proc p JOIN sch s ON s.oid = p.pronamespace
    LEFT JOIN pg_catalog.pg_description pd ON pd.objoid = p.oid AND pd.objsubid = 0
         AND pd.classoid = 'pg_catalog.pg_proc'::regclass
    WHERE p.prokind IN ('p', 'f')
    GROUP BY p.pronamespace
)
SELECT s.nspname, NULL::text, 'schema',
    md5(concat_ws(E'\x1f', quote_nullable(nd.description), pr.body)),
    pg_catalog.pg_get_userbyid(s.nspowner)
FROM sch s
LEFT JOIN procs pr ON pr.pronamespace = s.oid
LEFT JOIN pg_catalog.pg_description nd ON nd.objoid = s.oid AND nd.objsubid = 0
     AND nd.classoid = 'pg_catalog.pg_namespace'::regclass
UNION ALL
SELECT r.nspname, r.relname, CASE WHEN r.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
    md5(concat_ws(E'\x1f', r.relkind, quote_nullable(td.description), c.body, k.body,
        CASE WHEN r.relkind IN ('v', 'm') THEN quote_nullable(pg_catalog.pg_get_viewdef(r.oid, true)) END,
        CASE WHEN r.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(r.oid) END,
        pa.body, po.body)),
    pg_catalog.pg_get_userbyid(r.relowner)
FROM rel r
LEFT JOIN descr td ON td.objoid = r.oid AND td.objsubid = 0
LEFT JOIN cols c ON c.attrelid = r.oid
LEFT JOIN cons k ON k.conrelid = r.oid
LEFT JOIN parts pa ON pa.inhparent = r.oid
LEFT JOIN pols po ON po.polrelid = r.oid
"""

DATABASES_SQL = "SELECT datname FROM pg_catalog.pg_database ORDER BY datname"


def _connect(source: Any, database: str, timeout: float):
    import psycopg2

    return psycopg2.connect(host=source.host, port=source.port, dbname=database, user=source.username,
                            password=source.password, sslmode=source.sslmode, connect_timeout=max(1, int(timeout)),
                            application_name="datakit-fingerprint")


def rows_of(cursor: Any, database: str) -> list[CatalogRow]:
    """Run the statement on ``cursor`` (one round trip) and turn its rows into ``CatalogRow``s."""
    cursor.execute(FINGERPRINT_SQL)
    return [CatalogRow(database, schema, name, kind, fp, owner) for schema, name, kind, fp, owner in cursor.fetchall()]


def databases(source: Any, timeout: float = 10.0) -> list[str]:
    """The databases the SDK would visit: the configured one, or every one it can connect to."""
    if not source.ingest_all_databases:
        return [source.database]
    with _connect(source, source.database, timeout) as conn, conn.cursor() as cursor:
        cursor.execute(DATABASES_SQL)
        names = [r[0] for r in cursor.fetchall()]
    conn.close()
    return names


def fetch_rows(source: Any, timeout: float = 10.0) -> list[CatalogRow]:
    """Fingerprint rows of every database of ``source`` (a ``PostgresSource``)."""
    import psycopg2

    rows: list[CatalogRow] = []
    for database in databases(source, timeout):
        try:
            conn = _connect(source, database, timeout)
        except psycopg2.OperationalError:
            if not source.ingest_all_databases:
                raise
            continue  # as the SDK does: a database it cannot connect to (template0) is skipped
        try:
            with conn, conn.cursor() as cursor:
                rows += rows_of(cursor, database)
        finally:
            conn.close()
    return rows
