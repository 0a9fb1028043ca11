"""Airflow Assets that name database tables, and their OpenMetadata service.

A table Asset's URI is ``postgres://host:port/database/schema/table`` (or ``mssql://...``),
the form Airflow's postgres/mssql providers normalise to. Which OpenMetadata database service
holds that table is found, in this order:

1. the Asset's own ``extra["openmetadata_service"]`` (``table_asset(..., service=...)`` sets it):
   nothing else has to agree with the URI's host:port;
2. the setting ``asset_services`` (``{"host:port/database": "<service>"}``);
3. the setting ``asset_connections``: a listed connection whose host:port/database equals the
   URI's maps to the service named like the connection (read when a task runs, never at parse).

The same mapping serves any ``scheme://host:port`` + ``database.schema.table`` dataset name
(``service_for``), e.g. OpenLineage's, so SQL-derived lineage can reuse it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Mapping
from urllib.parse import unquote, urlsplit

from airflow_openmetadata_lineage.config import DEFAULT_PORTS, LineageConfig, normalise_service_key

ASSET_SCHEMES = DEFAULT_PORTS
SERVICE_EXTRA_KEY = "openmetadata_service"


def table_asset_uri(scheme: str, host: str, port: int, database: str, schema: str, table: str) -> str:
    """The Asset URI of a table, in the form Airflow's postgres/mssql providers normalise to."""
    return f"{scheme}://{host}:{port}/{database}/{schema}/{table}"


def table_asset(*, scheme: str, hostport: str, database: str, schema: str, table: str,
                service: str | None = None, name: str | None = None) -> Any:
    """An ``airflow.sdk.Asset`` naming a table: ``scheme://host:port/database/schema/table``.

    ``service``: the OpenMetadata database service of the table (kept in the Asset's ``extra``),
    so the listener needs no mapping setting and the URI's host:port is only the Asset's name.
    """
    from airflow.sdk import Asset

    if scheme not in ASSET_SCHEMES:
        raise ValueError(f"table_asset: scheme {scheme!r} is not one of {sorted(ASSET_SCHEMES)}")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"table_asset: {hostport!r} is not host:port")
    uri = table_asset_uri(scheme, host, int(port), database, schema, table)
    kwargs: dict[str, Any] = {"extra": {SERVICE_EXTRA_KEY: service}} if service else {}
    if name:
        kwargs["name"] = name
    return Asset(uri=uri, **kwargs)


def table_asset_service(asset: Any) -> str | None:
    """The OpenMetadata service an Asset carries (``table_asset(..., service=...)``), else None."""
    service = (getattr(asset, "extra", None) or {}).get(SERVICE_EXTRA_KEY)
    return service.strip() if isinstance(service, str) and service.strip() else None


@dataclass(frozen=True)
class TableAssetRef:
    """What a table Asset URI names: host:port/database (the service key) and schema.table."""

    scheme: str
    host: str
    port: int
    database: str
    schema: str
    table: str

    @property
    def service_key(self) -> str:
        return normalise_service_key(f"{self.host}:{self.port}/{self.database}")


def parse_table_asset_uri(uri: str) -> TableAssetRef | None:
    """A ``TableAssetRef`` when ``uri`` names a database table, else None."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme not in ASSET_SCHEMES or not parts.hostname:
        return None
    path = [unquote(p) for p in parts.path.split("/") if p]
    if len(path) != 3:
        return None
    database, schema, table = path
    return TableAssetRef(scheme, parts.hostname, parts.port or ASSET_SCHEMES[scheme], database, schema, table)


def asset_service_map(config: LineageConfig | None = None,
                      get_connection: Callable[[str], Any] | None = None) -> dict[str, str]:
    """``host:port/database -> service``: one entry per ``asset_connections`` connection, then the
    explicit ``asset_services`` (which wins). A listed connection that does not exist is skipped."""
    config = config or LineageConfig.load()
    if get_connection is None:
        from airflow_openmetadata_lineage.connection import get_connection
    mapping: dict[str, str] = {}
    for conn_id in config.asset_connections:
        try:
            conn = get_connection(conn_id)
        except Exception:
            continue
        if conn.host and conn.schema:
            port = conn.port or DEFAULT_PORTS.get(conn.conn_type or "", 0)
            mapping[normalise_service_key(f"{conn.host}:{port}/{conn.schema}")] = conn_id
    mapping.update(config.asset_services)
    return mapping


class AssetServices:
    """The Asset -> service mapping of the settings, read once and only when first needed."""

    def __init__(self, config: LineageConfig | None = None, mapping: Mapping[str, str] | None = None,
                 get_connection: Callable[[str], Any] | None = None) -> None:
        self._config = config
        self._mapping = ({normalise_service_key(k): v for k, v in mapping.items()}
                         if mapping is not None else None)
        self._get_connection = get_connection

    @property
    def mapping(self) -> dict[str, str]:
        if self._mapping is None:
            self._mapping = asset_service_map(self._config, self._get_connection)
        return self._mapping

    def service_for(self, ref: TableAssetRef, extra: Mapping[str, Any] | None = None) -> str | None:
        """The service of a table: the Asset's extra first, then the settings' mapping."""
        service = table_asset_service(SimpleNamespace(extra=extra))
        return service or self.mapping.get(ref.service_key)
