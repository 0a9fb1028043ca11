"""docs/lineage-pattern.md section 2 works as written: lineage added to an existing datakit.

The datakit already has its own ``include/__init__.py``, ``include/settings.py`` and
``include/connections.py`` (common names) and a DAG importing them; the DAG is the guide's own
block, so the guide and this test cannot drift apart. The package is installed like a user
installs it: its wheel, built with ``uv build --wheel``, into a fresh virtualenv. That venv sees
this repository's .venv only through a ``.pth`` line placed *after* its own site-packages (the
fast, honest stand-in for an image that already has Airflow and ``requests``, the wheel's only
dependencies: installed ``--no-deps``, then checked), so the wheel's copy of the package wins
and the plugin is loaded from it. Airflow runs in subprocesses whose import path is the
datakit only (this repository's include/ is not visible there).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "lineage-pattern.md"
PACKAGE = REPO / "packages" / "airflow-openmetadata-lineage"
pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The existing datakit's own modules: the names a lineage package must never overwrite.
OWN_MODULES = {
    "include/__init__.py": '"""The orders datakit\'s own helpers."""\n',
    "include/settings.py": 'OWNER = "orders-team"\nMARKER = "the datakit\'s own settings"\n',
    "include/connections.py": 'WAREHOUSE = "warehouse"  # the datakit\'s own connection ids\n',
}


def fenced(info: str) -> str:
    match = re.search(rf"```{re.escape(info)}\n(.*?)```", GUIDE.read_text(), re.S)
    assert match, f"block ```{info} missing from {GUIDE.name}"
    return match.group(1)


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "include").rglob("*.py"))}


def build_wheel(out: Path) -> Path:
    uv = shutil.which("uv")
    if uv is None:
        from tests.support import prereq

        prereq.missing("uv not found (https://docs.astral.sh/uv/)")
    done = subprocess.run([uv, "build", "--wheel", "--out-dir", str(out), str(PACKAGE)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    [wheel] = out.glob("airflow_openmetadata_lineage-*.whl")
    return wheel


def make_venv(root: Path, wheel: Path) -> Path:
    """A fresh venv with the wheel installed; this repository's site-packages after its own."""
    uv = shutil.which("uv")
    venv = root / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz_base_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def seed_warehouse(api: str, tables: list[str]) -> None:
    """The catalog the guide's DAG names: service ``warehouse``, database ``dw``, schema ``public``."""
    def put(path: str, body: dict) -> None:
        requests.put(f"{api}/v1/{path}", json=body, timeout=5).raise_for_status()

    put("services/databaseServices", {"name": "warehouse", "serviceType": "Postgres", "connection": {
        "config": {"type": "Postgres", "username": "etl", "hostPort": "db.example:5432", "database": "dw"}}})
    put("databases", {"name": "dw", "service": "warehouse"})
    put("databaseSchemas", {"name": "public", "database": "warehouse.dw"})
    for table in tables:
        put("tables", {"name": table, "databaseSchema": "warehouse.dw.public",
                       "columns": [{"name": "id", "dataType": "INT"}]})


def test_lineage_added_to_an_existing_datakit(tmp_path, om_emulator):
    project = tmp_path / "orders-datakit"
    for relative, text in OWN_MODULES.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(text)
    (project / "dags").mkdir()
    (project / "plugins").mkdir()  # empty: the listener comes from the installed distribution
    (project / "dags" / "orders_etl.py").write_text(fenced("python example-dag"))
    before = digest(project)

    wheel = build_wheel(tmp_path / "dist")
    python = make_venv(tmp_path, wheel)

    seed_warehouse(om_emulator.url, ["raw_orders", "customers", "orders"])
    url = urlsplit(om_emulator.url)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "DATAKIT_", "OPENMETADATA_LINEAGE_", "PYTHON"))}
    env.update({
        "AIRFLOW_HOME": str(tmp_path / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(project / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(project),
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps({
            "conn_type": "http", "schema": "http", "host": url.hostname, "port": url.port, "password": "x"}),
        # The guide's example maps its Asset through the datakit's own warehouse connection.
        "AIRFLOW_CONN_WAREHOUSE": json.dumps({"conn_type": "postgres", "host": "db.example", "port": 5432,
                                              "login": "etl", "schema": "dw"}),
        "OPENMETADATA_LINEAGE_ASSET_CONNECTIONS": "warehouse",
    })

    # The package the datakit imports is the wheel's, in the venv; its dependencies are there.
    probe = ("import json, importlib.metadata as md, airflow_openmetadata_lineage as p, include.settings as s; "
             "d = md.distribution('airflow-openmetadata-lineage'); "
             "print(json.dumps({'file': p.__file__, 'requires': d.requires, 'settings': s.MARKER, "
             "'airflow': md.version('apache-airflow'), 'requests': md.version('requests'), "
             "'plugins': [e.value for e in md.entry_points(group='airflow.plugins') "
             "if e.name == 'openmetadata_lineage']}))")
    done = subprocess.run([str(python), "-c", probe], cwd=project, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["file"].startswith(str(tmp_path / "venv")), facts
    requires = [r.replace("'", '"') for r in facts["requires"]]
    # What installing it needs is only what an Astro Runtime image has; the rest are opt-in extras.
    assert [r for r in requires if "extra ==" not in r] == ["apache-airflow>=3.0", "requests"], facts
    assert {r.split('extra == "')[1].rstrip('"') for r in requires if "extra ==" in r} == {"sdk", "sql"}, facts
    assert int(facts["airflow"].split(".")[0]) >= 3 and facts["requests"]
    assert facts["settings"] == "the datakit's own settings"
    assert facts["plugins"] == ["airflow_openmetadata_lineage.plugin:OpenMetadataLineagePlugin"]

    for args in (["db", "migrate"], ["dags", "test", "orders_etl"]):
        done = subprocess.run([str(python), "-m", "airflow", *args], cwd=project, env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"airflow {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    output = done.stdout + done.stderr
    assert "orders loaded into warehouse" in output, output[-3000:]
    assert "openmetadata lineage: task orders_etl.load_orders: 2 edge(s) sent" in output, output[-3000:]
    assert "ERROR" not in "\n".join(line for line in output.splitlines() if "openmetadata lineage" in line)

    graph = requests.get(f"{om_emulator.url}/v1/lineage/table/name/warehouse.dw.public.orders",
                         params={"upstreamDepth": 1, "downstreamDepth": 0}, timeout=10).json()
    nodes = {n["id"]: n["fullyQualifiedName"] for n in graph["nodes"]}
    assert sorted(nodes[e["fromEntity"]] for e in graph["upstreamEdges"]) == [
        "warehouse.dw.public.customers", "warehouse.dw.public.raw_orders"]
    assert {e["lineageDetails"]["pipeline"]["fullyQualifiedName"] for e in graph["upstreamEdges"]} == {
        "datakit_airflow.orders_etl"}
    # The datakit's own modules: untouched, and nothing added to include/.
    assert digest(project) == before
