"""The package's test suite: an isolated Airflow, the OpenMetadata API emulator, a seeded catalog.

Airflow is isolated in a throwaway ``AIRFLOW_HOME`` with a SQLite metadata DB, unless the
environment already names a test Airflow (both ``AIRFLOW_HOME`` and
``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` set, as a repository-wide suite or CI does), so no
test touches a developer's ~/airflow. The emulator fixtures (``om_emulator``, ...) come from the
``openmetadata-emulator`` distribution's pytest plugin (a test dependency of this package).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from lineage_testing import seed_tables, set_openmetadata_connection

_OWN_HOME: Path | None = None
if not (os.environ.get("AIRFLOW_HOME") and os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")):
    _OWN_HOME = Path(tempfile.mkdtemp(prefix="aol-airflow-home-"))
    os.environ["AIRFLOW_HOME"] = str(_OWN_HOME)
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_OWN_HOME}/airflow.db"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_OWN_HOME / "dags")
    os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(_OWN_HOME / "plugins")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if _OWN_HOME is not None:
        shutil.rmtree(_OWN_HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def lineage_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Known settings for every test: none of the developer's, a 1 s bound."""
    for name in list(os.environ):
        if name.startswith(("OPENMETADATA_LINEAGE_", "DATAKIT_LINEAGE_", "AIRFLOW__OPENMETADATA_LINEAGE__",
                            "AIRFLOW__DATAKIT_LINEAGE__")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENMETADATA_LINEAGE_TIMEOUT_SECONDS", "1")


@pytest.fixture
def openmetadata(om_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A healthy emulator with the ``warehouse`` tables, and ``openmetadata_default`` pointing at it."""
    set_openmetadata_connection(monkeypatch, om_emulator.url)
    seed_tables(om_emulator.url)
    return om_emulator


@pytest.fixture(scope="session")
def airflow_metadata_db() -> str:
    """A migrated Airflow metadata DB (the isolated SQLite one, or the suite's)."""
    from airflow.utils import db

    db.initdb()
    return os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


@pytest.fixture
def dag_runs_cleaned(airflow_metadata_db: str) -> Iterator[None]:
    """DAG runs a test creates are deleted after it (the metadata DB lives for the session)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select

    with create_session() as session:
        before = set(session.scalars(select(DagRun.id)))
    yield
    with create_session() as session:
        session.execute(delete(DagRun).where(DagRun.id.not_in(before)))
