"""A source's catalog refresh and its depth workflows never run at the same time, in either order.

The depth DAGs (``profile_*``, ``query_log_*``) start with ``wait_for_catalog``
(``include.profiling.tasks``): they wait while the source's catalog DAG has a run queued or
running. This module is the other direction: a catalog DAG that has depth DAGs starts with
``wait_for_depth``, a sensor that waits while one of their *work* tasks (``DEPTH_WORK_TASKS``) is
scheduled, queued, running or waiting for a retry: a catalog run triggered by hand, or a
critical refresh, while a profile runs would upsert (and soft-delete) the tables the profiler
is writing profiles and tags to.

It counts work tasks, not runs: a depth run still in its own ``wait_for_catalog`` is waiting
for *this* catalog run, and counting it would deadlock the two. If both start in the same
second, the depth run's sensor sees the catalog run and waits, and this one passes.

Imported at parse time by ``include.catalog.dag_defaults``: standard library only.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)

# The depth DAGs of each catalog DAG. tests/dags/test_no_overlap_depth.py checks this against the
# DAGs themselves: each depth DAG's ``wait_for_catalog`` names its catalog DAG here, and back.
DEPTH_DAGS: dict[str, tuple[str, ...]] = {
    "catalog_pagila": ("profile_pagila", "query_log_pagila"),
    "catalog_mssql": ("profile_mssql", "query_log_mssql"),
}
# The tasks of a depth DAG that read the source and write to its tables in OpenMetadata.
DEPTH_WORK_TASKS = ("profile", "classify", "lineage", "usage")
# Task states that mean "running now or about to": up_for_retry too, so a retry never lands
# in the middle of a refresh.
BUSY_STATES = ("scheduled", "queued", "running", "up_for_retry")
# Both sensors (wait_for_catalog, wait_for_depth): reschedule mode (no worker slot held while
# waiting), how often they look, and how long before the run fails (and alerts).
WAIT_POKE_SECONDS = 300
WAIT_TIMEOUT = timedelta(hours=6)


def busy_depth_tasks(ti: Any, catalog_dag_id: str) -> dict[str, int]:
    """``{depth DAG id: number of its work tasks busy}`` for the depth DAGs of ``catalog_dag_id``."""
    busy = {}
    for dag_id in DEPTH_DAGS.get(catalog_dag_id, ()):
        count = ti.get_ti_count(dag_id=dag_id, task_ids=list(DEPTH_WORK_TASKS), states=list(BUSY_STATES))
        if count:
            busy[dag_id] = count
    return busy


def wait_for_depth(catalog_dag_id: str, ti: Any = None) -> bool:
    """Sensor: True once no depth DAG of ``catalog_dag_id`` has a work task busy."""
    busy = busy_depth_tasks(ti, catalog_dag_id)
    if busy:
        names = ", ".join(f"{dag_id} ({count} task(s) of {'/'.join(DEPTH_WORK_TASKS)})" for dag_id, count in busy.items())
        log.info("waiting: %s busy; %s never refreshes a source while it is profiled or its query log is read",
                 names, catalog_dag_id)
        return False
    log.info("no depth DAG of %s is busy (%s)", catalog_dag_id, ", ".join(DEPTH_DAGS.get(catalog_dag_id, ())))
    return True
