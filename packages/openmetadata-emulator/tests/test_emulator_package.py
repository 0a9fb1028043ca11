"""The distribution itself: a light import, the pytest11 entry point, the fixtures, the client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import openmetadata_emulator

SOURCE = Path(openmetadata_emulator.__file__).resolve().parent


def test_importing_the_package_and_its_plugin_does_not_import_the_sdk(tmp_path):
    script = (
        "import json, sys, openmetadata_emulator, openmetadata_emulator.pytest_plugin, openmetadata_emulator.client\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'metadata' or m.startswith('metadata.'))))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_pytest_plugin_is_registered_under_its_entry_point():
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("openmetadata_emulator") == "openmetadata_emulator.pytest_plugin"


def test_lazy_names_resolve():
    from openmetadata_emulator.client import Catalog
    from openmetadata_emulator.server import Emulator

    assert openmetadata_emulator.Emulator is Emulator
    assert openmetadata_emulator.Catalog is Catalog
    assert openmetadata_emulator.ApiError.__name__ == "ApiError"
    assert openmetadata_emulator.__version__ == "0.1.0"


def test_no_module_is_over_400_lines():
    sizes = {str(p.relative_to(SOURCE)): len(p.read_text().splitlines()) for p in SOURCE.rglob("*.py")}
    assert sizes and {name: n for name, n in sizes.items() if n > 400} == {}


def test_om_catalog_reads_back_what_om_emulator_holds(om_emulator, om_catalog):
    assert om_catalog.by_name("services/databaseServices", "svc") is None
    om_catalog.session.put(f"{om_emulator.url}/v1/services/databaseServices",
                           json={"name": "svc", "serviceType": "Postgres"}, timeout=10).raise_for_status()
    assert om_catalog.by_name("services/databaseServices", "svc")["name"] == "svc"
    assert [s["name"] for s in om_catalog.list_all("services/databaseServices")] == ["svc"]
    assert om_emulator.store.count("services/databaseServices") == 1


def test_om_emulator_session_is_shared(om_emulator_session, request):
    assert request.getfixturevalue("om_emulator_session") is om_emulator_session
    assert om_emulator_session.url.endswith("/api")
    assert openmetadata_emulator.Catalog(om_emulator_session.url).get("system/version")["version"]
