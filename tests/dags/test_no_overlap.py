"""Nightly and critical runs of a source never run at once, and a critical run is small: for real.

* Airflow's own scheduler code (``SchedulerJobRunner._start_queued_dagruns``, what the
  scheduler loop calls) against the project's serialized DAGs: a critical run of
  ``catalog_pagila`` stays queued while its nightly runs, and starts when it ends.
* ``catalog_critical_refresh`` run with ``dag.test()``: it triggers a queued critical run of
  ``catalog_pagila``, and no second one while that one waits; a paused source is skipped.
* A critical run of ``catalog_pagila`` on a real pagila into the emulator: only the critical
  tables, and no soft deletes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from openmetadata_emulator.client import Catalog
from tests.support.airflow_run import run_dag

pytestmark = pytest.mark.integration

NIGHTLY = datetime(2026, 3, 1, 2, tzinfo=timezone.utc)


@pytest.fixture
def synced(airflow_db):
    """The project's DAGs serialized into the metadata DB (as the DAG processor does); runs cleaned up."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    manager = DagBundlesManager()
    with create_session() as session:
        manager.sync_bundles_to_db(session=session)
    for bundle in manager.get_all_dag_bundles():
        if not bundle.is_initialized:
            bundle.initialize()
        sync_bag_to_db(BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name),
                       bundle.name, bundle.version)
    with create_session() as session:
        paused = dict(session.execute(select(DagModel.dag_id, DagModel.is_paused)).all())
        max_runs = dict(session.execute(select(DagModel.dag_id, DagModel.max_active_runs)).all())
    yield
    with create_session() as session:  # DAGs paused as other tests expect (runs: tests/conftest.py)
        for dag_model in session.scalars(select(DagModel).where(DagModel.dag_id.in_(paused))):
            dag_model.is_paused = paused[dag_model.dag_id]
            dag_model.max_active_runs = max_runs[dag_model.dag_id]


def create_run(dag_id: str, run_id: str, state: str, *, scheduled: bool = False, conf=None,
               when: datetime = NIGHTLY):
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    with create_session() as session:
        dag = SerializedDagModel.get_dag(dag_id, session=session)
        dag.create_dagrun(
            run_id=run_id, logical_date=when if scheduled else None,
            data_interval=(when, when) if scheduled else None, run_after=when, conf=conf,
            run_type=DagRunType.SCHEDULED if scheduled else DagRunType.MANUAL,
            triggered_by=DagRunTriggeredByType.TIMETABLE if scheduled else DagRunTriggeredByType.OPERATOR,
            state=state, session=session)


def run_states(*dag_ids: str) -> dict[str, str]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return {r.run_id: str(r.state) for r in session.scalars(select(DagRun).where(DagRun.dag_id.in_(dag_ids)))}


def scheduler_starts_queued_runs() -> None:
    """One pass of the scheduler's "start queued DAG runs" step, Airflow's own code."""
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.utils.session import create_session

    runner = SchedulerJobRunner(job=Job())
    with create_session() as session:
        runner._start_queued_dagruns(session)


def finish(run_id: str, state: str = "success") -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalars(select(DagRun).where(DagRun.run_id == run_id)).one()
        run.state = state


def test_critical_run_waits_for_the_nightly_of_its_source(synced):
    unpause("catalog_pagila")  # the scheduler starts no run of a paused DAG
    unpause("catalog_mssql")
    create_run("catalog_pagila", "scheduled__nightly", "running", scheduled=True)
    create_run("catalog_pagila", "critical__1", "queued", conf={"scope": "critical"},
               when=NIGHTLY + timedelta(hours=2))
    # Control: another source's run is not held by pagila's nightly.
    create_run("catalog_mssql", "manual__mssql", "queued", when=NIGHTLY + timedelta(hours=2))

    scheduler_starts_queued_runs()
    assert run_states("catalog_pagila") == {"scheduled__nightly": "running", "critical__1": "queued"}
    assert run_states("catalog_mssql") == {"manual__mssql": "running"}

    scheduler_starts_queued_runs()  # still waiting, however often the scheduler looks
    assert run_states("catalog_pagila")["critical__1"] == "queued"

    finish("scheduled__nightly")
    scheduler_starts_queued_runs()
    assert run_states("catalog_pagila") == {"scheduled__nightly": "success", "critical__1": "running"}

    # And the other way round: a nightly that comes while a critical run works waits too.
    create_run("catalog_pagila", "scheduled__next", "queued", scheduled=True, when=NIGHTLY + timedelta(days=1))
    scheduler_starts_queued_runs()
    assert run_states("catalog_pagila")["scheduled__next"] == "queued"

    # What holds it is max_active_runs=1: with 2, the scheduler would start it alongside.
    set_max_active_runs("catalog_pagila", 2)
    scheduler_starts_queued_runs()
    assert run_states("catalog_pagila") == {"scheduled__nightly": "success", "critical__1": "running",
                                            "scheduled__next": "running"}


def set_max_active_runs(dag_id: str, value: int) -> None:
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        session.scalars(select(DagModel).where(DagModel.dag_id == dag_id)).one().max_active_runs = value


def unpause(dag_id: str, paused: bool = False) -> None:
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        session.scalars(select(DagModel).where(DagModel.dag_id == dag_id)).one().is_paused = paused


def critical_runs_of_pagila() -> list:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        runs = session.scalars(select(DagRun).where(DagRun.dag_id == "catalog_pagila",
                                                    DagRun.run_id.like("critical__%"))).all()
        return [(r.run_id, str(r.state), dict(r.conf or {})) for r in runs]


def test_critical_refresh_dag_triggers_the_sources_own_dag(synced):
    unpause("catalog_pagila")
    first = run_dag("catalog_critical_refresh")
    assert first.state == "success", first.task_states
    assert first.task_states == {"skip_if_busy_pagila": "success", "trigger_pagila": "success"}
    [(run_id, state, conf)] = critical_runs_of_pagila()
    assert run_id.startswith("critical__manual__") and state == "queued" and conf == {"scope": "critical"}

    # The triggered run still waits (here: no scheduler): the next critical refresh adds no second one.
    second = run_dag("catalog_critical_refresh")
    assert second.task_states == {"skip_if_busy_pagila": "success", "trigger_pagila": "skipped"}
    assert len(critical_runs_of_pagila()) == 1

    # A paused source DAG is left alone.
    finish(run_id)
    unpause("catalog_pagila", paused=True)
    third = run_dag("catalog_critical_refresh")
    assert third.task_states["trigger_pagila"] == "skipped"
    assert len(critical_runs_of_pagila()) == 1


@pytest.mark.slow
def test_critical_run_catalogues_only_the_critical_tables_and_deletes_nothing(synced, pagila_db, om_connection):
    catalog = Catalog(om_connection.url)
    schema = "pagila_postgres.pagila.public"

    def tables() -> set[str]:
        return {t["name"] for t in catalog.list_all("tables", databaseSchema=schema)}

    critical = run_dag("catalog_pagila", conf={"scope": "critical"})
    assert critical.state == "success", critical.task_states
    summary = critical.xcoms["ingest_metadata"]
    assert summary["scope"] == {"scope": "critical", "patterns": ["pagila_postgres.pagila.public.payment*",
                                                                  "pagila_postgres.pagila.public.rental"]}
    assert critical.xcoms["preflight"]["scope"]["scope"] == "critical"
    # payment is partitioned: the SDK catalogues it once, without its payment_p* partitions.
    assert tables() == {"payment", "rental"}
    assert catalog.list_all("storedProcedures", databaseSchema=schema) == []

    full = run_dag("catalog_pagila")
    assert full.state == "success" and full.xcoms["ingest_metadata"]["scope"]["scope"] == "full"
    everything = tables()
    assert {"payment", "rental", "film", "film_category", "actor"} <= everything

    # A critical run never soft-deletes: a dropped table stays until the next full run.
    pagila_db.psql("DROP TABLE public.film_category CASCADE", database="pagila")
    again = run_dag("catalog_pagila", conf={"scope": "critical"})
    assert again.state == "success"
    assert tables() == everything
    print(f"\ncatalog_pagila: critical run {critical.seconds:.1f} s, full run {full.seconds:.1f} s")
