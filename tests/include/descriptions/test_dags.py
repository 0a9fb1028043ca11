"""The DAGs' shape and scheduling: after the catalog refresh (an Asset), not after a critical one."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from include.descriptions import tasks
from include.errors import ConfigError
from tests.support.airflow_run import load_dag


@pytest.fixture(scope="module")
def bag():
    from airflow.dag_processing.dagbag import DagBag

    from tests.support.airflow_run import REPO

    parsed = DagBag(str(REPO / "dags"))
    assert not parsed.import_errors
    return parsed.dags


@pytest.mark.parametrize(("dag_id", "catalog"), [("sync_descriptions_pagila", "catalog_pagila"),
                                                 ("sync_descriptions_mssql", "catalog_mssql")])
def test_scheduled_on_the_catalogs_refreshed_asset(bag, dag_id, catalog):
    dag = bag[dag_id]
    assert [a.uri for a in dag.timetable.asset_condition.objects] == [f"datakit-catalog://{catalog}/"]
    producers = [t for t in bag[catalog].tasks if any(getattr(o, "uri", None) == f"datakit-catalog://{catalog}/"
                                                      for o in t.outlets)]
    assert producers and all(not t.downstream_task_ids for t in producers)  # the refresh's last task(s)
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert set(dag.params) == {"dry_run", "allow_clear", "schema_filter", "table_filter"}
    assert dag.params["dry_run"] is False and dag.params["allow_clear"] is False
    assert [t.task_id for t in dag.tasks] == ["after_full_refresh", "catalog_idle", "preflight", "schema_batches",
                                              "sync_descriptions"]
    assert "descriptions" in dag.tags and dag.doc_md


def test_critical_runs_are_recognised_by_the_critical_dags_run_id():
    critical = load_dag("catalog_critical_refresh")
    trigger = next(t for t in critical.tasks if hasattr(t, "trigger_run_id"))
    assert trigger.trigger_run_id.startswith(tasks.CRITICAL_RUN_PREFIX)
    event = lambda run_id: SimpleNamespace(source_run_id=run_id)
    assert tasks.after_full_refresh(None) is True  # by hand
    assert tasks.after_full_refresh({"a": [event("scheduled__2026-01-01")]}) is True
    assert tasks.after_full_refresh({"a": [event("critical__scheduled__x")]}) is False
    assert tasks.after_full_refresh({"a": [event("critical__x"), event("manual__y")]}) is True


def test_catalog_idle_waits_for_a_running_catalog():
    ti = SimpleNamespace(get_dr_count=lambda dag_id, states: 1 if dag_id == "catalog_pagila" else 0)
    assert tasks.catalog_idle("postgres", ti=ti) is False
    assert tasks.catalog_idle("mssql", ti=ti) is True


def test_params_are_validated_by_name():
    from include.descriptions.sync import options_from_params

    assert options_from_params({"dry_run": True, "schema_filter": ["^public$", ""]}).schema_filter == ("^public$",)
    with pytest.raises(ConfigError, match=r"params.table_filter: '\(' is not a valid regular expression"):
        options_from_params({"table_filter": ["("]})
    with pytest.raises(ConfigError, match="params.dry_run"):
        options_from_params({"dry_run": "yes"})
    with pytest.raises(ConfigError, match="params.dryrun: unknown option"):
        options_from_params({}, {"dryrun": True})


def test_schema_batches_split_round_robin(monkeypatch):
    monkeypatch.setenv("DATAKIT_DESCRIPTIONS_SCHEMA_BATCHES", "1")
    assert tasks.schema_batches("postgres") == [{"batch": "1/1", "schemas": None, "include_database": True}]
    monkeypatch.setenv("DATAKIT_DESCRIPTIONS_SCHEMA_BATCHES", "2")
    monkeypatch.setattr("include.descriptions.catalog.schema_names", lambda *a, **k: ["a", "b", "c"])
    monkeypatch.setattr(tasks, "_source", lambda spec: SimpleNamespace(database="pagila"))
    monkeypatch.setattr("include.openmetadata.server.get_server", lambda: None)
    assert tasks.schema_batches("postgres") == [{"batch": "1/2", "schemas": ["a", "c"], "include_database": True},
                                                {"batch": "2/2", "schemas": ["b"], "include_database": False}]
    monkeypatch.setenv("DATAKIT_DESCRIPTIONS_SCHEMA_BATCHES", "0")
    with pytest.raises(ConfigError, match="DATAKIT_DESCRIPTIONS_SCHEMA_BATCHES: 0 is out of range"):
        tasks.schema_batches("postgres")
