"""Settings of the description sync, each overridable by an environment variable.

Light (standard library and ``include.settings`` only): the DAG files import it at parse time.

=========================================  ========  ===================================================
``DATAKIT_DESCRIPTIONS_WORKERS``            4         parallel writers (one database connection each)
``DATAKIT_DESCRIPTIONS_LOCK_TIMEOUT_MS``    2000      how long one object's write waits for a lock
``DATAKIT_DESCRIPTIONS_SCHEMA_BATCHES``     1         Airflow tasks the schemas are split into (mapping)
``DATAKIT_DESCRIPTIONS_PAGILA_CONN_ID``     (catalog) connection that writes pagila's comments
``DATAKIT_DESCRIPTIONS_MSSQL_CONN_ID``      (catalog) connection that writes SQL Server's properties
=========================================  ========  ===================================================

The OpenMetadata service read is always the one the catalog DAG writes (named after the
catalog's connection); the write connection defaults to that same connection. A catalog
connection is often read-only: point ``..._CONN_ID`` at a login that owns the objects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from include.settings import env_int, get_settings

def _text(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


@dataclass(frozen=True)
class SyncSettings:
    workers: int = field(default_factory=lambda: env_int("DATAKIT_DESCRIPTIONS_WORKERS", 4, 1, 32))
    lock_timeout_ms: int = field(default_factory=lambda: env_int("DATAKIT_DESCRIPTIONS_LOCK_TIMEOUT_MS", 2000, 1, 600000))
    schema_batches: int = field(default_factory=lambda: env_int("DATAKIT_DESCRIPTIONS_SCHEMA_BATCHES", 1, 1, 64))
    pagila_conn_id: str = field(
        default_factory=lambda: _text("DATAKIT_DESCRIPTIONS_PAGILA_CONN_ID", get_settings().conn_ids.pagila))
    mssql_conn_id: str = field(
        default_factory=lambda: _text("DATAKIT_DESCRIPTIONS_MSSQL_CONN_ID", get_settings().conn_ids.mssql))


def sync_settings() -> SyncSettings:
    return SyncSettings()
