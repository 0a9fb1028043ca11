"""Fixes for hot spots of the OpenMetadata SDK (2.0.6), applied before a workflow starts.

``apply(source_type)`` is idempotent, thread-safe and cheap; ``runner.start_workflow`` calls it. Each fix
keeps the SDK's output exactly; it only stops repeating work. Each one checks that the SDK
still has the shape it patches and otherwise leaves the SDK alone. Measured in
docs/benchmarks.md (``make bench``: about 2x faster per table; without them a 10,000-table
database took more than twice as long per table as a 1,000-table one would suggest).

1. **The query header's version.** The SDK prefixes every SQL statement it sends to a database
   source with ``/* {"app": "OpenMetadata", "version": "<version>"} */`` and looks the version
   up with ``importlib.metadata.version("openmetadata-ingestion")`` for *each* statement
   (``metadata.ingestion.connections.headers``): 2.5-10 ms of scanning and parsing package
   metadata per statement, ~9 statements per table. A running process's installed version
   does not change: it is looked up once.
2. **PostgreSQL domains and enums, once per inspector.** The SDK's ``get_columns`` override
   calls SQLAlchemy's ``_load_domains`` / ``_load_enums`` without the inspector's
   ``info_cache``, so every table re-reads every type of the database (``pg_type`` holds two
   rows per table: the cost per table grows with the database). SQLAlchemy's own reflection
   passes the cache; this gives it back to those two calls, so they run once per inspector,
   as in SQLAlchemy.
3. **PostgreSQL partition details only for partitioned tables.** The SDK asks, per table, a
   query joining ``pg_partitioned_table`` with ``information_schema.columns`` (a scan of every
   column of the database: 3.5 ms per table at 4,000 tables, growing). A table that is not in
   ``pg_partitioned_table`` gets no rows from it; the partitioned tables of the database are
   now read once per run, and the SDK's query runs only for them (same answer).
4. **The profiler's full garbage collection after every metric.** ``SQAProfilerInterface.
   compute_metrics_in_thread`` calls ``gc.collect()`` in a ``finally:`` after each metric of each
   column: a full pass over every object the process holds, ~10 per column. Found with py-spy:
   it was 87 % of a 1,000-table profile's CPU even with the heap frozen (``runner.frozen_heap``),
   because what the workflow itself accumulates (entities, SQLAlchemy tables) is walked each
   time; without the freeze, pagila's profile took 85 s instead of 8 s. The SDK's module now sees
   a ``gc`` whose ``collect()`` runs a full collection at most every ``FULL_GC_EVERY_SECONDS``
   (Python's own generational collector keeps running as always); every other attribute is the
   real ``gc``. Same metrics; the peak memory is in ``make bench`` (section 8).
"""

from __future__ import annotations

import contextvars
import functools
import threading
import time
from typing import Any

_LOCK = threading.Lock()
_FIXED = "_datakit_sdk_fix"
# The inspector's reflection cache of the SDK get_columns call running in this context.
_INFO_CACHE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("datakit_info_cache", default=None)


# Fix 4: at most one full collection per this many seconds from the profiler's per-metric calls.
FULL_GC_EVERY_SECONDS = 10.0


def apply(source_type: str | None = None, kind: str | None = None) -> None:
    """Apply the fixes for a workflow of ``source_type`` (the config's ``source.type``; the
    PostgreSQL ones only for ``postgres``) and ``kind`` (``include.workflow.runner.WORKFLOW_CLASSES``;
    the profiler's only for ``profiler``). No-op for fixes already applied or whose target
    this SDK lacks."""
    with _LOCK:
        _cache_query_header_version()
        if str(source_type or "").lower() == "postgres":
            _cache_postgres_types_per_inspector()
            _partition_details_only_for_partitioned_tables()
        if kind == "profiler":
            _throttle_profiler_full_gc()


def _cache_query_header_version() -> None:
    from metadata.ingestion.connections import headers

    lookup = getattr(headers, "_pkg_version", None)
    if lookup is None or isinstance(lookup, functools._lru_cache_wrapper):  # pylint: disable=protected-access
        return
    headers._pkg_version = functools.lru_cache(maxsize=8)(lookup)  # pylint: disable=protected-access


def _cache_postgres_types_per_inspector() -> None:
    import metadata.ingestion.source.database.postgres.metadata  # noqa: F401  - installs the SDK's get_columns
    from sqlalchemy.dialects.postgresql.base import PGDialect

    sdk_get_columns = PGDialect.get_columns
    if getattr(sdk_get_columns, _FIXED, False) or not all(
            hasattr(PGDialect, name) for name in ("_load_domains", "_load_enums")):
        return

    @functools.wraps(sdk_get_columns)
    def get_columns(self, connection, table_name, schema=None, **kw):
        token = _INFO_CACHE.set(kw.get("info_cache"))
        try:
            return sdk_get_columns(self, connection, table_name, schema, **kw)
        finally:
            _INFO_CACHE.reset(token)

    def with_inspector_cache(load):
        @functools.wraps(load)
        def cached(self, connection, *args, **kw):
            if kw.get("info_cache") is None and _INFO_CACHE.get() is not None:
                kw["info_cache"] = _INFO_CACHE.get()
            return load(self, connection, *args, **kw)

        return cached

    setattr(get_columns, _FIXED, True)
    PGDialect._load_domains = with_inspector_cache(PGDialect._load_domains)  # pylint: disable=protected-access
    PGDialect._load_enums = with_inspector_cache(PGDialect._load_enums)  # pylint: disable=protected-access
    PGDialect.get_columns = get_columns


_PARTITIONED_TABLES = """
select n.nspname, c.relname
from pg_catalog.pg_partitioned_table p
join pg_catalog.pg_class c on c.oid = p.partrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
"""


def _partition_details_only_for_partitioned_tables() -> None:
    from metadata.ingestion.source.database.postgres.metadata import PostgresSource

    sdk_details = getattr(PostgresSource, "get_table_partition_details", None)
    if sdk_details is None or getattr(sdk_details, _FIXED, False):
        return

    @functools.wraps(sdk_details)
    def get_table_partition_details(self, table_name: str, schema_name: str, inspector) -> Any:
        from sqlalchemy import text

        # One set per database (an ingestion of all databases switches self.engine).
        known: dict[str, set] = self.__dict__.setdefault("_datakit_partitioned_tables", {})
        key = str(self.engine.url)
        if key not in known:
            with self.engine.connect() as conn:
                known[key] = {(schema, name) for schema, name in conn.execute(text(_PARTITIONED_TABLES)).all()}
        if (schema_name, table_name) not in known[key]:
            return False, None  # what the SDK's query answers for a table it does not find there
        return sdk_details(self, table_name, schema_name, inspector)

    setattr(get_table_partition_details, _FIXED, True)
    PostgresSource.get_table_partition_details = get_table_partition_details


class ThrottledGc:
    """The ``gc`` module as the SDK's profiler interface sees it (fix 4): ``collect()`` runs at most
    once per ``every`` seconds, across threads; every other attribute is the real module's."""

    def __init__(self, module: Any, every: float) -> None:
        self._module, self._every = module, every
        self._next = 0.0
        self._lock = threading.Lock()
        self.skipped = 0
        setattr(self, _FIXED, True)

    def collect(self, generation: int = 2) -> int:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                self.skipped += 1
                return 0
            self._next = now + self._every
        return self._module.collect(generation)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def _throttle_profiler_full_gc() -> None:
    import gc

    from metadata.profiler.interface.sqlalchemy import profiler_interface

    if getattr(profiler_interface, "gc", None) is not gc:  # already throttled, or the SDK changed
        return
    profiler_interface.gc = ThrottledGc(gc, FULL_GC_EVERY_SECONDS)
