"""Fingerprints of a source's catalog, narrowed as the SDK narrows it, and their comparison.

A source's fingerprint query (``postgres.py``, ``mssql.py``) returns ``CatalogRow``s: one per
schema (its own hash: comment, stored procedures) and one per table or view (its hash). Here
they become ``Fingerprints`` (``database -> schema -> SchemaPrint``), keeping only what the
SDK's workflow would ingest with the run's options: the SDK's own filter functions, matched
against names or FQNs (``useFqnForFiltering``) built with ``metadata.utils.fqn``.

``compare(old, new)`` says, per table, what is unchanged, changed, new or deleted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable

TableKey = tuple[str, str, str]  # database, schema, table
SchemaKey = tuple[str, str]  # database, schema


@dataclass(frozen=True)
class CatalogRow:
    """One row of a fingerprint query. ``name`` is None for a schema's own row."""

    database: str
    schema: str
    name: str | None
    kind: str  # "schema", "table" or "view"
    fingerprint: str
    owner: str | None = None


@dataclass
class SchemaPrint:
    fingerprint: str
    tables: dict[str, str] = field(default_factory=dict)


# database -> schema -> SchemaPrint
Fingerprints = dict[str, dict[str, SchemaPrint]]


def short_hash(*parts: Any) -> str:
    """16 hex digits of SHA-256 over the parts (enough: a collision needs 2**32 objects)."""
    digest = hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8"))
    return digest.hexdigest()[:16]


def to_json(prints: Fingerprints) -> dict[str, Any]:
    return {db: {schema: {"fp": sp.fingerprint, "tables": dict(sp.tables)} for schema, sp in schemas.items()}
            for db, schemas in prints.items()}


def from_json(data: dict[str, Any]) -> Fingerprints:
    return {db: {schema: SchemaPrint(str(sp["fp"]), {str(k): str(v) for k, v in sp["tables"].items()})
                 for schema, sp in schemas.items()} for db, schemas in data.items()}


def table_count(prints: Fingerprints) -> int:
    return sum(len(sp.tables) for schemas in prints.values() for sp in schemas.values())


def table_fqn(service: str, database: str, schema: str, table: str) -> str:
    from metadata.generated.schema.entity.data.table import Table
    from metadata.utils import fqn

    return fqn.build(None, entity_type=Table, service_name=service, database_name=database,
                     schema_name=schema, table_name=table, skip_es_search=True)


def schema_fqn(service: str, database: str, schema: str) -> str:
    from metadata.generated.schema.entity.data.databaseSchema import DatabaseSchema
    from metadata.utils import fqn

    return fqn.build(None, entity_type=DatabaseSchema, service_name=service, database_name=database,
                     schema_name=schema)


def database_fqn(service: str, database: str) -> str:
    from metadata.generated.schema.entity.data.database import Database
    from metadata.utils import fqn

    return fqn.build(None, entity_type=Database, service_name=service, database_name=database)


def narrow(rows: Iterable[CatalogRow], *, service: str, sdk_config: Any, filter_databases: bool,
           include_owners: bool) -> Fingerprints:
    """``Fingerprints`` of what the SDK would ingest with ``sdk_config`` (its
    ``DatabaseServiceMetadataPipeline``). ``filter_databases``: the source lists several
    databases (``ingestAllDatabases``); a single configured database is never filtered (the SDK
    does not filter it either)."""
    from metadata.utils.filters import filter_by_database, filter_by_schema, filter_by_table

    by_fqn = bool(sdk_config.useFqnForFiltering)
    prints: Fingerprints = {}
    rows = list(rows)
    for row in rows:  # schemas first: a table's row may come before its schema's
        if row.name is not None:
            continue
        if filter_databases:
            name = database_fqn(service, row.database) if by_fqn else row.database
            if filter_by_database(sdk_config.databaseFilterPattern, name):
                continue
        name = schema_fqn(service, row.database, row.schema) if by_fqn else row.schema
        if filter_by_schema(sdk_config.schemaFilterPattern, name):
            continue
        fp = short_hash(row.fingerprint, row.owner if include_owners else None)
        prints.setdefault(row.database, {})[row.schema] = SchemaPrint(fp)
    for row in rows:
        if row.name is None:
            continue
        schema = prints.get(row.database, {}).get(row.schema)
        if schema is None:
            continue
        if row.kind == "view" and not sdk_config.includeViews:
            continue
        if row.kind == "table" and not sdk_config.includeTables:
            continue
        name = table_fqn(service, row.database, row.schema, row.name) if by_fqn else row.name
        if filter_by_table(sdk_config.tableFilterPattern, name):
            continue
        schema.tables[row.name] = short_hash(row.kind, row.fingerprint, row.owner if include_owners else None)
    return prints


@dataclass
class Comparison:
    """What changed between the fingerprints of the last refresh and now."""

    unchanged: int = 0
    changed: list[TableKey] = field(default_factory=list)
    new: list[TableKey] = field(default_factory=list)
    deleted: list[TableKey] = field(default_factory=list)
    schemas_changed: list[SchemaKey] = field(default_factory=list)  # the schema's own hash
    schemas_new: list[SchemaKey] = field(default_factory=list)
    schemas_deleted: list[SchemaKey] = field(default_factory=list)
    databases_new: list[str] = field(default_factory=list)
    databases_deleted: list[str] = field(default_factory=list)

    @property
    def to_ingest(self) -> list[TableKey]:
        return sorted(self.changed + self.new)

    @property
    def schemas_to_ingest(self) -> list[SchemaKey]:
        """Schemas the workflow must visit: new or changed ones, and those of tables to ingest."""
        keys = set(self.schemas_changed) | set(self.schemas_new) | {(d, s) for d, s, _ in self.to_ingest}
        return sorted(keys)

    @property
    def nothing_to_ingest(self) -> bool:
        return not self.schemas_to_ingest

    def counts(self) -> dict[str, int]:
        return {"unchanged": self.unchanged, "changed": len(self.changed), "new": len(self.new),
                "deleted": len(self.deleted), "schemas_new": len(self.schemas_new),
                "schemas_changed": len(self.schemas_changed), "schemas_deleted": len(self.schemas_deleted),
                "databases_new": len(self.databases_new), "databases_deleted": len(self.databases_deleted)}


def compare(old: Fingerprints | None, new: Fingerprints) -> Comparison:
    """Per table: unchanged, changed, new or deleted (``old`` None: everything is new)."""
    old = old or {}
    result = Comparison()
    result.databases_new = sorted(set(new) - set(old))
    result.databases_deleted = sorted(set(old) - set(new))
    for db in sorted(set(old) | set(new)):
        old_schemas, new_schemas = old.get(db, {}), new.get(db, {})
        for schema in sorted(set(old_schemas) | set(new_schemas)):
            before, now = old_schemas.get(schema), new_schemas.get(schema)
            if before is None:
                result.schemas_new.append((db, schema))
                result.new += [(db, schema, t) for t in sorted(now.tables)]
                continue
            if now is None:
                result.schemas_deleted.append((db, schema))
                result.deleted += [(db, schema, t) for t in sorted(before.tables)]
                continue
            if before.fingerprint != now.fingerprint:
                result.schemas_changed.append((db, schema))
            for table in sorted(set(before.tables) | set(now.tables)):
                was, is_ = before.tables.get(table), now.tables.get(table)
                if was is None:
                    result.new.append((db, schema, table))
                elif is_ is None:
                    result.deleted.append((db, schema, table))
                elif was != is_:
                    result.changed.append((db, schema, table))
                else:
                    result.unchanged += 1
    return result
