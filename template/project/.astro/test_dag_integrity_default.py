"""The quick gate `astro dev parse` (and `astro dev pytest`) runs inside the image.

Every file in dags/ imports without errors, except those listed in
dag_integrity_exceptions.txt. tests/dags/test_dag_integrity.py checks more (tags, retries,
owner, parse cost) with `make test`.
"""

from __future__ import annotations

import os
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
def dag_bag() -> DagBag:
    return DagBag(str(DAGS))


def test_no_import_errors(dag_bag: DagBag) -> None:
    errors = {os.path.relpath(path, DAGS.parent): error for path, error in dag_bag.import_errors.items()}
    errors = {path: error for path, error in errors.items() if path not in EXCEPTIONS}
    assert not errors, errors


def test_dags_found(dag_bag: DagBag) -> None:
    assert dag_bag.dags, f"no DAG in {DAGS}"
