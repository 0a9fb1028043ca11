"""The pagila database as DAGs refer to it: catalog tables (lineage) and Assets (scheduling).

One place for the names, so an ETL's inlets/outlets, the data-aware catalog refresh and
the tests agree. Light: safe to import in DAG files (``airflow_openmetadata_lineage`` is the
standard library until used; its ``table_asset`` builds an ``airflow.sdk`` Asset).

The table Assets carry their OpenMetadata service (``pagila_postgres``, named after the
connection), so neither the lineage listener nor the asset refresh needs their URI's
host:port to equal the connection's: ``DATAKIT_PAGILA_HOSTPORT`` only names the Assets.
"""

from __future__ import annotations

from typing import Any

from airflow_openmetadata_lineage import om_table, table_asset

from include.settings import get_settings

_settings = get_settings()
SERVICE = _settings.conn_ids.pagila  # the OpenMetadata service is named after the connection
DATABASE = "pagila"
HOSTPORT = _settings.asset_hosts.pagila


def table(name: str, schema: str = "public", key: str = "default") -> str:
    """``pagila_postgres.pagila.<schema>.<name>`` for inlets/outlets (see ``om_table`` for ``key``)."""
    return om_table(service=SERVICE, database=DATABASE, schema=schema, table=name, key=key)


def asset(name: str, schema: str = "analytics") -> Any:
    """The Asset of a pagila table: ``postgres://<DATAKIT_PAGILA_HOSTPORT>/pagila/<schema>/<name>``,
    carrying its service."""
    return table_asset(scheme="postgres", hostport=HOSTPORT, database=DATABASE, schema=schema, table=name,
                       service=SERVICE)


FILM_REVENUE = asset("film_revenue")
CATEGORY_REVENUE = asset("category_revenue")
STORE_REVENUE = asset("store_revenue")  # written by the explicit-lineage example, which catalogues it itself
# Tables this datakit's ETLs write: the data-aware catalog refresh listens to these.
PRODUCED = (FILM_REVENUE, CATEGORY_REVENUE)
# Every table Asset of this module: the refresh maps their URIs to the connection.
ASSETS = (FILM_REVENUE, CATEGORY_REVENUE, STORE_REVENUE)
