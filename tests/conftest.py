"""Suite-wide setup: an isolated Airflow home, throwaway PostgreSQL, the OpenMetadata emulator.

The Airflow environment variables are set here, before any test module imports Airflow,
so no test touches a developer's ~/airflow.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="datakit-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPO / "plugins")
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_AIRFLOW_HOME}/airflow.db")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

# The emulator's fixtures (om_emulator, om_emulator_factory, om_emulator_session, om_catalog)
# come from the openmetadata-emulator distribution's pytest plugin (packages/, installed by
# `make setup`).


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db():
    """A migrated Airflow metadata DB (SQLite in the temp AIRFLOW_HOME)."""
    from airflow.utils import db

    db.initdb()
    return os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


@pytest.fixture(autouse=True)
def _no_leftover_dag_runs(request):
    """A test that uses the metadata DB leaves no DAG runs behind, whatever order tests run in."""
    if "airflow_db" not in request.fixturenames:
        yield
        return
    from tests.support.airflow_run import dag_runs_removed_after

    request.getfixturevalue("airflow_db")
    with dag_runs_removed_after():
        yield


@pytest.fixture(scope="session")
def pg_cluster():
    """A real PostgreSQL 15 cluster on a free loopback port, with pagila loaded as a template."""
    from tests.support import prereq
    from tests.support.postgres import PAGILA_DIR, pg_bin, start_cluster

    for program in ("initdb", "pg_ctl", "psql"):
        if not pg_bin(program):
            prereq.missing(f"PostgreSQL program {program!r} not found (Debian package postgresql)")
    if not (PAGILA_DIR / "pagila-data.sql").is_file():
        prereq.missing(f"pagila data not found at {PAGILA_DIR} (../shared must be beside the repo)")
    # Not under pytest's tmp dir: that is mode 0700 root, and the server runs as `postgres`.
    cluster = start_cluster()
    try:
        cluster.load_pagila("pagila_template")
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture
def pagila_db(pg_cluster, monkeypatch):
    """A fresh database ``pagila`` (a copy of the template) and its ``pagila_postgres`` connection."""
    pg_cluster.drop_database("pagila")
    pg_cluster.create_database("pagila", template="pagila_template")
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", pg_cluster.airflow_conn_json("pagila"))
    yield pg_cluster
    pg_cluster.drop_database("pagila")


@pytest.fixture
def om_connection(om_emulator, monkeypatch):
    """``openmetadata_default`` pointing at a fresh emulator."""
    import json
    from urllib.parse import urlsplit

    parts = urlsplit(om_emulator.url)
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT",
        json.dumps({"conn_type": "http", "schema": parts.scheme, "host": parts.hostname, "port": parts.port,
                    "password": "test-jwt-not-a-secret", "extra": {"read_timeout": 30}}),
    )
    return om_emulator
