"""The listener never hurts a task: bounded, contained, one warning, kill switch; one bad reference
costs only its own edges.

``listener.handle`` driven directly with a task-instance stand-in (fast; measures the added
time). Real Airflow runs, with the plugin loaded from its entry point: test_lineage_airflow_runs.py.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from types import SimpleNamespace

import requests

from airflow_openmetadata_lineage import listener, om_table, table_asset
from lineage_testing import SERVICE as SVC
from lineage_testing import closed_port, seed_tables
from lineage_testing import set_openmetadata_connection as om_conn


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


def timed_handle(ti, state="success") -> float:
    started = time.monotonic()
    listener.handle(ti, state)
    return time.monotonic() - started


def lineage_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "airflow_openmetadata_lineage" and r.levelno >= logging.WARNING]


def test_healthy_sends_edge_pipeline_and_status(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    with caplog.at_level(logging.INFO, logger="airflow_openmetadata_lineage"):
        listener.handle(fake_ti(), "success")
    assert lineage_warnings(caplog) == []
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
    with caplog.at_level(logging.WARNING, logger="airflow_openmetadata_lineage"):
        elapsed = timed_handle(fake_ti())
    warnings = lineage_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "OpenMetadata unavailable" in warnings[0] and "Connection refused" in warnings[0]
    assert "the task is not affected" in warnings[0]
    assert "Traceback" not in caplog.text
    assert elapsed < 1.5


def test_openmetadata_500_one_warning(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    om_emulator.faults.add("*", r"/v1/pipelines", status=500)
    with caplog.at_level(logging.WARNING, logger="airflow_openmetadata_lineage"):
        listener.handle(fake_ti(), "success")
    warnings = lineage_warnings(caplog)
    assert len(warnings) == 1 and "answered 500" in warnings[0], warnings


def test_openmetadata_slow_is_cut_at_the_bound(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, om_emulator.url)
    om_emulator.faults.add("*", r"/v1/", delay=5.0)
    with caplog.at_level(logging.WARNING, logger="airflow_openmetadata_lineage"):
        elapsed = timed_handle(fake_ti())
    warnings = lineage_warnings(caplog)
    assert len(warnings) == 1 and "did not finish within 1.0 s" in warnings[0], warnings
    assert elapsed < 1.5


def test_kill_switch_makes_no_call(om_emulator, monkeypatch):
    om_conn(monkeypatch, om_emulator.url)
    monkeypatch.setenv("OPENMETADATA_LINEAGE_ENABLED", "false")
    listener.handle(fake_ti(), "success")
    assert om_emulator.requests_log == []


def test_task_without_lineage_makes_no_call(om_emulator, monkeypatch):
    om_conn(monkeypatch, om_emulator.url)
    listener.handle(fake_ti(inlets=[], outlets=[]), "success")
    assert om_emulator.requests_log == []


def test_unknown_table_is_named_and_nothing_fails(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    with caplog.at_level(logging.WARNING, logger="airflow_openmetadata_lineage"):
        listener.handle(fake_ti(outlets=[om_table(f"{SVC}.dw.public.not_there")]), "success")
    warnings = lineage_warnings(caplog)
    assert warnings == [
        f"openmetadata lineage: task orders_etl.load: table {SVC}.dw.public.not_there is not in the OpenMetadata "
        "catalog yet; its edges were skipped. Fix: ingest its source first (e.g. trigger its catalog DAG)"
    ]


def test_dict_inlets_are_a_clear_error_naming_the_task(om_emulator, monkeypatch, caplog):
    om_conn(monkeypatch, om_emulator.url)
    # What Airflow 3 leaves of inlets={"tables": [...]}: ["tables"].
    with caplog.at_level(logging.WARNING, logger="airflow_openmetadata_lineage"):
        listener.handle(fake_ti(inlets=["tables"]), "success")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].getMessage().startswith("openmetadata lineage: task orders_etl.load: orders_etl.load.inlets[0]: "
                                             "is the string 'tables': Airflow 3 turns a dict")
    # The task has no other inlet: no edge to send, but its pipeline and run status are.
    assert not om_emulator.store.lineage


def test_one_unresolvable_reference_is_named_and_the_other_edges_are_sent(om_emulator, monkeypatch, caplog):
    """The reproduction of issue 12 section 4: an Asset on a host:port no service is mapped to,
    beside om_table references that resolve. Before: an ERROR and none of the task's edges."""
    from airflow.sdk import Asset

    om_conn(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    outlets = [om_table(f"{SVC}.dw.public.orders"), Asset(uri="postgres://pagila-db:5432/dw/public/orders")]
    inlets = [om_table(f"{SVC}.dw.public.raw_orders"), om_table(f"{SVC}.dw.public.customers")]
    with caplog.at_level(logging.INFO, logger="airflow_openmetadata_lineage"):
        listener.handle(fake_ti(inlets=inlets, outlets=outlets), "success")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, errors
    assert errors[0].startswith("openmetadata lineage: task orders_etl.load: orders_etl.load.outlets[1]: Asset "
                                "'postgres://pagila-db:5432/dw/public/orders' names a table on pagila-db:5432/dw, "
                                "which no OpenMetadata service is mapped to"), errors
    assert "Fix: create the Asset with table_asset(..., service='<service>')" in errors[0]
    assert "the task's other edges are sent" in errors[0]
    sent = {(e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"])
            for e in om_emulator.store.lineage.values()}
    assert sent == {(f"{SVC}.dw.public.raw_orders", f"{SVC}.dw.public.orders"),
                    (f"{SVC}.dw.public.customers", f"{SVC}.dw.public.orders")}
    assert any("2 edge(s) sent" in r.getMessage() for r in caplog.records)


def test_an_asset_mapped_by_a_connection_or_by_its_service(om_emulator, monkeypatch):
    """Both ways a table Asset finds its service: ``asset_connections`` (the connection's
    host:port/database, read when the task runs) and the service the Asset carries."""
    om_conn(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", json.dumps(
        {"conn_type": "postgres", "host": "db.example", "port": 5433, "schema": "dw"}))
    monkeypatch.setenv("OPENMETADATA_LINEAGE_ASSET_CONNECTIONS", "warehouse,not_defined_here")
    by_connection = table_asset(scheme="postgres", hostport="db.example:5433", database="dw", schema="public",
                                table="customers")
    by_service = table_asset(scheme="postgres", hostport="elsewhere:1", database="dw", schema="public",
                             table="orders", service=SVC)
    listener.handle(fake_ti(inlets=[by_connection], outlets=[by_service]), "success")
    [edge] = om_emulator.store.lineage.values()
    assert (edge["fromEntity"]["fullyQualifiedName"], edge["toEntity"]["fullyQualifiedName"]) == (
        f"{SVC}.dw.public.customers", f"{SVC}.dw.public.orders")


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
