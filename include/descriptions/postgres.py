"""PostgreSQL: the current comments in one catalog query, and ``COMMENT ON ...`` per object.

Reading: ONE query per database over ``pg_class``/``pg_attribute``/``pg_namespace`` joined to
``pg_description`` (and ``pg_shdescription`` for the database), for every relation of kind
table (``r``, ``p``), view (``v``), materialized view (``m``) and foreign table (``f``) and
their columns, in the schemas asked for (system schemas never).

Writing: every identifier through ``psycopg.sql.Identifier`` and every description through
``psycopg.sql.Literal`` (``COMMENT`` takes no bind parameters, so the driver quotes the text
itself: quotes, backslashes, ``;``, ``$$`` and newlines arrive as they are and can never end
the literal). Each object is its own transaction; the connection's ``lock_timeout`` bounds the
wait for a table another session holds, so one busy table never blocks the run.
"""

from __future__ import annotations

from typing import Any

from include.descriptions.plan import (
    COLUMN,
    DATABASE,
    FOREIGN_TABLE,
    MATERIALIZED_VIEW,
    SCHEMA,
    TABLE,
    VIEW,
    Change,
    Current,
    ObjectKey,
)
from include.descriptions.pool import Driver

RELKINDS = {"r": TABLE, "p": TABLE, "v": VIEW, "m": MATERIALIZED_VIEW, "f": FOREIGN_TABLE}
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
APPLICATION_NAME = "datakit-sync-descriptions"

_SCHEMA_SCOPE = """
    (CASE WHEN %(schemas)s::text[] IS NULL
          THEN n.nspname <> ALL(%(system)s::text[]) AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
               AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'
          ELSE n.nspname = ANY(%(schemas)s::text[]) END)"""

COMMENTS_QUERY = f"""
SELECT 'database' AS kind, NULL::text AS schema_name, NULL::text AS table_name, NULL::text AS column_name,
       d.description
  FROM pg_database db
  LEFT JOIN pg_shdescription d ON d.objoid = db.oid AND d.classoid = 'pg_database'::regclass
 WHERE db.datname = current_database()
UNION ALL
SELECT 'schema', n.nspname::text, NULL, NULL, d.description
  FROM pg_namespace n
  LEFT JOIN pg_description d ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0
 WHERE {_SCHEMA_SCOPE}
UNION ALL
SELECT c.relkind::text, n.nspname::text, c.relname::text, NULL, d.description
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_SCHEMA_SCOPE}
UNION ALL
SELECT 'column', n.nspname::text, c.relname::text, a.attname::text, d.description
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_SCHEMA_SCOPE}
"""


def connect(source: Any, *, lock_timeout_ms: int, connect_timeout: float = 10.0, autocommit: bool = False):
    """A psycopg connection to ``source`` (``include.sources.postgres.PostgresSource``)."""
    import psycopg

    return psycopg.connect(
        host=source.host, port=source.port, dbname=source.database, user=source.username,
        password=source.password, sslmode=source.sslmode, connect_timeout=max(1, int(connect_timeout)),
        application_name=APPLICATION_NAME, autocommit=autocommit,
        # Every statement of this session waits at most this long for a lock.
        options=f"-c lock_timeout={int(lock_timeout_ms)}",
    )


def read_comments(conn: Any, schemas: list[str] | None = None) -> dict[ObjectKey, Current]:
    """Every comment of the database (or of ``schemas``), in one query."""
    rows = conn.execute(COMMENTS_QUERY, {"schemas": schemas, "system": list(SYSTEM_SCHEMAS)}).fetchall()
    out: dict[ObjectKey, Current] = {}
    for kind, schema, table, column, description in rows:
        if kind == DATABASE:
            out[ObjectKey()] = Current(DATABASE, description)
        elif kind == SCHEMA:
            out[ObjectKey(schema)] = Current(SCHEMA, description)
        elif kind == COLUMN:
            out[ObjectKey(schema, table, column)] = Current(COLUMN, description)
        else:
            out[ObjectKey(schema, table)] = Current(RELKINDS[kind], description)
    return out


_KEYWORD = {DATABASE: "DATABASE", SCHEMA: "SCHEMA", TABLE: "TABLE", VIEW: "VIEW",
            MATERIALIZED_VIEW: "MATERIALIZED VIEW", FOREIGN_TABLE: "FOREIGN TABLE", COLUMN: "COLUMN"}


def comment_statement(change: Change, database: str):
    """``COMMENT ON <kind> <identifier> IS <literal | NULL>`` as a ``psycopg.sql.Composed``."""
    from psycopg import sql

    key = change.key
    if change.kind == DATABASE:
        target = sql.Identifier(database)
    elif change.kind == SCHEMA:
        target = sql.Identifier(key.schema)
    elif change.kind == COLUMN:
        target = sql.Identifier(key.schema, key.table, key.column)
    else:
        target = sql.Identifier(key.schema, key.table)
    value = sql.NULL if change.new is None else sql.Literal(change.new)
    return sql.SQL("COMMENT ON {} {} IS {}").format(sql.SQL(_KEYWORD[change.kind]), target, value)


def classify(exc: BaseException) -> tuple[str, str]:
    """(reason, message) of a failed write, in words a user acts on."""
    import psycopg
    from psycopg import errors

    text = " ".join(str(exc).split())[:300]
    if isinstance(exc, errors.InsufficientPrivilege):
        return "not the owner", f"{text}. Fix: make the connection's user a member of the owning role"
    if isinstance(exc, (errors.UndefinedTable, errors.UndefinedColumn, errors.UndefinedObject,
                        errors.InvalidSchemaName, errors.InvalidCatalogName)):
        return "dropped", (f"{text} (dropped or renamed since it was read). Fix: none needed; the next catalog "
                           f"run updates OpenMetadata")
    if isinstance(exc, errors.LockNotAvailable):
        return "lock timeout", f"{text}. Fix: re-run when the long-running statement on it has ended"
    if isinstance(exc, psycopg.OperationalError):
        return "connection", f"{text}. Fix: check that PostgreSQL is reachable, then re-run"
    return "error", text


def driver(source: Any, database: str, *, lock_timeout_ms: int) -> Driver:
    def write(conn: Any, change: Change) -> None:
        with conn.transaction():
            conn.execute(comment_statement(change, database))

    return Driver(
        connect=lambda: connect(source, lock_timeout_ms=lock_timeout_ms, autocommit=True),
        write=write,
        classify=classify,
        usable=lambda conn: not conn.closed and not conn.broken,
    )
