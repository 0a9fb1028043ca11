"""Can the query-log workflows read PostgreSQL's ``pg_stat_statements``? Answered in a second.

Three ways it fails, each with its own fix:

1. the library is not loaded (``shared_preload_libraries``): the view errors on every read;
2. the extension is not created in the database: ``CREATE EXTENSION pg_stat_statements``;
3. the login may not read other users' statements: their text reads ``<insufficient privilege>``
   and the SDK would silently find no lineage: ``GRANT pg_read_all_stats TO <login>``.
"""

from __future__ import annotations

from typing import Any

from include.errors import PreflightError

ENABLE = ("add pg_stat_statements to shared_preload_libraries in postgresql.conf (the local stack's pagila-db "
          "does: docker-compose.override.yml), restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements "
          "in database {database} as its owner")


def check_pg_stat_statements(source, timeout: float = 5.0) -> dict[str, Any]:
    import psycopg2

    where = f"{source.conn_id}: PostgreSQL at {source.where}"
    try:
        connection = psycopg2.connect(host=source.host, port=source.port, dbname=source.database,
                                      user=source.username, password=source.password, sslmode=source.sslmode,
                                      connect_timeout=max(1, int(timeout)), application_name="datakit-preflight")
    except psycopg2.OperationalError as exc:
        first = (str(exc).strip().splitlines() or ["no detail"])[0]
        raise PreflightError(f"{where}: cannot connect: {first}. Fix: check the connection {source.conn_id!r}") from None
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("select current_setting('shared_preload_libraries'), "
                           "exists(select 1 from pg_extension where extname = 'pg_stat_statements')")
            libraries, created = cursor.fetchone()
            fix = ENABLE.format(database=source.database)
            if "pg_stat_statements" not in libraries:
                raise PreflightError(
                    f"{where}: pg_stat_statements is not loaded (shared_preload_libraries = {libraries!r}), so "
                    f"the query log is empty and query_log finds no lineage or usage. Fix: {fix}")
            if not created:
                raise PreflightError(
                    f"{where}: the pg_stat_statements extension is not created in database {source.database!r}. "
                    f"Fix: run CREATE EXTENSION pg_stat_statements in {source.database!r} as its owner")
            cursor.execute("select count(*), count(*) filter (where query = '<insufficient privilege>') "
                           "from pg_stat_statements")
            statements, hidden = cursor.fetchone()
    except psycopg2.Error as exc:
        first = (str(exc).strip().splitlines() or ["no detail"])[0]
        raise PreflightError(f"{where}: cannot read pg_stat_statements: {first}. Fix: GRANT pg_read_all_stats "
                             f"TO {source.username}, and {ENABLE.format(database=source.database)}") from None
    finally:
        connection.close()
    if statements and hidden == statements:
        raise PreflightError(
            f"{where}: {source.username!r} cannot read the text of other users' statements in pg_stat_statements "
            f"(all {statements} read '<insufficient privilege>'). Fix: GRANT pg_read_all_stats TO {source.username}")
    return {"statements": statements, "hidden": hidden}
