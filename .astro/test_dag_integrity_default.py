"""DAG integrity check run by `astro dev pytest` / `astro dev parse` inside the image.

Every file in dags/ imports without errors, and no DAG import pulls in the OpenMetadata
SDK (~10 s per parse). The full suite (tests/) checks much more; this is the quick
gate Astro runs before a deploy.
"""

import os
import sys
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

DAGS = Path(__file__).resolve().parents[1] / "dags"
EXCEPTIONS = {
    line.strip()
    for line in (Path(__file__).parent / "dag_integrity_exceptions.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
}


@pytest.fixture(scope="module")
def dag_bag():
    return DagBag(str(DAGS))


def test_no_import_errors(dag_bag):
    errors = {os.path.relpath(k, DAGS.parent): v for k, v in dag_bag.import_errors.items()}
    errors = {k: v for k, v in errors.items() if k not in EXCEPTIONS}
    assert not errors, errors


def test_dags_have_tags_and_retries(dag_bag):
    for dag_id, dag in dag_bag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.default_args.get("retries", 0) >= 2, f"{dag_id} retries < 2"


def test_sdk_not_imported_by_parsing(dag_bag):
    assert "metadata.workflow" not in sys.modules
