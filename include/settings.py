"""The datakit's settings: every default in one place.

Endpoints and secrets never live here: they come from Airflow Connections (see
``ConnIds``). What lives here are names, schedules and limits, each overridable by
an environment variable so a deployment changes them without editing code.

Light on purpose: importing this module must stay cheap (DAG files import it at
parse time), so it uses only the standard library.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

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


@dataclass(frozen=True)
class Schedules:
    """When the catalog refreshes (cron, in the Airflow timezone)."""

    nightly: str = field(default_factory=lambda: _env("DATAKIT_SCHEDULE_NIGHTLY", "0 2 * * *"))


@dataclass(frozen=True)
class AssetHosts:
    """``host:port`` of each source as its table Assets' URIs name it.

    Asset URIs are fixed when a DAG is parsed, where connections must not be read, so
    the authority comes from here; it must equal the connection's host:port, which is
    how the lineage listener and the asset refresh map an Asset back to its source.
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
    asset_hosts: AssetHosts = field(default_factory=AssetHosts)
    client: ClientLimits = field(default_factory=ClientLimits)
    tasks: TaskDefaults = field(default_factory=TaskDefaults)
    tags: tuple[str, ...] = ("datakit", "openmetadata", "catalog")


def get_settings() -> DatakitSettings:
    """Settings as the environment has them now (cheap; read at DAG parse and in tasks)."""
    return DatakitSettings()
