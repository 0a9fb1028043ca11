"""docs/lineage-pattern.md works as written: a fresh project from only what it says to copy.

The copy list and the example DAG are read from the guide itself, so the guide and this
test cannot drift apart. Airflow runs in a subprocess whose import path is the new
project only (this repo's include/ is not visible there).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.include.lineage.test_listener import seed_tables

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "lineage-pattern.md"
pytestmark = [pytest.mark.integration, pytest.mark.slow]


def fenced(info: str) -> str:
    match = re.search(rf"```{re.escape(info)}\n(.*?)```", GUIDE.read_text(), re.S)
    assert match, f"block ```{info} missing from {GUIDE.name}"
    return match.group(1)


def build_project(root: Path) -> None:
    for line in fenced("text copy-list").split():
        source, target = REPO / line, root / line
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    (root / "dags").mkdir()
    (root / "dags" / "orders_etl.py").write_text(fenced("python example-dag"))


def test_a_new_datakit_gets_lineage_from_the_guide(tmp_path, om_emulator):
    project = tmp_path / "new-datakit"
    build_project(project)
    seed_tables(om_emulator.url)
    url = urlsplit(om_emulator.url)
    airflow = str(Path(sys.executable).with_name("airflow"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DATAKIT_"))}
    env.update({
        "AIRFLOW_HOME": str(tmp_path / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(project / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(project),
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps({
            "conn_type": "http", "schema": "http", "host": url.hostname, "port": url.port, "password": "x"}),
    })
    for args in (["db", "migrate"], ["dags", "test", "orders_etl"]):
        done = subprocess.run([airflow, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"airflow {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    output = done.stdout + done.stderr
    assert "datakit lineage: task orders_etl.load_orders: 1 edge(s) sent" in output, output[-3000:]

    graph = requests.get(f"{om_emulator.url}/v1/lineage/table/name/warehouse.dw.public.orders",
                         params={"upstreamDepth": 1, "downstreamDepth": 0}, timeout=10).json()
    nodes = {n["id"]: n["fullyQualifiedName"] for n in graph["nodes"]}
    assert [nodes[e["fromEntity"]] for e in graph["upstreamEdges"]] == ["warehouse.dw.public.raw_orders"]
    assert graph["upstreamEdges"][0]["lineageDetails"]["pipeline"]["fullyQualifiedName"] == (
        "datakit_airflow.orders_etl")
