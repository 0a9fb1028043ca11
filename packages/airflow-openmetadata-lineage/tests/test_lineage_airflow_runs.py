"""Real Airflow: the plugin comes from the installed distribution's ``airflow.plugins`` entry point,
and real task runs (``dag.test()``) send their lineage through it, whatever OpenMetadata does."""

from __future__ import annotations

import ast
import json
import logging
import subprocess
import sys
import textwrap
from importlib.metadata import distribution, entry_points
from pathlib import Path

import pytest

from lineage_testing import SERVICE, closed_port, seed_tables, set_openmetadata_connection

SRC = Path(__file__).resolve().parents[1] / "src" / "airflow_openmetadata_lineage"
LOGGER = "airflow_openmetadata_lineage"


def test_the_entry_point_of_the_installed_distribution_names_the_plugin():
    [point] = [p for p in entry_points(group="airflow.plugins") if p.name == "openmetadata_lineage"]
    assert point.value == "airflow_openmetadata_lineage.plugin:OpenMetadataLineagePlugin"
    assert point.dist is not None and point.dist.metadata["Name"] == "airflow-openmetadata-lineage"
    assert distribution("airflow-openmetadata-lineage").version == "0.2.0"
    from airflow_openmetadata_lineage import __version__

    assert __version__ == "0.2.0"


def test_airflow_loads_the_plugin_from_the_entry_point_and_registers_the_listener():
    from airflow import plugins_manager
    from airflow.listeners.listener import get_listener_manager

    plugins, _ = plugins_manager._get_plugins()
    [plugin] = [p for p in plugins if p.name == "openmetadata_lineage"]
    assert "airflow-openmetadata-lineage" in str(plugin.source)  # EntryPointSource: <dist>==<version>
    from airflow_openmetadata_lineage import listener

    manager = get_listener_manager()
    assert manager.pm.is_registered(listener)


def test_the_plugin_module_imports_nothing_heavy():
    """In a fresh interpreter where Airflow's plugin machinery is loaded, importing the plugin
    module adds only this package's light modules: no OpenMetadata SDK, no project module."""
    probe = ("import json, sys; import airflow.plugins_manager, airflow.listeners; "
             "before = set(sys.modules); import airflow_openmetadata_lineage.plugin; "
             "print(json.dumps(sorted(set(sys.modules) - before)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    added = json.loads(done.stdout.strip().splitlines()[-1])
    assert added and all(m.startswith("airflow_openmetadata_lineage") for m in added), added


def test_the_package_imports_only_the_standard_library_airflow_and_requests():
    """Module-level imports of every module; the SDK only inside operator.py's functions."""
    allowed = set(sys.stdlib_module_names) | {"airflow", "airflow_openmetadata_lineage", "__future__"}
    for path in sorted(SRC.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name} at module level"
        text = path.read_text()
        assert "from include" not in text and "import include" not in text, path.name


DAG_FILE = textwrap.dedent('''
    from datetime import datetime, timezone

    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    from airflow_openmetadata_lineage import om_table, table_asset

    with DAG("aol_probe", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
        PythonOperator(
            task_id="load", python_callable=lambda: print("loaded"),
            inlets=[om_table("warehouse.dw.public.raw_orders"), om_table("warehouse.dw.public.customers")],
            outlets=[table_asset(scheme="postgres", hostport="db:5432", database="dw", schema="public",
                                 table="orders", service="warehouse")],
        )
''')


@pytest.mark.integration
@pytest.mark.parametrize("scenario", ["healthy", "down", "slow"])
def test_a_real_dag_run_succeeds_whatever_openmetadata_does(scenario, om_emulator, monkeypatch, dag_runs_cleaned,
                                                            tmp_path, caplog):
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    (tmp_path / "aol_probe.py").write_text(DAG_FILE)
    if scenario == "down":
        set_openmetadata_connection(monkeypatch, closed_port())
    else:
        set_openmetadata_connection(monkeypatch, om_emulator.url)
        seed_tables(om_emulator.url)
    if scenario == "slow":
        om_emulator.faults.add("*", r"/v1/", delay=5.0)
    if scenario == "healthy":
        # The in-process emulator answers its first request of a route after importing the SDK
        # models it validates with (seconds on a loaded 2-core machine): not the listener's time.
        monkeypatch.setenv("OPENMETADATA_LINEAGE_TIMEOUT_SECONDS", "30")
    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(str(tmp_path))
    assert not bag.import_errors, bag.import_errors
    sync_bag_to_db(bag, bundle_name="dags-folder", bundle_version=None)  # dag.test() needs it serialized
    with caplog.at_level(logging.INFO, logger=LOGGER):
        run = bag.dags["aol_probe"].test()
    assert str(run.state) == "success"
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    warnings = [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]
    if scenario == "healthy":
        assert warnings == [], messages
        sent = {(e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"])
                for e in om_emulator.store.lineage.values()}
        assert sent == {(f"{SERVICE}.dw.public.raw_orders", f"{SERVICE}.dw.public.orders"),
                        (f"{SERVICE}.dw.public.customers", f"{SERVICE}.dw.public.orders")}
        assert any("openmetadata lineage: task aol_probe.load: 2 edge(s) sent" in m for m in messages), messages
    else:
        assert len(warnings) == 1, messages
        assert ("OpenMetadata unavailable" if scenario == "down" else "did not finish within 1.0 s") in warnings[0]
