"""Loading this project's plugins never imports the OpenMetadata SDK or the managed APIs, except where served.

Every Airflow process loads plugins: the Task SDK's task runner at the start of every task
(``airflow.sdk.plugins_manager``), the scheduler, DAG processor, triggerer and CLI
(``airflow.plugins_manager``). Only the API server asks for Flask blueprints (to mount
``/pluginsv2``), and only there may ``openmetadata_managed_apis`` and ``metadata`` be imported.
Each check runs in a fresh process, with this project's plugins folder and installed entry points.
The API server's real answers (with and without tokens) are in tests/platform/test_managed_apis.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.bench_plugins import shipped_dist_info

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("metadata", "openmetadata_managed_apis")


def fresh(code: str, extra_path: Path | None = None, **env: str) -> dict:
    environ = {**os.environ, "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"), **env}
    if extra_path is not None:
        environ["PYTHONPATH"] = f"{extra_path}{os.pathsep}{environ.get('PYTHONPATH', '')}"
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=environ,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


LOAD = """
    import json, sys
    from airflow.{module} import plugins_manager
    plugins, errors = plugins_manager._get_plugins()
    print(json.dumps({{"plugins": sorted(p.name for p in plugins), "errors": errors,
                      "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


@pytest.mark.parametrize("module", ["sdk", ""], ids=["task-runner", "scheduler-dag-processor-cli"])
def test_loading_plugins_imports_neither_the_sdk_nor_the_managed_apis(module):
    code = LOAD.format(module=module, heavy=HEAVY).replace("airflow. import", "airflow import")
    result = fresh(code)
    assert result["loaded"] == [], f"plugin load imported {result['loaded']}"
    assert "datakit_openmetadata_managed_apis" in result["plugins"]
    assert "openmetadata_managed_apis" not in result["plugins"], "the stock entry point is live: run make setup"
    assert result["errors"] == {}


FLASK = """
    import json, logging, sys
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from airflow import plugins_manager
    blueprints, views, _links = plugins_manager.get_flask_plugins()
    print(json.dumps({"blueprints": sorted((b["name"], b["blueprint"].name) for b in blueprints),
                      "views": [v["name"] for v in views],
                      "loaded": [m for m in ("metadata", "openmetadata_managed_apis") if m in sys.modules]}))
"""


def test_the_api_server_gets_the_stock_blueprints_and_view_from_the_lazy_plugin():
    result = fresh(FLASK)
    owners = {owner for owner, _name in result["blueprints"]}
    assert owners == {"datakit_openmetadata_managed_apis"}
    names = [name for _owner, name in result["blueprints"]]
    assert len(names) == len(set(names)) >= 2  # the template and the API blueprint, once each
    assert result["views"] == ["REST API Plugin"]
    assert set(result["loaded"]) == set(HEAVY)  # imported here, where they are served


def test_with_the_stock_entry_point_live_again_the_blueprints_are_registered_once(tmp_path):
    """A hand reinstall of the package brings its entry point back: the lazy plugin stands aside."""
    shadow = shipped_dist_info(tmp_path)
    result = fresh(FLASK, extra_path=shadow)
    owners = {owner for owner, _name in result["blueprints"]}
    assert owners == {"openmetadata_managed_apis"}
    names = [name for _owner, name in result["blueprints"]]
    assert len(names) == len(set(names))


PROBE_DAG = '''
import sys
from airflow.sdk import DAG, task

with DAG("plugin_load_probe", schedule=None):
    @task
    def probe():
        loaded = [m for m in ("metadata", "openmetadata_managed_apis") if m in sys.modules]
        assert not loaded, f"imported in the task process: {loaded}"
        print("PROBE-CLEAN")
    probe()
'''


@pytest.mark.integration
def test_a_real_task_run_imports_neither(tmp_path, airflow_db):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "plugin_load_probe.py").write_text(PROBE_DAG)
    environ = {**os.environ, "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
               "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
    done = subprocess.run([sys.executable, "-m", "airflow", "tasks", "test", "plugin_load_probe", "probe"],
                          cwd=REPO, env=environ, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "PROBE-CLEAN" in output
