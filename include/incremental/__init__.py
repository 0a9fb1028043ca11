"""Incremental metadata refresh: ingest only what changed since the last successful refresh.

How a refresh of a database source (``catalog_pagila``, ``catalog_mssql``) goes:

1. **Fingerprints** (``postgres.py``, ``mssql.py``): one catalog query per database, one round
   trip, gives a hash per table/view (columns, types, nullability, defaults, constraints and
   foreign keys, comments, view definition, partitioning, row policies; the owner when owners
   are ingested) and per schema (comment, stored procedures). ``fingerprint.py`` applies the
   run's filters exactly as the SDK does (its own ``filter_by_*`` functions and FQN builder).
2. **The mode** (``decide.py``): ``full`` on demand, when no fingerprints of a successful
   refresh exist, when they come from another SDK, datakit fingerprint format or other options,
   when the weekly full refresh is due (``DATAKIT_SCHEDULE_FULL_REFRESH``), or when the catalog
   does not look like the one the fingerprints describe (service recreated, tables missing);
   otherwise ``incremental``.
3. **Incremental** (``refresh.py``): the SDK's own ``MetadataWorkflow`` with FQN filters that
   select exactly the new and changed tables (and the schemas whose comment or procedures
   changed), ``markDeletedTables`` off (with a table filter the SDK would soft-delete every
   unchanged table of the schemas it visits), then the disappeared tables soft-deleted with
   the SDK's own ``delete_stale_entities``, scoped per schema with the full list of the
   schema's live tables: the very request a full refresh sends.
4. **State** (``state.py``): saved only after a successful refresh, in an **Airflow Variable**
   per source. See ``state.py`` for why there and not in OpenMetadata or XCom.
5. **Sharding** (``shards.py``): a full refresh of more objects than
   ``DATAKIT_OBJECTS_PER_SHARD`` runs as dynamic task mapping over groups of whole schemas.

Light at import: nothing here imports the SDK or Airflow at module level.
"""

# Bump when the fingerprint's content or the state's layout changes: older fingerprints then
# force one full refresh instead of being compared with different hashes.
FINGERPRINT_VERSION = 1
