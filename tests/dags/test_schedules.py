"""The DAGs as the schedule config and the shared defaults shape them (parse only, no run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from include.notifications import failure_alert

REPO = Path(__file__).resolve().parents[2]
CATALOG_DAGS = ("catalog_pagila", "catalog_mssql", "catalog_airflow")


def bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(REPO / "dags"))


def dags():
    loaded = bag()
    assert not loaded.import_errors, loaded.import_errors
    return loaded.dags


def test_every_task_of_every_dag_alerts_on_failure():
    for dag_id, dag in dags().items():
        for task in dag.tasks:
            assert failure_alert in task.on_failure_callback, f"{dag_id}.{task.task_id} has no failure alert"


def test_catalog_dags_run_nightly_one_run_at_a_time():
    loaded = dags()
    for dag_id in CATALOG_DAGS:
        dag = loaded[dag_id]
        assert dag.schedule == "0 2 * * *", dag_id
        assert dag.max_active_runs == 1 and dag.catchup is False, dag_id
        depth = {"wait_for_depth"} if dag_id != "catalog_airflow" else set()  # include/catalog/exclusive.py
        assert set(dag.task_dict) == {*depth, "preflight", "ingest_metadata"}, dag_id
    # Database sources read the run's scope; the scope param is there to trigger it by hand.
    for dag_id in ("catalog_pagila", "catalog_mssql"):
        assert loaded[dag_id].params["scope"] == "full"
        assert loaded[dag_id].task_dict["ingest_metadata"].python_callable.__name__ == "ingest_task"


def test_critical_dag_triggers_each_critical_source_once():
    dag = dags()["catalog_critical_refresh"]
    assert dag.schedule == "0 */4 * * *" and dag.max_active_runs == 1
    assert set(dag.task_dict) == {"skip_if_busy_pagila", "trigger_pagila"}
    trigger = dag.task_dict["trigger_pagila"]
    assert trigger.trigger_dag_id == "catalog_pagila"
    assert trigger.conf == {"scope": "critical"}
    assert trigger.wait_for_completion is False and trigger.skip_when_already_exists is True
    assert trigger.upstream_task_ids == {"skip_if_busy_pagila"}
    assert dag.task_dict["skip_if_busy_pagila"].op_kwargs == {"dag_id": "catalog_pagila"}


def test_changing_the_subset_or_time_is_one_setting(monkeypatch):
    monkeypatch.setenv("DATAKIT_CRITICAL_SUBSET", json.dumps({"mssql": ["mssql_corp.Sales.dbo.*"], "airflow": []}))
    monkeypatch.setenv("DATAKIT_SCHEDULE_CRITICAL", "0 */2 * * *")
    dag = dags()["catalog_critical_refresh"]
    assert dag.schedule == "0 */2 * * *"
    assert set(dag.task_dict) == {"skip_if_busy_mssql", "trigger_mssql", "skip_if_busy_airflow", "trigger_airflow"}
    assert dag.task_dict["trigger_mssql"].conf == {"scope": "critical"}
    # catalog_airflow takes no configuration: its critical run is its normal run.
    assert not dag.task_dict["trigger_airflow"].conf

    monkeypatch.setenv("DATAKIT_CRITICAL_SUBSET", "{}")
    dag = dags()["catalog_critical_refresh"]
    assert dag.schedule is None and dag.tasks == []


def test_health_and_timezone_from_the_config(monkeypatch):
    monkeypatch.setenv("DATAKIT_SCHEDULE_HEALTH", "*/30 * * * *")
    monkeypatch.setenv("DATAKIT_SCHEDULE_TIMEZONE", "Europe/Paris")
    loaded = dags()
    assert loaded["catalog_health"].schedule == "*/30 * * * *"
    assert loaded["catalog_health"].task_dict["check"].retries == 0
    for dag_id in (*CATALOG_DAGS, "catalog_critical_refresh", "catalog_health"):
        assert loaded[dag_id].timezone.name == "Europe/Paris", dag_id


@pytest.mark.parametrize("env, value, files", [
    ("DATAKIT_SCHEDULE_CRITICAL", "every 4 hours", {"catalog_critical_refresh.py"}),
    ("DATAKIT_CRITICAL_SUBSET", '{"oracle": []}', {"catalog_critical_refresh.py"}),
    ("DATAKIT_SCHEDULE_HEALTH", "hourly", {"catalog_health.py"}),
    ("DATAKIT_SCHEDULE_NIGHTLY", "2am", {"catalog_pagila.py", "catalog_mssql.py", "catalog_airflow.py",
                                        "catalog_critical_refresh.py"}),
])
def test_a_bad_schedule_config_is_an_import_error_naming_the_setting(monkeypatch, env, value, files):
    """Only the DAGs that use the setting fail: a typo in the critical subset keeps the nightly."""
    monkeypatch.setenv(env, value)
    errors = bag().import_errors
    assert {Path(f).name for f in errors} == files, errors
    assert all(env in text for text in errors.values()), errors


def test_asset_refresh_waits_for_the_sources_catalog_run_first():
    dag = dags()["catalog_refresh_assets"]
    wait = dag.task_dict["wait_for_source_catalogs"]
    assert wait.mode == "reschedule" and wait.poke_interval == 60
    assert wait.timeout == (3 * 60 + 30) * 60
    assert dag.task_dict["refresh_tables"].upstream_task_ids == {"wait_for_source_catalogs"}
    assert dag.task_dict["replay_lineage"].upstream_task_ids == {"refresh_tables"}
