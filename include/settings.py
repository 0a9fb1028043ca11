"""The datakit's settings: every default in one place.

Endpoints and secrets never live here: they come from Airflow Connections (see
``ConnIds``). What lives here are names, schedules and limits, each overridable by
an environment variable so a deployment changes them without editing code.

Light on purpose: importing this module must stay cheap (DAG files import it at
parse time), so it uses only the standard library.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

# SQL files of the datakit's ETL DAGs (template_searchpath).
REPO_SQL = Path(__file__).resolve().parent / "sql"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from exc


@dataclass(frozen=True)
class ConnIds:
    """Airflow connection ids, the only place endpoints and secrets come from."""

    openmetadata: str = "openmetadata_default"
    pagila: str = "pagila_postgres"
    mssql: str = "mssql_corp"
    airflow_metadata_db: str = "airflow_metadata_db"


def _env_json(name: str, default: Any) -> Any:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not valid JSON ({exc})") from None


# The critical subset by default: pagila's busiest tables (payments arrive all day, in
# monthly partitions of ``payment``; rentals too). Source key -> FQN patterns
# (``service.database[.schema[.table]]``, ``*`` and ``?`` wildcards); an empty list is
# the whole source. Sources left out get no critical refresh.
DEFAULT_CRITICAL_SUBSET: dict[str, tuple[str, ...]] = {
    "pagila": ("pagila_postgres.pagila.public.payment*", "pagila_postgres.pagila.public.rental"),
}


@dataclass(frozen=True)
class Schedules:
    """When the catalog refreshes: THE schedule config, read by every catalog DAG.

    Cron expressions in ``timezone``. Each field is overridable by an environment
    variable; ``include.catalog.schedules.refresh_plan`` validates them (a bad cron or an
    unknown source fails the DAG import, naming the variable).
    """

    # Full refresh of every catalog source (catalog_pagila, catalog_mssql, catalog_airflow).
    nightly: str = field(default_factory=lambda: _env("DATAKIT_SCHEDULE_NIGHTLY", "0 2 * * *"))
    # Critical refresh of ``critical_subset`` (the catalog_critical_refresh DAG).
    critical: str = field(default_factory=lambda: _env("DATAKIT_SCHEDULE_CRITICAL", "0 */4 * * *"))
    # JSON object in the environment, e.g. {"pagila": ["pagila_postgres.pagila.public.rental"], "airflow": []};
    # {} turns the critical refresh off.
    critical_subset: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: _env_json("DATAKIT_CRITICAL_SUBSET", DEFAULT_CRITICAL_SUBSET)
    )
    # The catalog_health DAG.
    health: str = field(default_factory=lambda: _env("DATAKIT_SCHEDULE_HEALTH", "15 * * * *"))
    # IANA name; the timezone of every cron above.
    timezone: str = field(default_factory=lambda: _env("DATAKIT_SCHEDULE_TIMEZONE", "UTC"))
    # When a nightly run in ``mode=auto`` is a full refresh instead of an incremental one: the
    # first run after each time of this cron (default Sunday 00:00, so Sunday's nightly is full).
    full_refresh: str = field(default_factory=lambda: _env("DATAKIT_SCHEDULE_FULL_REFRESH", "0 0 * * 0"))


def env_int(name: str, default: int, low: int, high: int) -> int:
    """A whole number from the environment variable ``name`` within [low, high], else ``default``;
    anything else is a ConfigError naming the variable and the range."""
    from include.errors import ConfigError

    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not an integer", f"set {low} to {high}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"{value} is out of range", f"set {low} to {high}")
    return value


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not a whole number") from exc


@dataclass(frozen=True)
class Refresh:
    """How a database catalog DAG refreshes a source (``include/incremental``)."""

    # A full refresh of more objects (tables + views) than this is split into shards of whole
    # schemas, one mapped ``ingest_shard`` task each (spread over the workers). 0: never shard
    # (the DAGs then have no shard tasks).
    objects_per_shard: int = field(default_factory=lambda: _env_int("DATAKIT_OBJECTS_PER_SHARD", 0))


@dataclass(frozen=True)
class Alerts:
    """Failure alerts to Slack, sent only when the connection exists (no connection: silent)."""

    # conn_type ``slackwebhook`` (password = the webhook URL) or ``slack`` (password = a bot
    # token; the message goes to ``slack_channel``).
    slack_conn_id: str = field(default_factory=lambda: _env("DATAKIT_ALERTS_SLACK_CONN_ID", "slack_default"))
    slack_channel: str = field(default_factory=lambda: _env("DATAKIT_ALERTS_SLACK_CHANNEL", "#data-platform-alerts"))
    # An alert must never hold a failing task for long.
    timeout_seconds: int = 10


@dataclass(frozen=True)
class AssetHosts:
    """``host:port`` of each source as its table Assets' URIs name it: a name, nothing more.

    Asset URIs are fixed when a DAG is parsed, where connections must not be read. The Assets
    of ``include/datasets`` carry their OpenMetadata service (named after the connection), so
    the lineage listener and the asset refresh reach the connection when they run, wherever it
    points: this value need not equal the connection's host:port.
    """

    pagila: str = field(default_factory=lambda: _env("DATAKIT_PAGILA_HOSTPORT", "pagila-db:5432"))


@dataclass(frozen=True)
class ClientLimits:
    """Limits of the OpenMetadata REST client, defaults for ``openmetadata_default`` extras.

    The SDK's own defaults are a 300 s read timeout and 3 retries of a 504 with
    30 s x attempt waits: a dead server would hold a task for minutes.
    """

    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    retries: int = 2
    retry_wait: float = 2.0
    # Preflight checks answer a user quickly: one short request, no retries.
    preflight_timeout: float = field(
        default_factory=lambda: _env_float("DATAKIT_PREFLIGHT_TIMEOUT_SECONDS", 5.0)
    )


@dataclass(frozen=True)
class TaskDefaults:
    """``default_args`` shared by every catalog DAG."""

    owner: str = field(default_factory=lambda: _env("DATAKIT_OWNER", "data-platform"))
    retries: int = 2
    retry_delay: timedelta = timedelta(minutes=2)
    retry_exponential_backoff: bool = True
    max_retry_delay: timedelta = timedelta(minutes=20)
    # A metadata run of one source that takes longer than this is stuck, not slow.
    execution_timeout: timedelta = timedelta(hours=3)

    def as_default_args(self) -> dict:
        return {
            "owner": self.owner,
            "retries": self.retries,
            "retry_delay": self.retry_delay,
            "retry_exponential_backoff": self.retry_exponential_backoff,
            "max_retry_delay": self.max_retry_delay,
            "execution_timeout": self.execution_timeout,
        }


@dataclass(frozen=True)
class DatakitSettings:
    conn_ids: ConnIds = field(default_factory=ConnIds)
    schedules: Schedules = field(default_factory=Schedules)
    alerts: Alerts = field(default_factory=Alerts)
    asset_hosts: AssetHosts = field(default_factory=AssetHosts)
    client: ClientLimits = field(default_factory=ClientLimits)
    tasks: TaskDefaults = field(default_factory=TaskDefaults)
    refresh: Refresh = field(default_factory=Refresh)
    tags: tuple[str, ...] = ("datakit", "openmetadata", "catalog")


def get_settings() -> DatakitSettings:
    """Settings as the environment has them now (cheap; read at DAG parse and in tasks)."""
    return DatakitSettings()
