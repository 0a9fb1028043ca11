"""One refresh of a database source: fingerprint, decide, ingest what changed (or all), soft-delete, save.

``refresh`` is the ``ingest_metadata`` task's work for ``scope=full`` runs; ``run_shard`` and
``finalize`` are the mapped ``ingest_shard`` tasks and ``finalize_refresh`` of a sharded full
refresh. Every ingestion is the SDK's own ``MetadataWorkflow`` through
``include.catalog.tasks.run_ingestion`` (the same path as before); the only requests sent
here are the SDK client's ``delete_stale_entities`` (what the workflow sends for its soft
deletes) and two reads that check the catalog still is the one the fingerprints describe.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from include.incremental.decide import MODE_FULL, MODE_INCREMENTAL, CatalogAnchor, decide, options_digest
from include.incremental.fingerprint import (Comparison, Fingerprints, compare, database_fqn, narrow, schema_fqn,
                                             table_count, table_fqn)
from include.incremental.filters import incremental_options, shard_options
from include.incremental.shards import Shard, plan_shards
from include.incremental.state import RefreshState, StateStore, load_state, save_state, state_key

log = logging.getLogger(__name__)


@dataclass
class Source:
    kind: str
    conn_id: str
    service: str
    source: Any
    options: Any  # MetadataOptions, validated
    server: Any


def sdk_version() -> str:
    from importlib.metadata import version

    return version("openmetadata-ingestion")


def prepare(kind: str, conn_id: str, options: Any, service: str | None = None) -> Source:
    from include.catalog.tasks import source_kind
    from include.connections import get_connection
    from include.openmetadata.server import get_server

    spec = source_kind(kind)
    source = spec.from_connection(get_connection(conn_id))
    effective = (options or spec.default_options(source)).validated()
    return Source(kind, conn_id, service or conn_id, source, effective, get_server())


def fingerprint(src: Source) -> Fingerprints:
    """The source's fingerprints, narrowed by the run's options (one query per database)."""
    from include.settings import get_settings

    timeout = get_settings().client.preflight_timeout * 2
    if src.kind == "postgres":
        from include.incremental import postgres as fetcher
    elif src.kind == "mssql":
        from include.incremental import mssql as fetcher
    else:
        raise ValueError(f"{src.conn_id}: no fingerprints for source kind {src.kind!r} (postgres and mssql have them)")
    rows = fetcher.fetch_rows(src.source, timeout=timeout)
    return narrow(rows, service=src.service, sdk_config=src.options.to_sdk(),
                  filter_databases=bool(getattr(src.source, "ingest_all_databases", False)),
                  include_owners=src.options.include_owners)


def om_client(server: Any):
    """The SDK's client with the connection's limits; an unreachable or refusing server is the
    preflight's message (URL, connection, fix), not the SDK's."""
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    try:
        return OpenMetadata(server.to_sdk_connection(), additional_client_config_arguments=server.client_arguments())
    except Exception:
        from include.openmetadata.preflight import check_openmetadata

        check_openmetadata(server)  # raises the user's sentence when OpenMetadata is the problem
        raise


def catalog_anchor(client: Any, service: str, databases: list[str] | tuple[str, ...] = ()) -> CatalogAnchor:
    """The service's id, and how many live tables the catalog holds in ``databases`` (one
    ``GET /v1/tables?database=<fqn>&limit=1`` each: its ``paging.total``)."""
    from metadata.generated.schema.entity.services.databaseService import DatabaseService

    entity = client.get_by_name(entity=DatabaseService, fqn=service)
    if entity is None:
        return CatalogAnchor(None, None)
    total: int | None = 0 if databases else None
    for database in databases:
        page = client.client.get("/tables", data={"database": database_fqn(service, database), "limit": "1"})
        found = (page or {}).get("paging", {}).get("total")
        if found is None:
            total = None
            break
        total += int(found)
    return CatalogAnchor(str(entity.id.root), total)


def soft_delete(client: Any, src: Source, prints: Fingerprints, comparison: Comparison) -> dict[str, int]:
    """What a full refresh would soft-delete, by the same ``deleteStale`` request, scoped per schema.

    Tables: for each schema still in the source that lost tables, the schema's live tables are
    sent (the server deletes the rest). Schemas and databases: only when the SDK config turns
    ``markDeletedSchemas`` / ``markDeletedDatabases`` on (the datakit leaves them off, like the
    SDK: a full refresh then keeps a dropped schema's entities, and so does this).
    """
    from metadata.generated.schema.entity.data.database import Database
    from metadata.generated.schema.entity.data.databaseSchema import DatabaseSchema
    from metadata.generated.schema.entity.data.table import Table

    sdk = src.options.to_sdk()
    done = {"table_scopes": 0, "schema_scopes": 0, "database_scopes": 0}
    if src.options.mark_deleted_tables:
        scopes = sorted({(d, s) for d, s, _ in comparison.deleted if s in prints.get(d, {})})
        for db, schema in scopes:
            live = [table_fqn(src.service, db, schema, t) for t in prints[db][schema].tables]
            _delete_stale(client, Table, {"databaseSchema": schema_fqn(src.service, db, schema)}, live,
                          [table_fqn(src.service, d, s, t) for d, s, t in comparison.deleted if (d, s) == (db, schema)])
            done["table_scopes"] += 1
    if sdk.markDeletedSchemas:
        for db in sorted({d for d, _ in comparison.schemas_deleted if d in prints}):
            live = [schema_fqn(src.service, db, s) for s in prints[db]]
            _delete_stale(client, DatabaseSchema, {"database": database_fqn(src.service, db)}, live,
                          [schema_fqn(src.service, d, s) for d, s in comparison.schemas_deleted if d == db])
            done["schema_scopes"] += 1
    if sdk.markDeletedDatabases and comparison.databases_deleted:
        from metadata.utils.fqn import quote_name

        _delete_stale(client, Database, {"service": quote_name(src.service)},
                      [database_fqn(src.service, d) for d in prints],
                      [database_fqn(src.service, d) for d in comparison.databases_deleted])
        done["database_scopes"] += 1
    return done


def _delete_stale(client: Any, entity: type, scope: dict[str, str], live: list[str], gone: list[str]) -> None:
    result = client.delete_stale_entities(entity=entity, scope_params=scope, live_fqns=live, recursive=True)
    if result is not None:
        return
    # A server without deleteStale: the SDK's legacy path deletes each stale entity by id.
    for name in gone:
        found = client.get_by_name(entity=entity, fqn=name)
        if found is not None:
            client.delete(entity=entity, entity_id=found.id, recursive=True)


def passes(comparison: Comparison) -> list[Comparison]:
    """The incremental workflows to run: new tables (and new or changed schemas) first, then changed ones.

    Why two: the SDK resolves a foreign key when it ingests the referring table; a key to a table
    not yet in the catalog is deferred and PATCHed onto the table at the end of the run, on top of
    the constraints the catalog holds. When the table's create request is otherwise what the
    server already has (same ``sourceHash``), the server skips it, so the old constraints stay
    beside the new ones (``film`` after ``language`` is renamed to ``lang``). With the new tables
    in the catalog first, a changed table's keys resolve at once and its request replaces the
    old constraints, as in a full refresh. New tables referring to each other are deferred
    exactly as a full refresh defers them.
    """
    if comparison.nothing_to_ingest:
        return []
    first = Comparison(new=list(comparison.new), schemas_new=list(comparison.schemas_new),
                       schemas_changed=list(comparison.schemas_changed))
    second = Comparison(changed=list(comparison.changed))
    if first.nothing_to_ingest or second.nothing_to_ingest:
        return [comparison]
    return [first, second]


def merge_summaries(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary of several workflows: records per step summed, failures kept."""
    merged = dict(runs[-1])
    steps: dict[str, dict[str, Any]] = {}
    for run in runs:
        for step in run["steps"]:
            into = steps.setdefault(step["step"], {"step": step["step"]})
            for key, value in step.items():
                if key != "step":
                    into[key] = into.get(key, 0) + value
    merged["steps"] = list(steps.values())
    merged["failures"] = [f for run in runs for f in run["failures"]]
    merged["duration_seconds"] = round(sum(run["duration_seconds"] for run in runs), 2)
    return merged


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _empty_summary(label: str, started: float) -> dict[str, Any]:
    return {"workflow": label, "status": "success", "success_percent": 100.0,
            "duration_seconds": round(time.monotonic() - started, 2), "steps": [], "failures": []}


def _service_id(client: Any, service: str) -> str | None:
    return catalog_anchor(client, service).service_id


def refresh(kind: str, conn_id: str, options: Any = None, *, mode: str = "auto", store: StateStore, label: str,
            objects_per_shard: int = 0, run_id: str | None = None, now: datetime | None = None,
            full_cron: str | None = None, tz: str | None = None) -> dict[str, Any]:
    """Fingerprint, decide, ingest; returns the run summary with a ``refresh`` section.

    With ``objects_per_shard`` > 0 a full refresh of more objects returns ``refresh.shards``
    without ingesting: the mapped ``ingest_shard`` tasks do it, ``finalize`` saves the state.
    """
    from include.catalog.tasks import run_ingestion
    from include.settings import get_settings

    started = time.monotonic()
    settings = get_settings()
    now = now or _now()
    src = prepare(kind, conn_id, options)
    prints = fingerprint(src)
    fingerprint_s = time.monotonic() - started
    state, problem = load_state(store, src.service)
    client = om_client(src.server)
    try:
        anchor = (catalog_anchor(client, src.service, sorted(state.fingerprints))
                  if state is not None and mode != MODE_FULL else None)
        digest = options_digest(kind, src.options)
        decision = decide(mode, state, kind=kind, sdk_version=sdk_version(), digest=digest,
                          full_cron=full_cron or settings.schedules.full_refresh, now=now,
                          anchor=anchor, tz=tz or settings.schedules.timezone, state_problem=problem)
        comparison = compare(state.fingerprints if state else None, prints)
        info: dict[str, Any] = {
            "mode": decision.mode, "requested": mode, "reason": decision.reason,
            "tables": table_count(prints), **comparison.counts(), "fingerprint_seconds": round(fingerprint_s, 2),
            "shards": [], "state_key": state_key(src.service),
        }
        if state is None:  # nothing to compare with: every table is new
            info.update(unchanged=0, changed=0, deleted=0)
        log.info("refresh of %s: %s (%s); %d tables: %d unchanged, %d changed, %d new, %d deleted; fingerprints "
                 "in %.1f s", src.service, decision.mode, decision.reason, info["tables"], info["unchanged"],
                 info["changed"], info["new"], info["deleted"], fingerprint_s)
        new_state = RefreshState(
            service=src.service, kind=kind, sdk_version=sdk_version(), options_digest=digest, fingerprints=prints,
            refreshed_at=now.isoformat(), last_full_at=now.isoformat() if decision.mode == MODE_FULL else
            (state.last_full_at if state else None), mode=decision.mode,
            service_id=state.service_id if state else None, extra={"run_id": run_id})
        summary: dict[str, Any] | None = None
        if decision.mode == MODE_INCREMENTAL:
            runs = [run_ingestion(kind, conn_id, incremental_options(src.options, src.service, part), label=label,
                                  service_name=src.service) for part in passes(comparison)]
            summary = merge_summaries(runs) if runs else None
            info["passes"] = len(runs)
            info["soft_deleted"] = soft_delete(client, src, prints, comparison)
        else:
            shards = plan_shards(prints, objects_per_shard)
            if len(shards) > 1:
                info["shards"] = [s.to_json() for s in shards]
                save_state(store, new_state, pending=True)
                log.info("full refresh of %s in %d shards: %s", src.service, len(shards),
                         ", ".join(f"#{s.index}: {len(s.schemas)} schemas, {s.objects} objects" for s in shards))
                summary = _empty_summary(label, started)
                summary["refresh"] = info
                return summary
            summary = run_ingestion(kind, conn_id, src.options, label=label, service_name=src.service)
            new_state.service_id = _service_id(client, src.service)
        if new_state.service_id is None:
            new_state.service_id = anchor.service_id if anchor else _service_id(client, src.service)
        info["state_bytes"] = save_state(store, new_state)
    finally:
        client.close()
    summary = summary or _empty_summary(label, started)
    info["seconds"] = round(time.monotonic() - started, 2)
    summary["refresh"] = info
    summary.setdefault("source", {"conn_id": conn_id, "service": src.service, "where": src.source.where})
    return summary


def run_shard(kind: str, conn_id: str, shard: dict[str, Any], options: Any = None, *, label: str) -> dict[str, Any]:
    """One shard of a sharded full refresh: the SDK's workflow over its whole schemas."""
    from include.catalog.tasks import run_ingestion

    src = prepare(kind, conn_id, options)
    part = Shard.from_json(shard)
    narrowed = shard_options(src.options, src.service, part.schemas)
    summary = run_ingestion(kind, conn_id, narrowed, label=f"{label} shard {part.index}", service_name=src.service)
    summary["shard"] = part.to_json()
    return summary


def finalize(conn_id: str, *, store: StateStore, run_id: str | None, label: str, service: str | None = None) -> dict[str, Any]:
    """After every shard succeeded: the pending fingerprints become the source's state."""
    service = service or conn_id
    pending, _ = load_state(store, service, pending=True)
    if pending is None or pending.extra.get("run_id") != run_id:
        return {"workflow": label, "status": "success", "finalized": False,
                "reason": "this run was not sharded: its ingest_metadata task saved the state"}
    from include.openmetadata.server import get_server

    client = om_client(get_server())
    try:
        pending.service_id = _service_id(client, service)
    finally:
        client.close()
    size = save_state(store, pending)
    store.delete(state_key(service, pending=True))
    return {"workflow": label, "status": "success", "finalized": True, "tables": table_count(pending.fingerprints),
            "state_bytes": size, "state_key": state_key(service)}

