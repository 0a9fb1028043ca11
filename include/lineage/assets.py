"""Airflow Assets that name database tables, for outlets and data-aware schedules."""

from __future__ import annotations

from include.lineage.xlets import ASSET_SCHEMES, table_asset_uri


def table_asset(*, scheme: str, hostport: str, database: str, schema: str, table: str):
    """An ``Asset`` with the URI Airflow's postgres/mssql providers expect:
    ``postgres://host:port/database/schema/table``."""
    from airflow.sdk import Asset

    if scheme not in ASSET_SCHEMES:
        raise ValueError(f"table_asset: scheme {scheme!r} is not one of {sorted(ASSET_SCHEMES)}")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"table_asset: {hostport!r} is not host:port")
    return Asset(uri=table_asset_uri(scheme, host, int(port), database, schema, table))
