"""The lineage listener never hurts a task: bounded, contained, one warning, kill switch.

Two levels: ``listener.handle`` driven directly (fast, measures the added time) and a
real ``dag.test()`` run of a small DAG, where the plugin's listener fires for real.
"""

from __future__ import annotations

import json
import logging
import socket
import statistics
import textwrap
import time
from types import SimpleNamespace

import pytest
import requests

from include.lineage import listener, om_table

SVC = "warehouse"
TABLES = ["raw_orders", "orders"]


def seed_tables(api: str) -> None:
    """A database service with two tables, created through the REST API like the SDK would."""
    h = {"Authorization": "Bearer t"}
    requests.put(f"{api}/v1/services/databaseServices", json={
        "name": SVC, "serviceType": "Postgres",
        "connection": {"config": {"type": "Postgres", "username": "u", "hostPort": "db:5432", "database": "dw"}},
    }, headers=h, timeout=5).raise_for_status()
    requests.put(f"{api}/v1/databases", json={"name": "dw", "service": SVC}, headers=h, timeout=5).raise_for_status()
    requests.put(f"{api}/v1/databaseSchemas", json={"name": "public", "database": f"{SVC}.dw"}, headers=h,
                 timeout=5).raise_for_status()
    for table in TABLES:
        requests.put(f"{api}/v1/tables", json={
            "name": table, "databaseSchema": f"{SVC}.dw.public",
            "columns": [{"name": "id", "dataType": "INT"}]}, headers=h, timeout=5).raise_for_status()


class FakeTask:
    def __init__(self, inlets, outlets, dag=None):
        self.inlets, self.outlets = inlets, outlets
        self.task_id = "load"
        self.downstream_task_ids = set()
        self.dag = dag or SimpleNamespace(dag_id="orders_etl", tasks=[self], description="test", schedule=None)


def fake_ti(inlets=None, outlets=None):
    inlets = [om_table(f"{SVC}.dw.public.raw_orders")] if inlets is None else inlets
    outlets = [om_table(f"{SVC}.dw.public.orders")] if outlets is None else outlets
    return SimpleNamespace(task=FakeTask(inlets, outlets), dag_id="orders_etl", task_id="load",
                           run_id="manual__1", start_date=None, _ti_context_from_server=None)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def om_conn(monkeypatch, url_or_port):
    if isinstance(url_or_port, int):
        host, port = "127.0.0.1", url_or_port
    else:
        from urllib.parse import urlsplit
        parts = urlsplit(url_or_port)
        host, port = parts.hostname, parts.port
    monkeypatch.setenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", json.dumps(
        {"conn_type": "http", "schema": "http", "host": host, "port": port, "password": "jwt-listener-secret"}))


@pytest.fixture(autouse=True)
def lineage_settings(monkeypatch):
    monkeypatch.setenv("DATAKIT_LINEAGE_ENABLED", "true")
    monkeypatch.setenv("DATAKIT_LINEAGE_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("DATAKIT_LINEAGE_ASSET_CONNECTIONS", "")


def timed_handle(ti, state="success") -> float:
    started = time.monotonic()
    listener.handle(ti, state)
    return time.monotonic() - started


def datakit_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "datakit.lineage" and r.levelno >= logging.WARNING]


def test_healthy_sends_edge_pipeline_and_status(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    with caplog.at_level(logging.INFO, logger="datakit.lineage"):
        listener.handle(fake_ti(), "success")
    assert datakit_warnings(caplog) == []
    assert len(om_emulator.store.lineage) == 1
    edge = next(iter(om_emulator.store.lineage.values()))
    assert edge["lineageDetails"]["pipeline"]["fullyQualifiedName"] == "datakit_airflow.orders_etl"
    # Re-sending is an upsert: still one edge.
    listener.handle(fake_ti(), "success")
    assert len(om_emulator.store.lineage) == 1


def test_failed_task_sends_status_but_no_edge(om_emulator, monkeypatch):
    om_conn(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    listener.handle(fake_ti(), "failed")
    assert om_emulator.store.lineage == {}
    statuses = requests.get(f"{om_emulator.url}/v1/pipelines/datakit_airflow.orders_etl/status",
                            params={"startTs": 0, "endTs": 2**62}, timeout=5).json()["data"]
    assert statuses[-1]["executionStatus"] == "Failed"
    assert statuses[-1]["taskStatus"][0]["executionStatus"] == "Failed"


def test_openmetadata_down_one_warning_bounded(monkeypatch, caplog):
    om_conn(monkeypatch, closed_port())
    with caplog.at_level(logging.WARNING, logger="datakit.lineage"):
        elapsed = timed_handle(fake_ti())
    warnings = datakit_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "OpenMetadata unavailable" in warnings[0] and "Connection refused" in warnings[0]
    assert "the task is not affected" in warnings[0]
    assert "Traceback" not in caplog.text
    assert elapsed < 1.5


def test_openmetadata_500_one_warning(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    om_emulator.faults.add("*", r"/v1/pipelines", status=500)
    with caplog.at_level(logging.WARNING, logger="datakit.lineage"):
        listener.handle(fake_ti(), "success")
    warnings = datakit_warnings(caplog)
    assert len(warnings) == 1 and "answered 500" in warnings[0], warnings


def test_openmetadata_slow_is_cut_at_the_bound(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, om_emulator.url)
    om_emulator.faults.add("*", r"/v1/", delay=5.0)
    with caplog.at_level(logging.WARNING, logger="datakit.lineage"):
        elapsed = timed_handle(fake_ti())
    warnings = datakit_warnings(caplog)
    assert len(warnings) == 1 and "did not finish within 1.0 s" in warnings[0], warnings
    assert elapsed < 1.5


def test_kill_switch_makes_no_call(om_emulator, monkeypatch):
    om_conn(monkeypatch, om_emulator.url)
    monkeypatch.setenv("DATAKIT_LINEAGE_ENABLED", "false")
    listener.handle(fake_ti(), "success")
    assert om_emulator.requests_log == []


def test_task_without_lineage_makes_no_call(om_emulator, monkeypatch):
    om_conn(monkeypatch, om_emulator.url)
    listener.handle(fake_ti(inlets=[], outlets=[]), "success")
    assert om_emulator.requests_log == []


def test_unknown_table_is_named_and_nothing_fails(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    with caplog.at_level(logging.WARNING, logger="datakit.lineage"):
        listener.handle(fake_ti(outlets=[om_table(f"{SVC}.dw.public.not_there")]), "success")
    warnings = datakit_warnings(caplog)
    assert warnings == [
        f"datakit lineage: task orders_etl.load: table {SVC}.dw.public.not_there is not in the OpenMetadata "
        "catalog yet; its edges were skipped. Fix: ingest its source first (e.g. trigger its catalog_* DAG)"
    ]


def test_dict_inlets_are_a_clear_error_naming_the_task(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, om_emulator.url)
    # What Airflow 3 leaves of inlets={"tables": [...]}: ["tables"].
    with caplog.at_level(logging.WARNING, logger="datakit.lineage"):
        listener.handle(fake_ti(inlets=["tables"]), "success")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].getMessage().startswith("datakit lineage: task orders_etl.load: orders_etl.load.inlets: "
                                             "contains the string 'tables': Airflow 3 turns a dict")
    assert om_emulator.requests_log == []


def test_secret_not_logged(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, closed_port())
    with caplog.at_level(logging.DEBUG):
        listener.handle(fake_ti(), "success")
    assert "jwt-listener-secret" not in caplog.text


def test_added_time_healthy_vs_disabled(om_emulator, monkeypatch):
    """Not a speed target (bench/ measures those): the healthy path stays far below its bound."""
    om_conn(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    healthy = statistics.median(timed_handle(fake_ti()) for _ in range(5))
    assert healthy < 1.0


DAG_FILE = textwrap.dedent('''
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
    from include.lineage import om_table
    from datetime import datetime, timezone
    with DAG("listener_probe", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
        PythonOperator(task_id="load", python_callable=lambda: print("loaded"),
                       inlets=[om_table("warehouse.dw.public.raw_orders")],
                       outlets=[om_table("warehouse.dw.public.orders")])
''')


@pytest.mark.integration
@pytest.mark.parametrize("scenario", ["healthy", "down", "slow"])
def test_real_dag_run_succeeds_whatever_openmetadata_does(scenario, om_emulator, monkeypatch, airflow_db,
                                                          tmp_path, caplog):
    from airflow.dag_processing.dagbag import DagBag

    (tmp_path / "listener_probe.py").write_text(DAG_FILE)
    if scenario == "down":
        om_conn(monkeypatch, closed_port())
    else:
        om_conn(monkeypatch, om_emulator.url)
        seed_tables(om_emulator.url)
    if scenario == "slow":
        om_emulator.faults.add("*", r"/v1/", delay=5.0)
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(str(tmp_path))
    sync_bag_to_db(bag, bundle_name="dags-folder", bundle_version=None)  # dag.test() needs it serialized
    dag = bag.dags["listener_probe"]
    with caplog.at_level(logging.INFO, logger="datakit.lineage"):
        run = dag.test()
    assert str(run.state) == "success"
    messages = [r.getMessage() for r in caplog.records if r.name == "datakit.lineage"]
    if scenario == "healthy":
        assert len(om_emulator.store.lineage) == 1
        assert any("1 edge(s) sent" in m for m in messages), messages
    else:
        assert len(datakit_warnings(caplog)) == 1, messages
