"""Descriptions back to the source: OpenMetadata descriptions become the database's comments.

One module per concern: ``catalog`` (read OpenMetadata), ``postgres`` / ``mssql`` (read the
current comments in one query, the write statements), ``plan`` (the diff, in memory),
``pool`` (parallel writes, one connection per worker), ``report`` (summary and log table),
``sync`` (one database end to end), ``settings``, ``tasks`` (Airflow callables), ``dag``
(the DAGs' shape). See docs/descriptions-sync.md.
"""
