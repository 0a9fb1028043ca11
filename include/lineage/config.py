"""The lineage listener's settings, from one place.

Each setting is read, in order, from the environment variable ``DATAKIT_LINEAGE_<NAME>``,
then Airflow's config section ``[datakit_lineage]`` (``AIRFLOW__DATAKIT_LINEAGE__<NAME>``
or ``airflow.cfg``), then the default below. The OpenMetadata endpoint and token come
from the ``openmetadata_default`` connection, like every other part of the datakit.

==========================  =====================  ==================================================
name                        default                meaning
==========================  =====================  ==================================================
``enabled``                 ``true``               kill switch: ``false`` -> the listener does nothing
``timeout_seconds``         ``3``                  most time one task's lineage may add to the task
``pipeline_service``        ``datakit_airflow``    OpenMetadata pipeline service of this Airflow
``openmetadata_conn_id``    ``openmetadata_default``  connection of the OpenMetadata server
``asset_services``          ``{}``                 JSON ``{"host:port/database": "<db service>"}``
``asset_connections``       ``pagila_postgres,mssql_corp``  connections whose host:port/database map
                                                   to a service named like the connection
``airflow_base_url``        ``[api] base_url``     links from OpenMetadata back to Airflow
==========================  =====================  ==================================================
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

SECTION = "datakit_lineage"


def _raw(name: str) -> str | None:
    value = os.environ.get(f"DATAKIT_LINEAGE_{name.upper()}")
    if value is not None and value.strip():
        return value.strip()
    try:
        from airflow.configuration import conf

        value = conf.get(SECTION, name, fallback=None)
    except Exception:  # no Airflow config here (a plain script): defaults apply
        value = None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    return raw.lower() not in {"false", "0", "no", "off"}


def _float(name: str, default: float) -> float:
    raw = _raw(name)
    try:
        return max(0.1, float(raw)) if raw is not None else default
    except ValueError:
        return default


def _base_url() -> str | None:
    raw = _raw("airflow_base_url")
    if raw:
        return raw.rstrip("/")
    try:
        from airflow.configuration import conf

        value = conf.get("api", "base_url", fallback=None)
    except Exception:
        value = None
    return value.rstrip("/") if value else None


@dataclass(frozen=True)
class LineageConfig:
    enabled: bool = True
    timeout_seconds: float = 3.0
    pipeline_service: str = "datakit_airflow"
    openmetadata_conn_id: str = "openmetadata_default"
    asset_services: dict[str, str] = field(default_factory=dict)
    asset_connections: tuple[str, ...] = ("pagila_postgres", "mssql_corp")
    airflow_base_url: str | None = None

    @classmethod
    def load(cls) -> "LineageConfig":
        raw_services = _raw("asset_services")
        services: dict[str, Any] = {}
        if raw_services:
            try:
                services = json.loads(raw_services)
            except json.JSONDecodeError:
                services = {}
            if not isinstance(services, dict):
                services = {}
        connections = _raw("asset_connections")
        return cls(
            enabled=_bool("enabled", True),
            timeout_seconds=_float("timeout_seconds", 3.0),
            pipeline_service=_raw("pipeline_service") or "datakit_airflow",
            openmetadata_conn_id=_raw("openmetadata_conn_id") or "openmetadata_default",
            asset_services={str(k): str(v) for k, v in services.items()},
            asset_connections=tuple(c.strip() for c in connections.split(",") if c.strip())
            if connections is not None
            else cls.asset_connections,
            airflow_base_url=_base_url(),
        )


def asset_service_map(config: LineageConfig, get_connection=None) -> dict[str, str]:
    """``host:port/database -> service``: the explicit map, plus one entry per listed connection.

    A connection that does not exist is skipped (a datakit may not use SQL Server).
    """
    mapping: dict[str, str] = {}
    if get_connection is None:
        from include.connections import get_connection
    defaults = {"postgres": 5432, "mssql": 1433}
    for conn_id in config.asset_connections:
        try:
            conn = get_connection(conn_id)
        except Exception:
            continue
        if conn.host and conn.schema:
            port = conn.port or defaults.get(conn.conn_type or "", 0)
            mapping[f"{conn.host}:{port}/{conn.schema}"] = conn_id
    mapping.update(config.asset_services)
    return mapping
