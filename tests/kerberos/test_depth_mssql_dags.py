"""profile_mssql and query_log_mssql up to the driver: a real KDC ticket, unixODBC with FreeTDS.

No SQL Server can run here (as for catalog_mssql): the server side is a closed loopback port,
so what is tested is that each workflow is built for the Kerberos connection (pyodbc, no
password), the preflight checks ticket, driver and port first, and the SDK's profiler, PII
and query-log workflows fail fast naming host and port.
"""

from __future__ import annotations

import time

import pytest

from include.errors import DatakitError, PreflightError
from tests.kerberos.test_catalog_mssql_dag import mssql_env  # noqa: F401 - the shared fixture
from tests.support.airflow_run import run_dag

pytestmark = pytest.mark.integration


def test_profile_mssql_preflight_and_workflows_fail_fast_naming_the_server(mssql_env, airflow_db):  # noqa: F811
    from include.profiling import tasks

    port, _ = mssql_env
    run = run_dag("profile_mssql", conf={"classification": False})
    assert run.state == "failed"
    assert run.task_states["preflight"] == "failed" and run.task_states["profile"] == "upstream_failed"
    with pytest.raises(PreflightError, match=rf"Cannot reach SQL Server at 127\.0\.0\.1:{port} over TCP"):
        tasks.preflight("mssql", "mssql_corp", params={"classification": False})

    started = time.monotonic()
    with pytest.raises(DatakitError) as err:
        tasks.profile("mssql", "mssql_corp", params={})
    assert time.monotonic() - started < 60
    assert f"profiler of mssql_corp at 127.0.0.1:{port}, database 'Sales'" in str(err.value)
    assert f"127.0.0.1:{port} is not reachable" in str(err.value)


def test_query_log_mssql_builds_the_sdks_mssql_sources_and_fails_fast(mssql_env, airflow_db):  # noqa: F811
    from include.profiling.tasks import _base_config
    from include.querylog import tasks
    from include.querylog.config import build_lineage_config, build_usage_config
    from include.querylog.options import QueryLogOptions

    port, _ = mssql_env
    _, _, base = _base_config("mssql", "mssql_corp", None, None)
    lineage = build_lineage_config(base, "mssql", QueryLogOptions())
    usage = build_usage_config(base, "mssql", QueryLogOptions(), "/tmp/stage")
    assert (lineage.source.type, usage.source.type) == ("mssql-lineage", "mssql-usage")
    connection = lineage.source.serviceConnection.root.config
    assert connection.scheme.value == "mssql+pyodbc" and connection.username is None and connection.password is None
    assert lineage.source.sourceConfig.config.filterCondition.startswith("t.text NOT LIKE '%%sys.%%'")

    run = run_dag("query_log_mssql")
    assert run.task_states["preflight"] == "failed" and run.task_states["lineage"] == "upstream_failed"
    started = time.monotonic()
    with pytest.raises(DatakitError) as err:
        tasks.lineage("mssql", "mssql_corp")
    assert time.monotonic() - started < 60
    assert f"lineage from the query log of mssql_corp at 127.0.0.1:{port}" in str(err.value)
