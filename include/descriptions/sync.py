"""One sync of one database: two bulk reads, the plan in memory, parallel writes, the summary.

``sync_database`` is the same for PostgreSQL and SQL Server; a ``Backend`` says how to read
the current comments and how to write one (``postgres_backend`` / ``mssql_backend``).
Airflow-free: the task callables (``include.descriptions.tasks``) and the benchmark call it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from include.descriptions.catalog import CatalogReader
from include.descriptions.plan import Current, ObjectKey, plan_changes
from include.descriptions.pool import Driver, apply_changes
from include.descriptions.report import build_summary, format_summary
from include.params import regex_patterns, reject_unknown, require_bool

log = logging.getLogger(__name__)

PARAMS = ("dry_run", "allow_clear", "schema_filter", "table_filter")


@dataclass(frozen=True)
class SyncOptions:
    dry_run: bool = False
    allow_clear: bool = False
    schema_filter: tuple[str, ...] = ()
    table_filter: tuple[str, ...] = ()

    @property
    def filtered(self) -> bool:
        return bool(self.schema_filter or self.table_filter)


def options_from_params(params: Mapping[str, Any] | None, conf: Mapping[str, Any] | None = None) -> SyncOptions:
    """The run's options from its params; unknown trigger keys and bad values are named."""
    reject_unknown(conf, PARAMS)
    given = {**(params or {}), **(conf or {})}
    flags = {}
    for name in ("dry_run", "allow_clear"):
        value = given.get(name)
        flags[name] = False if value is None else require_bool(value, name)
    return SyncOptions(schema_filter=regex_patterns(given.get("schema_filter"), "params.schema_filter"),
                       table_filter=regex_patterns(given.get("table_filter"), "params.table_filter"), **flags)


@dataclass
class Backend:
    """How one kind of database takes part: read (conn, schemas) -> current comments; driver."""

    name: str
    connect: Callable[[], Any]
    read: Callable[[Any, list[str]], Mapping[ObjectKey, Current]]
    driver: Callable[[Mapping[ObjectKey, Current]], Driver]
    max_length: int | None = None


def sync_database(backend: Backend, server: Any, *, service: str, database: str, options: SyncOptions,
                  workers: int, schemas: Iterable[str] | None = None, include_database: bool = True,
                  label: str = "sync_descriptions") -> dict[str, Any]:
    """Read OpenMetadata and the database, plan, write (unless ``dry_run``); the summary."""
    timing: dict[str, float] = {}
    started = time.monotonic()
    reader = CatalogReader(server)
    try:
        described = reader.descriptions(service, database, schemas=list(schemas) if schemas is not None else None,
                                        schema_filter=list(options.schema_filter),
                                        table_filter=list(options.table_filter),
                                        include_database=include_database and not options.filtered)
    finally:
        reader.close()
    timing["read_openmetadata_seconds"] = round(time.monotonic() - started, 3)

    mark = time.monotonic()
    conn = backend.connect()
    try:
        current = backend.read(conn, described.schemas)
    finally:
        conn.close()
    timing["read_database_seconds"] = round(time.monotonic() - mark, 3)

    plan = plan_changes(database, described.by_key, current, allow_clear=options.allow_clear,
                        max_length=backend.max_length)
    mark = time.monotonic()
    outcome = None if options.dry_run else apply_changes(plan.changes, backend.driver(current), workers=workers)
    timing["write_seconds"] = round(time.monotonic() - mark, 3)
    timing["total_seconds"] = round(time.monotonic() - started, 3)
    summary = build_summary(plan, outcome, dry_run=options.dry_run, context={
        "label": label, "service": service, "backend": backend.name, "schemas": described.schemas,
        "tables": described.tables, "openmetadata_requests": described.requests, "timing": timing,
        "options": {"dry_run": options.dry_run, "allow_clear": options.allow_clear,
                    "schema_filter": list(options.schema_filter), "table_filter": list(options.table_filter)},
    })
    log.info("description sync summary\n%s", format_summary(summary))
    return summary


def postgres_backend(source: Any, *, lock_timeout_ms: int) -> Backend:
    from include.descriptions import postgres

    return Backend(
        name="postgres",
        connect=lambda: postgres.connect(source, lock_timeout_ms=lock_timeout_ms, autocommit=True),
        read=postgres.read_comments,
        driver=lambda current: postgres.driver(source, source.database, lock_timeout_ms=lock_timeout_ms),
    )


def mssql_backend(source: Any, *, lock_timeout_ms: int) -> Backend:
    from include.descriptions import mssql

    existing: set[ObjectKey] = set()

    def read(conn: Any, schemas: list[str]) -> Mapping[ObjectKey, Current]:
        current, found = mssql.read_comments(conn, schemas)
        existing.update(found)
        return current

    def driver(current: Mapping[ObjectKey, Current]) -> Driver:
        kinds = {k: c.kind for k, c in current.items() if k.table is not None and k.column is None}
        return mssql.driver(source, existing, kinds, lock_timeout_ms=lock_timeout_ms)

    return Backend(name="mssql", connect=lambda: mssql.connect(source, lock_timeout_ms=lock_timeout_ms),
                   read=read, driver=driver, max_length=mssql.MAX_CHARACTERS)
