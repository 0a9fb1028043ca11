"""Fault suite fixtures: DAG runs without task retries, and a clean catalog to compare with.

The fixtures ``airflow_db``, ``pg_cluster``, ``pagila_db``, ``om_connection`` and
``om_emulator_factory`` come from ``tests/conftest.py``; helpers live in ``helpers.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.reliability.helpers import SERVICE, Catalog, DagRun, set_om_connection


@pytest.fixture(scope="session")
def warm_dag_runs(airflow_db):
    """One throwaway in-process DAG run, so timed runs do not pay Airflow's first-task
    start-up (~10 s of imports and the in-process execution API). It stops in its
    preflight on a bad regex, before any connection or network use."""
    from tests.support import airflow_run

    dag = airflow_run.load_dag("catalog_pagila")
    for task in dag.tasks:
        task.retries = 0
    with airflow_run.dag_runs_removed_after():
        dag.test(run_conf={"schema_filter": ["("]})


@pytest.fixture
def no_task_retries(monkeypatch, warm_dag_runs):
    """``run_dag`` with every task's retries at 0: a failed task fails now (dag.test would
    otherwise sleep through the 2-minute retry delay of the catalog DAGs). The runs are
    deleted afterwards."""
    from tests.support import airflow_run

    airflow_run.without_task_retries(monkeypatch)
    return airflow_run.run_dag  # the runs are deleted after the test (tests/conftest.py)


_CLEAN: dict[str, Any] = {}


@pytest.fixture
def clean_catalog(pagila_db, om_emulator_factory, monkeypatch):
    """What one clean ingestion of (an untouched copy of) pagila writes, read back over HTTP.

    Computed once per session on its own emulator; every ``pagila_db`` is a fresh copy of
    the same template, so it is the reference for "a re-run repairs everything".
    """
    if not _CLEAN:
        from include.catalog.tasks import ingest

        emulator = om_emulator_factory()
        with monkeypatch.context() as patch:
            set_om_connection(patch, emulator.url)
            ingest("postgres", SERVICE, dag_run=DagRun())
        _CLEAN["snapshot"] = Catalog(emulator.url).snapshot()
        _CLEAN["tables"] = emulator.store.count("tables")
        emulator.stop()
    return _CLEAN
