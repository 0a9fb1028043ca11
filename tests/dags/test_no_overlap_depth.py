"""A catalog refresh never starts while its source is profiled or its query log read: for real.

The depth DAGs wait for the catalog (``wait_for_catalog``, tests/e2e/test_profile_pagila.py);
this is the other direction, ``wait_for_depth`` (``include/catalog/exclusive.py``):

* the wiring, from the parsed DAGs: every catalog DAG with depth DAGs starts with the sensor,
  and the sensor's list of depth DAGs and work tasks is the DAGs' own (no DAG or task forgotten);
* the sensor in a real ``dag.test()`` run of ``catalog_pagila`` (its refresh tasks marked
  successful, not run) against the real metadata DB, with a run of
  ``profile_pagila`` created by Airflow's own code: it waits while ``profile`` runs, passes
  once it ends, and does not wait for a depth run that is itself still waiting for the catalog
  (the two sensors never deadlock).
"""

from __future__ import annotations

import threading
import time

import pytest

from include.catalog.exclusive import DEPTH_DAGS, DEPTH_WORK_TASKS, busy_depth_tasks, wait_for_depth
from tests.dags.test_no_overlap import create_run, synced  # noqa: F401 - the fixture, shared
from tests.dags.test_schedules import dags


def test_every_catalog_with_depth_dags_waits_for_them_first():
    loaded = dags()
    for catalog_id, depth_ids in DEPTH_DAGS.items():
        catalog = loaded[catalog_id]
        wait = catalog.task_dict["wait_for_depth"]
        assert wait.mode == "reschedule" and wait.op_kwargs == {"catalog_dag_id": catalog_id}
        assert wait.python_callable is wait_for_depth
        assert catalog.task_dict["preflight"].upstream_task_ids == {"wait_for_depth"}
        assert wait.upstream_task_ids == set(), f"{catalog_id}: wait_for_depth must be the first task"
        for depth_id in depth_ids:
            depth = loaded[depth_id]
            assert depth.task_dict["wait_for_catalog"].op_kwargs == {"catalog_dag_id": catalog_id}
            work = set(depth.task_dict) - {"wait_for_catalog", "preflight"}
            # A work task added to a depth DAG but not to DEPTH_WORK_TASKS would run beside a refresh.
            assert work and work <= set(DEPTH_WORK_TASKS), f"{depth_id}: {sorted(work - set(DEPTH_WORK_TASKS))}"
    # And back: every DAG that waits for a catalog is listed under it.
    for dag_id, dag in loaded.items():
        if "wait_for_catalog" in dag.task_dict:
            catalog_id = dag.task_dict["wait_for_catalog"].op_kwargs["catalog_dag_id"]
            assert dag_id in DEPTH_DAGS.get(catalog_id, ()), f"{dag_id} is missing from DEPTH_DAGS[{catalog_id!r}]"
    # A catalog DAG without depth DAGs has no sensor to wait on.
    assert "wait_for_depth" not in loaded["catalog_airflow"].task_dict


class CountingTI:
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts, self.asked = counts, []

    def get_ti_count(self, *, dag_id, task_ids, states):
        self.asked.append((dag_id, tuple(task_ids), tuple(states)))
        return self.counts.get(dag_id, 0)


def test_the_sensor_asks_for_work_tasks_of_each_depth_dag(caplog):
    ti = CountingTI({"query_log_pagila": 1})
    assert wait_for_depth("catalog_pagila", ti=ti) is False
    assert [dag for dag, _, _ in ti.asked] == ["profile_pagila", "query_log_pagila"]
    assert all(tasks == DEPTH_WORK_TASKS and "running" in states for _, tasks, states in ti.asked)
    assert "query_log_pagila (1 task(s) of profile/classify/lineage/usage) busy" in caplog.text
    assert wait_for_depth("catalog_pagila", ti=CountingTI({})) is True
    assert busy_depth_tasks(CountingTI({"profile_pagila": 5}), "catalog_airflow") == {}


def _set_ti_state(dag_id: str, run_id: str, task_id: str, state: str) -> None:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import update

    with create_session() as session:
        session.execute(update(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id,
                                                   TaskInstance.task_id == task_id).values(state=state))


def _catalog_pagila(poke_seconds: int):
    """``catalog_pagila`` as parsed from dags/, its ``wait_for_depth`` poking every ``poke_seconds``."""
    from tests.support.airflow_run import load_dag

    dag = load_dag("catalog_pagila")
    dag.task_dict["wait_for_depth"].poke_interval = poke_seconds
    return dag


# The refresh itself is not what is tested here: its tasks are marked successful, not run.
NOT_RUN = "preflight|ingest_metadata"


def _reschedules(run_id: str) -> int:
    from airflow.models.taskreschedule import TaskReschedule
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(select(func.count()).select_from(TaskReschedule).join(
            TaskInstance, TaskReschedule.ti_id == TaskInstance.id).where(TaskInstance.run_id == run_id))


@pytest.mark.integration
def test_a_refresh_waits_while_profile_runs_and_not_for_a_waiting_depth_run(synced):  # noqa: F811
    create_run("profile_pagila", "manual__depth", "running")
    dag = _catalog_pagila(poke_seconds=1)

    # The depth run is still in its own wait_for_catalog: not work, so no wait (no deadlock).
    _set_ti_state("profile_pagila", "manual__depth", "wait_for_catalog", "up_for_reschedule")
    passed = dag.test(mark_success_pattern=NOT_RUN)
    assert str(passed.state) == "success" and _reschedules(passed.run_id) == 0

    # Its profile task runs: the sensor waits until it has ended.
    _set_ti_state("profile_pagila", "manual__depth", "wait_for_catalog", "success")
    _set_ti_state("profile_pagila", "manual__depth", "profile", "running")
    ended = threading.Timer(4, _set_ti_state, ("profile_pagila", "manual__depth", "profile", "success"))
    started = time.monotonic()
    ended.start()
    try:
        waited = dag.test(mark_success_pattern=NOT_RUN)
    finally:
        ended.cancel()
    assert str(waited.state) == "success"
    assert time.monotonic() - started >= 4
    assert _reschedules(waited.run_id) >= 1
