"""Run a project DAG for real with ``dag.test()`` and collect states, XComs and logs."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parents[2]


@dataclass
class DagRunResult:
    state: str
    task_states: dict[str, str]
    xcoms: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


@contextmanager
def dag_runs_removed_after() -> Iterator[None]:
    """DAG runs created inside the block are deleted after it (with their task instances and
    XComs): the metadata DB lives for the whole session, and tests compare lists of runs."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select

    with create_session() as session:
        before = set(session.scalars(select(DagRun.id)))
    try:
        yield
    finally:
        with create_session() as session:
            session.execute(delete(DagRun).where(DagRun.id.not_in(before)))


def without_task_retries(monkeypatch) -> None:
    """For one test, ``load_dag`` (and so ``run_dag``) gives every task ``retries=0``: a failed task
    fails now (``dag.test`` would otherwise sleep through the catalog DAGs' 2-minute retry delay)."""
    import sys

    module = sys.modules[__name__]
    original = module.load_dag

    def load_dag(dag_id: str):
        dag = original(dag_id)
        for task in dag.tasks:
            task.retries = 0
        return dag

    monkeypatch.setattr(module, "load_dag", load_dag)


def load_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(REPO / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def run_dag(dag_id: str, conf: dict[str, Any] | None = None) -> DagRunResult:
    """One real DAG run in this process (Airflow's in-process executor and metadata DB)."""
    import time

    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dag = load_dag(dag_id)
    started = time.monotonic()
    dag_run = dag.test(run_conf=conf)
    seconds = time.monotonic() - started
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    xcoms: dict[str, Any] = {}
    with create_session() as session:
        rows = session.execute(
            select(XComModel.task_id, XComModel.value).where(
                XComModel.dag_id == dag_id, XComModel.run_id == dag_run.run_id, XComModel.key == "return_value"
            )
        ).all()
        for task_id, value in rows:
            xcoms[task_id] = XComModel.deserialize_value(type("R", (), {"value": value})())
    return DagRunResult(state=str(dag_run.state), task_states=states, xcoms=xcoms, seconds=seconds)
