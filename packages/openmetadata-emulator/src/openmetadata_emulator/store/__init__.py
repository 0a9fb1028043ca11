"""The emulator's in-memory entity store, one mixin per resource family.

* ``base``: collections, indexes, lookups, SDK-model validation, the ``RLock``
* ``entities``: Create request -> stored entity (references, derived fields, merge, versions)
* ``writes``: upsert, bulk, patch, delete, restore, deleteStale
* ``reads``: get, list, render; read helpers for tests (``get``, ``entities``, ``count``)
* ``runs``: ingestion/pipeline statuses, progress, metrics, settings, pipeline observability
* ``lineage``: the lineage graph
* ``usage``: usage counts per day and ``usageSummary`` (wraps ``render`` and the state file)
* ``state``: the JSON state file, ``clear``

Every public method takes the store's lock; the HTTP layer never touches the dicts directly.
"""

from __future__ import annotations

from .base import ApiError, StoreBase, int_param, now_ms, parse
from .lineage import LineageStore
from .reads import EntityReads
from .runs import PipelineRuns
from .state import STATE_FORMAT, StatePersistence
from .usage import UsageStore
from .writes import EntityWrites

__all__ = ["STATE_FORMAT", "ApiError", "Store", "int_param", "now_ms", "parse"]


class Store(EntityWrites, UsageStore, EntityReads, PipelineRuns, LineageStore, StatePersistence, StoreBase):
    """Thread-safe entity store (one RLock) shaped like the real server's responses."""
