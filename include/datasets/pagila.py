"""The pagila database as DAGs refer to it: catalog tables (lineage) and Assets (scheduling).

One place for the names, so an ETL's inlets/outlets, the data-aware catalog refresh and
the tests agree. Light: safe to import in DAG files.
"""

from __future__ import annotations

from include.lineage.assets import table_asset
from include.lineage.xlets import om_table
from include.settings import get_settings

_settings = get_settings()
SERVICE = _settings.conn_ids.pagila  # the OpenMetadata service is named after the connection
DATABASE = "pagila"


def table(name: str, schema: str = "public", key: str = "default") -> str:
    """``pagila_postgres.pagila.<schema>.<name>`` for inlets/outlets (see ``om_table`` for ``key``)."""
    return om_table(service=SERVICE, database=DATABASE, schema=schema, table=name, key=key)


def asset(name: str, schema: str = "analytics"):
    """The Asset of a pagila table (URI host:port from DATAKIT_PAGILA_HOSTPORT)."""
    return table_asset(scheme="postgres", hostport=_settings.asset_hosts.pagila, database=DATABASE,
                       schema=schema, table=name)


FILM_REVENUE = asset("film_revenue")
CATEGORY_REVENUE = asset("category_revenue")
STORE_REVENUE = asset("store_revenue")  # written by the explicit-lineage example, which catalogues it itself
# Tables this datakit's ETLs write: the data-aware catalog refresh listens to these.
PRODUCED = (FILM_REVENUE, CATEGORY_REVENUE)
