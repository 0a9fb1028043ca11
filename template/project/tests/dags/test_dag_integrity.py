"""Every DAG file parses, cheaply, into a DAG that follows the project's conventions.

Parsed in a fresh interpreter, as Airflow's DAG processor does, so what the test process
imported itself (the emulator, the OpenMetadata SDK) cannot hide a heavy import at parse time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
# Modules a DAG file must not import at parse time (every scheduler loop pays for it).
HEAVY = ("metadata", "pandas", "openmetadata_emulator")

PROBE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
try:  # the scheduler only ever sees DAGs through this serialization
    from airflow.serialization.serialized_objects import DagSerialization as Serialization
except ImportError:  # Airflow 3.0/3.1
    from airflow.serialization.serialized_objects import SerializedDAG as Serialization


def serialized(dag):
    try:
        back = Serialization.from_dict(Serialization.to_dict(dag))
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}", "lost": []}
    lost = [t.task_id for t in dag.tasks
            if list(map(str, back.get_task(t.task_id).inlets)) != list(map(str, t.inlets))
            or list(map(str, back.get_task(t.task_id).outlets)) != list(map(str, t.outlets))]
    return {"error": None, "lost": lost}


bag = DagBag(sys.argv[1])
print(json.dumps({
    "errors": {path: str(error) for path, error in bag.import_errors.items()},
    "dags": {dag_id: {"file": dag.fileloc, "tags": sorted(dag.tags or []),
                      "owner": (dag.default_args or {}).get("owner", "airflow"),
                      "retries": (dag.default_args or {}).get("retries", 0),
                      "serialized": serialized(dag)}
             for dag_id, dag in bag.dags.items()},
    "heavy": sorted(name for name in sys.argv[2].split(",") if name in sys.modules),
}))
"""


@pytest.fixture(scope="module")
def parsed() -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, str(DAGS), ",".join(HEAVY)], capture_output=True,
                          text=True, timeout=240, env=os.environ.copy())
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_import_errors(parsed: dict) -> None:
    assert not parsed["errors"], parsed["errors"]


def test_every_dag_file_defines_a_dag(parsed: dict) -> None:
    files = {Path(info["file"]).name for info in parsed["dags"].values()}
    missing = sorted(p.name for p in DAGS.glob("*.py") if p.name not in files and not p.name.startswith("_"))
    assert not missing, f"no DAG found in {missing}"


def test_dags_have_tags_owner_and_retries(parsed: dict) -> None:
    for dag_id, info in parsed["dags"].items():
        assert info["tags"], f"{dag_id}: give it tags=[...]"
        assert info["owner"] != "airflow", f"{dag_id}: set default_args owner (the team)"
        assert info["retries"] >= 2, f"{dag_id}: default_args retries is {info['retries']}, use at least 2"


def test_dags_serialize_with_their_lineage(parsed: dict) -> None:
    """What the scheduler gets: a DAG that does not serialize is dropped, lost inlets/outlets send no lineage."""
    for dag_id, info in parsed["dags"].items():
        assert info["serialized"]["error"] is None, f"{dag_id} does not serialize: {info['serialized']['error']}"
        assert not info["serialized"]["lost"], (
            f"{dag_id}: tasks {info['serialized']['lost']} lose inlets/outlets when serialized: declare tables "
            f"with om_table(...) (include/lineage_tables.py), as lists")


def test_parsing_imports_nothing_heavy(parsed: dict) -> None:
    assert not parsed["heavy"], (
        f"parsing dags/ imported {parsed['heavy']}: import them inside the task callable, not at module level")
