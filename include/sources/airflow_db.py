"""Reads of this Airflow's metadata DB that the SDK does not do: the preflight and stale DAGs.

Split from ``include.sources.airflow`` (the connection and the workflow config): these open
their own short read-only connection (``sqlite3``, ``psycopg2``, ``pymysql``), no SDK, no
Airflow ORM, and each problem is a ``PreflightError`` naming the connection and the fix.
"""

from __future__ import annotations

import logging
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from include.errors import PreflightError

if TYPE_CHECKING:
    from include.sources.airflow import AirflowMetadataDb

log = logging.getLogger(__name__)

# Tables the SDK's connector reads; without them this is not an Airflow metadata DB.
AIRFLOW_TABLES = ("dag", "serialized_dag")


def check_sqlite_metadata_db(source: AirflowMetadataDb) -> dict[str, Any]:
    """The SQLite file exists and holds Airflow's tables; a ``PreflightError`` says what to fix."""
    import sqlite3

    path = Path(source.path)
    if not path.is_file():
        raise PreflightError(
            f"{source.conn_id}: the SQLite file {path} does not exist. Fix: set Host of the Airflow "
            f"connection {source.conn_id!r} to the file of [database] sql_alchemy_conn"
        )
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            names = {row[0] for row in db.execute("select name from sqlite_master where type = 'table'")}
            dags = db.execute("select count(*) from dag").fetchone()[0] if "dag" in names else 0
    except sqlite3.Error as exc:
        raise PreflightError(
            f"{source.conn_id}: cannot read the SQLite file {path}: {exc}. Fix: check that it is an "
            f"SQLite database readable by the Airflow user"
        ) from None
    missing = [t for t in AIRFLOW_TABLES if t not in names]
    if missing:
        raise PreflightError(
            f"{source.conn_id}: {path} is not an Airflow metadata database (no table {', '.join(missing)}). "
            f"Fix: point the connection at the file of [database] sql_alchemy_conn, migrated (airflow db migrate)"
        )
    return {"dags": int(dags)}


def _check_postgres_tables(source: AirflowMetadataDb, timeout: float) -> dict[str, Any]:
    import psycopg2

    with psycopg2.connect(host=source.host, port=source.port, dbname=source.database, user=source.username,
                          password=source.password, sslmode=source.sslmode, connect_timeout=max(1, int(timeout)),
                          application_name="datakit-preflight") as connection, connection.cursor() as cursor:
        cursor.execute("select table_name from information_schema.tables where table_name = any(%s)",
                       (list(AIRFLOW_TABLES),))
        names = {row[0] for row in cursor.fetchall()}
        dags = 0
        if "dag" in names:
            cursor.execute("select count(*) from dag")
            dags = cursor.fetchone()[0]
    connection.close()
    return {"names": names, "dags": int(dags)}


def _check_mysql(source: AirflowMetadataDb, timeout: float) -> dict[str, Any]:
    import pymysql

    try:
        connection = pymysql.connect(host=source.host, port=source.port, user=source.username,
                                     password=source.password or "", database=source.database,
                                     connect_timeout=max(1, int(timeout)))
    except pymysql.err.MySQLError as exc:
        raise PreflightError(
            f"{source.conn_id}: cannot connect to MySQL at {source.where}: {exc}. Fix: check that MySQL runs "
            f"and Host/Port/Login/Password/Schema of {source.conn_id!r}"
        ) from None
    try:
        with connection.cursor() as cursor:
            cursor.execute("select version()")
            version = cursor.fetchone()[0]
            cursor.execute("select table_name from information_schema.tables where table_schema = %s",
                           (source.database,))
            names = {row[0] for row in cursor.fetchall()}
            dags = 0
            if "dag" in names:
                cursor.execute("select count(*) from dag")
                dags = cursor.fetchone()[0]
    finally:
        connection.close()
    return {"version": version, "names": names, "dags": int(dags)}


def check_metadata_db(source: AirflowMetadataDb, timeout: float = 5.0) -> dict[str, Any]:
    """The metadata DB is reachable and is Airflow's; returns what the preflight logs and pushes."""
    if source.backend == "sqlite":
        found = check_sqlite_metadata_db(source)
        return {"where": source.where, "backend": "sqlite", **found}
    if source.backend == "postgres":
        from include.sources.postgres import check_postgres_reachable

        version = check_postgres_reachable(source.postgres_source(), timeout=timeout)
        found = _check_postgres_tables(source, timeout)
    else:
        found = _check_mysql(source, timeout)
        version = found.pop("version")
    missing = [t for t in AIRFLOW_TABLES if t not in found["names"]]
    if missing:
        raise PreflightError(
            f"{source.conn_id}: database {source.database!r} at {source.host}:{source.port} has no table "
            f"{', '.join(missing)}: it is not Airflow's metadata database. Fix: set Schema of "
            f"{source.conn_id!r} to the database of [database] sql_alchemy_conn (postgres under astro dev start)"
        )
    return {"where": source.where, "backend": source.backend, "version": version, "dags": found["dags"]}



def _rows(source: AirflowMetadataDb, sql: str, timeout: float = 5.0) -> list[tuple]:
    """Rows of one read-only query on the metadata DB (no SDK, no Airflow ORM)."""
    if source.backend == "sqlite":
        import sqlite3

        with sqlite3.connect(f"file:{source.path}?mode=ro", uri=True, timeout=timeout) as db:
            return list(db.execute(sql))
    if source.backend == "postgres":
        import psycopg2

        connection = psycopg2.connect(host=source.host, port=source.port, dbname=source.database,
                                      user=source.username, password=source.password, sslmode=source.sslmode,
                                      connect_timeout=max(1, int(timeout)), application_name="datakit")
    else:
        import pymysql

        connection = pymysql.connect(host=source.host, port=source.port, user=source.username,
                                     password=source.password or "", database=source.database,
                                     connect_timeout=max(1, int(timeout)))
    with closing(connection), connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def stale_dag_ids(source: AirflowMetadataDb, timeout: float = 5.0) -> list[str]:
    """DAGs whose files are gone (``dag.is_stale``), which the SDK would still ingest.

    Airflow 3 keeps a deleted DAG's ``serialized_dag`` rows and only flags the DAG stale;
    the SDK (2.0.6) lists ``serialized_dag`` without looking at that flag, so a deleted DAG
    would stay in the catalog and ``markDeletedPipelines`` would never remove it.
    Excluding them makes the SDK soft-delete their pipelines. On a DB without the
    column (Airflow 2) this returns nothing and says so.
    """
    try:
        return sorted(row[0] for row in _rows(source, "select dag_id from dag where is_stale", timeout))
    except Exception as exc:  # not worth failing the ingestion: the SDK's own listing still runs
        log.warning("%s: could not list stale DAGs (%s: %s); deleted DAGs stay in the catalog",
                    source.conn_id, exc.__class__.__name__, str(exc).splitlines()[0] if str(exc) else "")
        return []
