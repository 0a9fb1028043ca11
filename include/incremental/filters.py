"""The SDK options of an incremental run and of a shard: FQN filters that select exactly the work.

Both start from the run's ``MetadataOptions`` (the fingerprints were already narrowed by them,
so the lists here are exact) and switch to FQN filtering (``useFqnForFiltering``), where each
include is an anchored, escaped FQN built with ``metadata.utils.fqn``.

Soft deletes, read from the SDK (``DatabaseServiceSource`` in
``metadata/ingestion/source/database/database_service.py``):

* ``mark_tables_as_deleted`` runs after a database's schemas and, for every schema the schema
  filter lets through, asks the server to soft-delete the schema's tables that were not
  *ingested in this run* (``database_source_state``). With a table filter that names only the
  changed tables, that is every unchanged table of those schemas: so an incremental run turns
  ``markDeletedTables`` off and ``refresh.py`` sends the same ``deleteStale`` request itself,
  with every live table of the schema.
* A shard lets through only its own schemas, and ingests every table of them: the SDK's own
  deletion is right within them, so a shard keeps ``markDeletedTables``.
* ``markDeletedSchemas`` / ``markDeletedDatabases`` (both off in the datakit's options, as in
  the SDK's defaults) would, in a shard, treat the other shards' schemas as gone: shards never
  turn them on; a schema dropped from the source is treated once, by ``refresh.py``, exactly as
  the unsharded run would (with those flags off: kept, like a full refresh keeps it).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Iterable

from include.incremental.fingerprint import Comparison, database_fqn, schema_fqn, table_fqn

# A regular expression no name matches: "visit this schema, ingest none of its tables".
NOTHING = "(?!)"


def _exact(fqn: str) -> str:
    return f"^{re.escape(fqn)}$"


def incremental_options(base: Any, service: str, comparison: Comparison) -> Any:
    """``base`` narrowed to the new and changed tables and the schemas that need a visit."""
    schemas = comparison.schemas_to_ingest
    tables = comparison.to_ingest
    return replace(
        base,
        use_fqn_for_filtering=True,
        database_includes=tuple(dict.fromkeys(_exact(database_fqn(service, d)) for d, _ in schemas)) or (NOTHING,),
        database_excludes=(),
        schema_includes=tuple(_exact(schema_fqn(service, d, s)) for d, s in schemas) or (NOTHING,),
        schema_excludes=(),
        table_includes=tuple(_exact(table_fqn(service, d, s, t)) for d, s, t in tables) or (NOTHING,),
        table_excludes=(),
        mark_deleted_tables=False,
    ).validated(prefix="incremental")


def shard_options(base: Any, service: str, schemas: Iterable[tuple[str, str]]) -> Any:
    """``base`` narrowed to whole schemas (their every table, view and procedure, as ``base`` selects)."""
    schemas = list(schemas)
    by_fqn = base.use_fqn_for_filtering

    def as_fqn(patterns: tuple[str, ...], depth: int) -> tuple[str, ...]:
        if by_fqn:
            return patterns
        # A name pattern the SDK matches from the start (re.match) as an FQN pattern at ``depth``.
        return tuple("^" + r"[^.]+\." * depth + (p[1:] if p.startswith("^") else p) for p in patterns)

    return replace(
        base,
        use_fqn_for_filtering=True,
        database_includes=tuple(dict.fromkeys(_exact(database_fqn(service, d)) for d, _ in schemas)),
        database_excludes=(),
        schema_includes=tuple(_exact(schema_fqn(service, d, s)) for d, s in schemas),
        schema_excludes=(),
        table_includes=as_fqn(base.table_includes, 3),
        table_excludes=as_fqn(base.table_excludes, 3),
    ).validated(prefix="shard")
