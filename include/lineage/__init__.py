"""Lineage for OpenMetadata from Airflow 3 tasks: table references for inlets/outlets.

    from include.lineage import om_table
    PythonOperator(..., inlets=[om_table("pagila_postgres.pagila.public.film")],
                   outlets=[om_table("pagila_postgres.pagila.analytics.film_revenue")])

The listener (``include.lineage.listener``, registered by ``plugins/datakit_lineage.py``)
sends each successful task's inlets x outlets as table lineage. Light to import.
"""

from include.lineage.xlets import OMTable, om_table, table_asset_uri

__all__ = ["OMTable", "om_table", "table_asset_uri"]
