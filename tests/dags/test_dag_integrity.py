"""Every DAG file imports cleanly, fast, with retries and tags, and without the OpenMetadata SDK."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The SDK (``metadata``, ~10 s to import) and what pulls it in. The bare
# ``airflow_provider_openmetadata`` package is Airflow's providers manager reading the
# SDK's provider info (one small function); its submodules import the SDK.
HEAVY_PREFIXES = ("metadata", "airflow_provider_openmetadata.", "openmetadata_managed_apis")

# Runs in a fresh interpreter: the test session itself has long imported the SDK.
PARSE_SCRIPT = r"""
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.monotonic()
bag = DagBag(sys.argv[1])
elapsed = time.monotonic() - started
heavy = sorted(m for m in sys.modules
               if any(m == p or m.startswith(p if p.endswith(".") else p + ".") for p in %r))
print("RESULT" + json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": {d.dag_id: {"tags": sorted(d.tags), "fileloc": d.fileloc,
                        "retries": {t.task_id: t.retries for t in d.tasks},
                        "max_active_runs": d.max_active_runs, "doc_md": bool(d.doc_md)}
             for d in bag.dags.values()},
    "heavy": heavy, "seconds": elapsed}))
""" % (HEAVY_PREFIXES,)


# Checks whose failure is an answer (what to fix), not a flake: retrying tells nothing new.
NO_RETRY_TASKS = {"preflight", "diagnose", "check"}


def load_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(REPO / "dags")).dags[dag_id]


@pytest.fixture(scope="module")
def parsed():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", PARSE_SCRIPT, str(REPO / "dags")], capture_output=True,
                            text=True, env=env, timeout=180, cwd=REPO)
    line = next((l for l in result.stdout.splitlines() if l.startswith("RESULT")), None)
    assert line, f"parse script failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return json.loads(line[len("RESULT"):])


def test_no_import_errors(parsed):
    assert parsed["errors"] == {}


def test_every_dag_file_defines_a_dag(parsed):
    files = {Path(d["fileloc"]).name for d in parsed["dags"].values()}
    assert files == {p.name for p in (REPO / "dags").glob("*.py")}


def test_parsing_dags_does_not_import_the_openmetadata_sdk(parsed):
    assert parsed["heavy"] == [], "move these imports into task callables"


def test_tags_retries_and_docs(parsed):
    for dag_id, dag in parsed["dags"].items():
        assert dag["tags"], f"{dag_id} has no tags"
        assert dag["doc_md"], f"{dag_id} has no doc_md"
        for task_id, retries in dag["retries"].items():
            if task_id not in NO_RETRY_TASKS:
                assert retries >= 2, f"{dag_id}.{task_id} has retries={retries}"


def test_catalog_pagila_shape(parsed):
    dag = parsed["dags"]["catalog_pagila"]
    assert dag["max_active_runs"] == 1
    assert set(dag["retries"]) == {"wait_for_depth", "preflight", "ingest_metadata"}


def test_catalog_pagila_schedule_and_params():
    dag = load_dag("catalog_pagila")
    assert dag.schedule == "0 2 * * *"
    assert dag.catchup is False
    assert set(dag.params.keys()) == {"schema_filter", "table_filter", "include_views", "mark_deleted_tables", "scope",
                                      "mode"}
    assert dag.params["mode"] == "auto"
    assert dag.params["scope"] == "full"
    assert dag.default_args["retry_exponential_backoff"] is True
    assert dag.task_dict["ingest_metadata"].upstream_task_ids == {"preflight"}
    assert dag.task_dict["preflight"].upstream_task_ids == {"wait_for_depth"}  # include/catalog/exclusive.py


def test_schedule_comes_from_settings(monkeypatch):
    monkeypatch.setenv("DATAKIT_SCHEDULE_NIGHTLY", "30 3 * * *")
    assert load_dag("catalog_pagila").schedule == "30 3 * * *"


def test_schedule_comes_from_settings_for_every_catalog_dag(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("DATAKIT_SCHEDULE_NIGHTLY", "45 1 * * *")
    bag = DagBag(str(REPO / "dags"))
    assert {d: bag.dags[d].schedule for d in ("catalog_pagila", "catalog_mssql", "catalog_airflow")} == dict.fromkeys(
        ("catalog_pagila", "catalog_mssql", "catalog_airflow"), "45 1 * * *")


def test_params_reject_wrong_types_at_trigger():
    from airflow.sdk.exceptions import ParamValidationError

    dag = load_dag("catalog_pagila")
    params = copy.deepcopy(dag.params)
    with pytest.raises(ParamValidationError, match="include_views"):
        params["include_views"] = "yes"  # ParamsDict validates on assignment
    with pytest.raises(ParamValidationError, match="scope"):
        params["scope"] = "partial"
    params["include_views"] = False
    params["schema_filter"] = ["^public$"]
    assert params.validate()["schema_filter"] == ["^public$"]


def test_inlets_and_outlets_survive_the_dag_processor():
    """Airflow 3's DAG processor ships a parsed DAG to the scheduler with plain types only: an
    inlet of a ``str`` subclass made it drop the whole DAG (no import error shown), which
    ``dag.test()`` never notices. Every xlet must be a plain ``str`` or an Asset."""
    import json

    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    for dag_id, dag in DagBag(str(REPO / "dags")).dags.items():
        for task in dag.tasks:
            for xlet in [*task.inlets, *task.outlets]:
                assert type(xlet) is str or hasattr(xlet, "uri"), f"{dag_id}.{task.task_id}: {type(xlet)!r}"
        json.dumps(DagSerialization.to_dict(dag))  # what the processor sends must be plain JSON
