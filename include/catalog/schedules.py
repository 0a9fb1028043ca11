"""When each catalog source refreshes, and what a *critical* refresh covers.

The one schedule config is ``include.settings.Schedules`` (defaults there, each overridable
by an environment variable). This module validates it and turns it into Airflow objects:

* **Nightly full refresh.** Every catalog DAG (``catalog_pagila``, ``catalog_mssql``,
  ``catalog_airflow``) is scheduled on ``Schedules.nightly`` through
  ``include.catalog.dag_defaults.catalog_dag_kwargs``.
* **Critical refresh.** The ``catalog_critical_refresh`` DAG runs on ``Schedules.critical``
  and *triggers a run of the source's own catalog DAG* with ``{"scope": "critical"}`` for each
  source of ``Schedules.critical_subset``. Such a run ingests only the critical FQN patterns
  (FQN filters, no soft deletes: a partial run must not delete what it did not look at).
  The Airflow source has no tables: its critical run is its normal run (triggered without
  configuration).

Why trigger the source's DAG instead of a second DAG per source: every run of a source
(nightly, critical, manual) is then a run of ONE DAG with ``max_active_runs=1``, so Airflow
itself guarantees that two of them never run at once (a critical run that comes while the
nightly runs waits, queued), with nothing to provision. A pool per source would do the same
across DAGs but must exist in every deployment, or the tasks wait in ``scheduled`` forever.
The data-aware refresh (``catalog_refresh_assets``) is another DAG; it waits until no run of
the source's catalog DAG is running (``source_catalogs_idle``), see its docstring.

Light at import: DAG files import this module (standard library, croniter and
``include.settings``/``include.errors`` only; task code imports what it needs when it runs).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any, Mapping

from include.errors import ConfigError
from include.settings import DatakitSettings, get_settings

log = logging.getLogger(__name__)

SCOPE_FULL = "full"
SCOPE_CRITICAL = "critical"
SCOPES = (SCOPE_FULL, SCOPE_CRITICAL)
CRITICAL_DAG_ID = "catalog_critical_refresh"
HEALTH_DAG_ID = "catalog_health"


@dataclass(frozen=True)
class CatalogSource:
    """One catalog source: its key in the schedule config, its DAG, kind and connection."""

    key: str
    dag_id: str
    kind: str  # include.catalog.tasks source kind: postgres | mssql | airflow
    conn_id: str

    @property
    def has_tables(self) -> bool:
        return self.kind != "airflow"


def catalog_sources(settings: DatakitSettings | None = None) -> dict[str, CatalogSource]:
    """Every catalog source of this datakit, by key (the names the schedule config uses)."""
    conn_ids = (settings or get_settings()).conn_ids
    return {
        "pagila": CatalogSource("pagila", "catalog_pagila", "postgres", conn_ids.pagila),
        "mssql": CatalogSource("mssql", "catalog_mssql", "mssql", conn_ids.mssql),
        "airflow": CatalogSource("airflow", "catalog_airflow", "airflow", conn_ids.airflow_metadata_db),
    }


# ---------------------------------------------------------------------------- FQN patterns


_GLOB_PART = re.compile(r"^[^.]+$")


def _glob_part(part: str) -> str:
    """One FQN part as a regex: ``*`` any run of characters but a dot, ``?`` one character."""
    out = []
    for char in part:
        if char == "*":
            out.append("[^.]*")
        elif char == "?":
            out.append("[^.]")
        else:
            out.append(re.escape(char))
    return "".join(out)


@dataclass(frozen=True)
class FqnFilters:
    database_includes: tuple[str, ...]
    schema_includes: tuple[str, ...]
    table_includes: tuple[str, ...]


def check_patterns(source: CatalogSource, patterns: Any, *, field: str) -> tuple[str, ...]:
    """Validate a source's critical patterns; errors name ``field`` and the fix."""
    if patterns is None:
        return ()
    if isinstance(patterns, str) or not isinstance(patterns, (list, tuple)):
        raise ConfigError(field, f"{patterns!r} is not a list of FQN patterns",
                          f'give a JSON list, e.g. ["{source.conn_id}.<database>.<schema>.<table>"], or [] for all')
    checked = []
    for raw in patterns:
        if not isinstance(raw, str) or not raw.strip():
            raise ConfigError(field, f"{raw!r} is not an FQN pattern", "give strings like service.database.schema.table")
        pattern = raw.strip()
        if not source.has_tables:
            raise ConfigError(
                field, f"the {source.key} source has no tables, so {pattern!r} cannot narrow it",
                f'list it with [] (its critical refresh is its normal run) or remove "{source.key}"')
        parts = pattern.split(".")
        if not 2 <= len(parts) <= 4 or not all(_GLOB_PART.match(p) for p in parts):
            raise ConfigError(field, f"{pattern!r} is not service.database[.schema[.table]]",
                              f"write e.g. {source.conn_id}.mydb.public.orders or {source.conn_id}.mydb.sales.*")
        if parts[0] != source.conn_id:
            raise ConfigError(
                field, f"{pattern!r} starts with {parts[0]!r}, but the {source.key} source's OpenMetadata service "
                       f"is {source.conn_id!r}", f"start the pattern with {source.conn_id}.")
        checked.append(pattern)
    return tuple(checked)


def fqn_filters(patterns: tuple[str, ...]) -> FqnFilters:
    """SDK FQN filter regexes (``useFqnForFiltering``) that select exactly ``patterns``.

    ``svc.db`` covers a database, ``svc.db.schema`` a schema, ``svc.db.schema.table`` tables;
    the database and schema of every pattern are included so the SDK descends into them.
    """
    any_part = "[^.]+"
    databases: dict[str, None] = {}
    schemas: dict[str, None] = {}
    tables: dict[str, None] = {}
    for pattern in patterns:
        parts = [_glob_part(p) for p in pattern.split(".")]
        service, database = parts[0], parts[1]
        schema = parts[2] if len(parts) > 2 else any_part
        table = parts[3] if len(parts) > 3 else any_part
        databases.setdefault(rf"^{service}\.{database}$")
        schemas.setdefault(rf"^{service}\.{database}\.{schema}$")
        tables.setdefault(rf"^{service}\.{database}\.{schema}\.{table}$")
    return FqnFilters(tuple(databases), tuple(schemas), tuple(tables))


def _fqn_exclude(pattern: str, depth: int) -> str:
    """A name exclude (matched from the start, as the SDK does) as an FQN exclude at ``depth``."""
    body = pattern[1:] if pattern.startswith("^") else pattern
    return "^" + r"[^.]+\." * depth + body


def critical_options(base: Any, patterns: tuple[str, ...]) -> Any:
    """``base`` (the source's ``MetadataOptions``) narrowed to ``patterns``, without soft deletes."""
    if not patterns:
        narrowed = base
    else:
        filters = fqn_filters(patterns)
        narrowed = replace(
            base,
            use_fqn_for_filtering=True,
            database_includes=filters.database_includes,
            database_excludes=tuple(_fqn_exclude(p, 1) for p in base.database_excludes),
            schema_includes=filters.schema_includes,
            schema_excludes=tuple(_fqn_exclude(p, 2) for p in base.schema_excludes),
            table_includes=filters.table_includes,
            table_excludes=tuple(_fqn_exclude(p, 3) for p in base.table_excludes),
            # Procedures are not matched by table patterns: a critical run is about tables.
            include_stored_procedures=False,
        )
    return replace(narrowed, mark_deleted_tables=False, mark_deleted_stored_procedures=False).validated(
        prefix="critical")


# ---------------------------------------------------------------------------- the plan


def _check_cron(expression: str, env: str) -> str:
    from croniter import croniter

    if not isinstance(expression, str) or not croniter.is_valid(expression.strip()):
        raise ConfigError(env, f"{expression!r} is not a cron expression",
                          'use five fields, e.g. "0 2 * * *" (02:00 daily) or "0 */4 * * *"')
    return expression.strip()


def _check_timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("DATAKIT_SCHEDULE_TIMEZONE", f"{name!r} is not a time zone",
                          "use an IANA name, e.g. UTC or Europe/Paris") from None
    return name


@dataclass(frozen=True)
class RefreshPlan:
    """The validated schedule config."""

    nightly: str
    critical: str
    timezone: str
    sources: dict[str, CatalogSource]
    # source key -> FQN patterns (() = the whole source); only the critical sources.
    critical_subset: dict[str, tuple[str, ...]]

    def critical_sources(self) -> list[CatalogSource]:
        return [self.sources[key] for key in self.critical_subset]

    def source_of_dag(self, dag_id: str) -> CatalogSource | None:
        return next((s for s in self.sources.values() if s.dag_id == dag_id), None)

    def source_of_conn(self, conn_id: str) -> CatalogSource | None:
        return next((s for s in self.sources.values() if s.conn_id == conn_id), None)


def nightly_cron(settings: DatakitSettings | None = None) -> str:
    """The validated nightly cron (what the catalog DAGs need, without the rest of the plan)."""
    return _check_cron((settings or get_settings()).schedules.nightly, "DATAKIT_SCHEDULE_NIGHTLY")


def health_cron(settings: DatakitSettings | None = None) -> str:
    """The validated cron of catalog_health (not part of the plan: its typo breaks only that DAG)."""
    return _check_cron((settings or get_settings()).schedules.health, "DATAKIT_SCHEDULE_HEALTH")


def schedule_timezone(settings: DatakitSettings | None = None) -> str:
    return _check_timezone((settings or get_settings()).schedules.timezone)


def refresh_plan(settings: DatakitSettings | None = None) -> RefreshPlan:
    """The schedule config, validated; a ``ConfigError`` names the setting and the fix."""
    settings = settings or get_settings()
    config = settings.schedules
    sources = catalog_sources(settings)
    subset = config.critical_subset
    env = "DATAKIT_CRITICAL_SUBSET"
    if not isinstance(subset, Mapping):
        raise ConfigError(env, f"{subset!r} is not a JSON object",
                          'give {"<source>": [FQN patterns]}, e.g. {"pagila": []}; {} for no critical refresh')
    critical: dict[str, tuple[str, ...]] = {}
    for key, patterns in subset.items():
        if key not in sources:
            raise ConfigError(f"{env}.{key}", f"unknown source {key!r}", f"use one of {', '.join(sorted(sources))}")
        critical[key] = check_patterns(sources[key], patterns, field=f"{env}.{key}")
    return RefreshPlan(
        nightly=_check_cron(config.nightly, "DATAKIT_SCHEDULE_NIGHTLY"),
        critical=_check_cron(config.critical, "DATAKIT_SCHEDULE_CRITICAL"),
        timezone=_check_timezone(config.timezone),
        sources=sources,
        critical_subset=critical,
    )


# ---------------------------------------------------------------------------- run scope


def scope_param():
    """The ``scope`` param of the database catalog DAGs (the trigger form shows it)."""
    from airflow.sdk import Param

    return Param(SCOPE_FULL, type="string", enum=list(SCOPES), title="Scope",
                 description="full: the whole source (nightly). critical: only the critical subset of the "
                             "schedule config (DATAKIT_CRITICAL_SUBSET), no soft deletes.")


def _conf(dag_run: Any) -> dict[str, Any]:
    return dict((getattr(dag_run, "conf", None) or {}) if dag_run is not None else {})


def run_scope(params: Mapping[str, Any] | None, dag_run: Any) -> str:
    """``full`` or ``critical``: the run's ``scope`` (trigger configuration, else param), default full."""
    conf = _conf(dag_run)
    value = conf.get("scope", (params or {}).get("scope")) or SCOPE_FULL
    if value not in SCOPES:
        raise ConfigError("params.scope", f"{value!r} is not a scope", f"use {' or '.join(SCOPES)}")
    return value


def _without_scope(dag_run: Any) -> Any:
    """The run as ``include.catalog.tasks`` sees it: its configuration without ``scope``."""
    if dag_run is None:
        return None
    conf = {k: v for k, v in _conf(dag_run).items() if k != "scope"}
    return SimpleNamespace(conf=conf, dag_id=getattr(dag_run, "dag_id", None), run_id=getattr(dag_run, "run_id", None))


def _critical_patterns(kind: str, conn_id: str, params: Mapping[str, Any] | None, dag_run: Any) -> tuple[str, ...]:
    plan = refresh_plan()
    source = plan.source_of_conn(conn_id)
    if source is None or source.key not in plan.critical_subset:
        raise ConfigError("params.scope", f"{conn_id} has no critical subset",
                          'add it to DATAKIT_CRITICAL_SUBSET (e.g. {"' + (source.key if source else kind)
                          + '": []}) or trigger with scope full')
    from include.sources.common import PARAM_SPECS

    given = {**(params or {}), **_conf(dag_run)}
    narrowed = sorted(k for k in PARAM_SPECS if given.get(k) not in (None, "", []))
    if narrowed:
        raise ConfigError(f"params.{narrowed[0]}", "filters and options do not combine with scope critical",
                          "leave them empty (the critical subset decides) or trigger with scope full")
    return plan.critical_subset[source.key]


def _critical_options(kind: str, conn_id: str, patterns: tuple[str, ...]):
    from include.catalog import tasks
    from include.connections import get_connection

    spec = tasks.source_kind(kind)
    return critical_options(spec.default_options(spec.from_connection(get_connection(conn_id))), patterns)


def preflight_task(kind: str, conn_id: str, params: Mapping[str, Any] | None = None,
                   dag_run: Any = None) -> dict[str, Any]:
    """``preflight`` of a database catalog DAG: the scope, then ``include.catalog.tasks.preflight``."""
    from include.catalog import tasks

    scope = run_scope(params, dag_run)
    patterns: tuple[str, ...] = ()
    if scope == SCOPE_CRITICAL:
        patterns = _critical_patterns(kind, conn_id, params, dag_run)
        _critical_options(kind, conn_id, patterns)  # a bad pattern fails here, before any work
        params = {k: v for k, v in (params or {}).items() if k != "scope"}
    result = tasks.preflight(kind, conn_id, params=params, dag_run=_without_scope(dag_run))
    result["scope"] = {"scope": scope, "patterns": list(patterns)}
    return result


def ingest_task(kind: str, conn_id: str, params: Mapping[str, Any] | None = None,
                dag_run: Any = None) -> dict[str, Any]:
    """``ingest_metadata`` of a database catalog DAG: the whole source, or its critical subset."""
    from include.catalog import tasks

    scope = run_scope(params, dag_run)
    if scope == SCOPE_FULL:
        summary = tasks.ingest(kind, conn_id, params=params, dag_run=_without_scope(dag_run))
        summary["scope"] = {"scope": scope, "patterns": []}
        return summary
    patterns = _critical_patterns(kind, conn_id, params, dag_run)
    options = _critical_options(kind, conn_id, patterns)
    log.info("critical refresh of %s: %s (no soft deletes)", conn_id, ", ".join(patterns) or "the whole source")
    summary = tasks.ingest(kind, conn_id, params=None, dag_run=_without_scope(dag_run), options=options)
    summary["scope"] = {"scope": scope, "patterns": list(patterns)}
    return summary


# ---------------------------------------------------------------------------- the critical DAG


def should_trigger(dag_id: str, ti: Any = None) -> bool:
    """Short-circuit of ``catalog_critical_refresh``: trigger ``dag_id`` unless paused or already queued.

    A paused catalog DAG was paused on purpose; a queued run (waiting for the running one,
    e.g. the nightly) already covers what a new run would do.
    """
    dag = ti.get_dag(dag_id)
    if dag.is_paused:
        log.info("%s is paused: no critical refresh (unpause it to refresh it)", dag_id)
        return False
    queued = ti.get_dr_count(dag_id=dag_id, states=["queued"])
    if queued:
        log.info("%s already has %d queued run(s): they refresh it as soon as the running one ends", dag_id, queued)
        return False
    running = ti.get_dr_count(dag_id=dag_id, states=["running"])
    if running:
        log.info("%s is running: the critical run waits for it (max_active_runs=1)", dag_id)
    return True


# ---------------------------------------------------------------------------- the asset refresh


def catalog_dags_of_assets(triggering_asset_events: Any, params: Mapping[str, Any] | None) -> list[str]:
    """Catalog DAG ids of the sources whose tables this asset refresh is about to ingest."""
    from include.catalog import refresh

    uris, _ = refresh.collect_events(triggering_asset_events, params)
    if not uris:
        return []
    plan = refresh_plan()
    by_conn = refresh.plan(uris, refresh.asset_services())
    return sorted({s.dag_id for conn_id in by_conn if (s := plan.source_of_conn(conn_id)) is not None})


def source_catalogs_idle(triggering_asset_events: Any = None, params: Mapping[str, Any] | None = None,
                         ti: Any = None) -> bool:
    """Sensor of ``catalog_refresh_assets``: True when no run of the sources' catalog DAGs is running.

    A full run lists a source's tables, then soft-deletes the catalog's tables it did not
    list. A table an ETL creates during that run, catalogued by the asset refresh meanwhile,
    would be soft-deleted by it. Waiting for the running catalog run is enough: a catalog run
    that starts after this check lists the source after the table was created (the Asset
    event comes after the write), so it sees the table.
    """
    from include.errors import DatakitError

    try:
        dag_ids = catalog_dags_of_assets(triggering_asset_events, params)
    except DatakitError as exc:  # refresh_tables reports it, with the same message
        log.warning("cannot map the Assets to sources (%s); refresh_tables will say why", exc)
        return True
    busy = [d for d in dag_ids if ti.get_dr_count(dag_id=d, states=["running"])]
    if busy:
        log.info("waiting: %s running (a full run must not overlap a refresh of its source)", ", ".join(busy))
        return False
    log.info("no catalog run of %s is running", ", ".join(dag_ids) or "these sources")
    return True
