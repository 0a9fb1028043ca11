"""OpenMetadata misbehaves: down, dies mid-run, flaps 5xx, rejects the token, is slow.

Each case asserts the exact sentence the user reads (the task's exception, first line),
a time bound where waiting is the risk, and that a re-run repairs the catalog: same
ids, nothing duplicated, equal to a clean run read back over HTTP.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from include.catalog.tasks import ingest, preflight
from include.errors import DatakitError, PreflightError
from include.workflow.runner import WorkflowFailed
from tests.reliability.helpers import (
    JWT,
    SERVICE,
    Catalog,
    DagRun,
    closed_port,
    set_om_connection,
    task_durations,
)

pytestmark = [pytest.mark.integration]

FIX_TOKEN = ("Fix: put a valid ingestion-bot JWT (OpenMetadata: Settings > Bots > ingestion-bot) into the "
             "Password field of the Airflow connection 'openmetadata_default'")
RERUN = "then re-run: the ingestion is idempotent, a re-run completes the catalog"


def label(pagila_db) -> str:
    return f"catalog_pagila: {SERVICE} at 127.0.0.1:{pagila_db.port}, database 'pagila'"


def run_ingest(**dag_run):
    """The ``ingest_metadata`` task's callable, as the DAG calls it (preflight bypassed)."""
    return ingest("postgres", SERVICE, dag_run=DagRun(**dag_run))


def first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0]


# --------------------------------------------------------------------------- down before a run


def test_openmetadata_down_fails_the_preflight_in_seconds(airflow_db, monkeypatch, no_task_retries):
    port = closed_port()
    api = set_om_connection(monkeypatch, port)
    # The source is never reached: both tasks stop at OpenMetadata first.
    source = f"127.0.0.1:{closed_port()}"
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": int(source.split(":")[1]), "login": "u",
         "password": "pw-unused", "schema": "pagila"}))

    result = no_task_retries("catalog_pagila")
    assert result.state == "failed"
    assert result.task_states == {"wait_for_depth": "success", "preflight": "failed", "ingest_metadata": "upstream_failed"}
    took = task_durations("catalog_pagila")["preflight"]
    assert took < 3, f"a refused connection took {took:.1f} s to fail the preflight"
    assert result.seconds < 10, f"the whole run took {result.seconds:.1f} s"

    started = time.monotonic()
    with pytest.raises(PreflightError) as err:
        preflight("postgres", SERVICE)
    assert time.monotonic() - started < 2
    expected = (f"OpenMetadata is not reachable at {api} ([Errno 111] Connection refused). Fix: start the "
                f"OpenMetadata server, or correct Host/Port/Schema of the 'openmetadata_default' connection")
    assert str(err.value) == expected

    # Preflight bypassed: the ingest task says the same, not the SDK's urllib3 chain.
    started = time.monotonic()
    with pytest.raises(DatakitError) as err:
        run_ingest()
    assert str(err.value) == f"catalog_pagila: {SERVICE} at {source}, database 'pagila': {expected}"
    assert time.monotonic() - started < 15  # urllib3's connect retries of the version check


# --------------------------------------------------------------------------- dies mid-run


@pytest.mark.parametrize("when, method, path, nth", [
    # after the tables' bulk PUT, on the 3rd foreign-key PATCH (PATCH is not retried by urllib3)
    pytest.param("late", "PATCH", r"^/v1/tables/[0-9a-f-]+$", 3, id="late-constraint-patch"),
    # early, on the 4th table lookup of the source step (a GET: urllib3 retries, then refused)
    pytest.param("early", "GET", r"^/v1/tables/name/", 4, id="early-table-lookup"),
])
def test_openmetadata_dies_mid_run_then_a_rerun_completes(
        when, method, path, nth, airflow_db, pagila_db, om_emulator_factory, monkeypatch, tmp_path,
        no_task_retries, request):
    state = tmp_path / "om-state.json"
    emulator = om_emulator_factory(token=JWT, state_path=state)
    api = set_om_connection(monkeypatch, emulator.url)
    emulator.faults.add(method, path, stop=True, nth=nth)

    started = time.monotonic()
    with pytest.raises(WorkflowFailed) as err:
        run_ingest()
    elapsed = time.monotonic() - started
    assert emulator._server is None, "the fault stopped the emulator"
    died_on = next(p for m, p, s in emulator.requests_log if s == 0).removeprefix("/api")
    reason = ("the server closed the connection without answering" if method == "PATCH"
              else "[Errno 111] Connection refused")
    pattern = (re.escape(f"{label(pagila_db)}: OpenMetadata at {api} stopped answering during the run ({reason} "
                         f"on {method} {died_on}); ")
               + r"\d+" + re.escape(" later request(s) were not sent. Fix: check that the server is up (its "
                                    "/healthcheck) and that Host/Port of the 'openmetadata_default' connection are "
                                    f"right, {RERUN}"))
    assert re.fullmatch(pattern, first_line(err.value)), first_line(err.value)
    assert "HTTPConnectionPool" not in str(err.value) and "Max retries exceeded" not in str(err.value)
    assert err.value.summary["status"] == "failed"
    # Before the circuit, a server that died early cost ~60 s of urllib3 retries on pagila
    # (2 s per request, growing with the number of tables); now one request's retries (~6 s).
    assert elapsed < 20, f"a dead server held the run for {elapsed:.1f} s"

    if when == "early":  # no table was written (the late case shows the recovery)
        assert emulator.store.count("tables", include_deleted=True) == 0
        return

    # OpenMetadata is back (same port, same state file): the next run completes.
    clean_catalog = request.getfixturevalue("clean_catalog")
    emulator = om_emulator_factory(token=JWT, state_path=state, port=emulator.port)
    catalog = Catalog(emulator.url)
    ids_before = catalog.ids()
    assert len(ids_before) == len(clean_catalog["snapshot"]["tables"]), "the tables' bulk PUT went through"
    rerun = no_task_retries("catalog_pagila")
    assert rerun.state == "success", rerun.task_states
    assert rerun.xcoms["ingest_metadata"]["status"] == "success"

    ids_after = catalog.ids()
    assert {name: ids_after[name] for name in ids_before} == ids_before, "entities keep their ids"
    assert emulator.store.count("tables", include_deleted=True) == clean_catalog["tables"], "nothing duplicated"
    assert catalog.snapshot() == clean_catalog["snapshot"]


# --------------------------------------------------------------------------- 5xx flapping


def test_5xx_flapping_completes_through_retries(airflow_db, pagila_db, clean_catalog, om_connection,
                                                monkeypatch):
    set_om_connection(monkeypatch, om_connection.url, retry_wait=0)
    rule = om_connection.faults.add("PUT", r"/bulk$", status=503, every=2)  # every 2nd bulk PUT
    summary = run_ingest()
    assert summary["status"] == "success"
    assert rule.fired >= 2, "the flapping really happened"
    assert [s for m, p, s in om_connection.requests_log if p.endswith("/bulk")].count(503) == rule.fired
    assert Catalog(om_connection.url).snapshot() == clean_catalog["snapshot"]
    assert om_connection.store.count("tables", include_deleted=True) == clean_catalog["tables"]


def test_persistent_5xx_fails_with_a_clear_summary_and_a_rerun_repairs(
        airflow_db, pagila_db, clean_catalog, om_connection, monkeypatch):
    api = set_om_connection(monkeypatch, om_connection.url, retry_wait=0)
    rule = om_connection.faults.add("PUT", r"^/v1/tables/bulk$", status=504)
    with pytest.raises(WorkflowFailed) as err:
        run_ingest()
    assert rule.fired == 2, "the connection's retries=1: two attempts"
    assert first_line(err.value) == (
        f"{label(pagila_db)}: OpenMetadata at {api} answered 504 to PUT /v1/tables/bulk after 1 retry: "
        f"openmetadata-emulator: injected fault on PUT /api/v1/tables/bulk. Fix: check the server's health and "
        f"logs, {RERUN}")
    text = str(err.value)
    assert "The SDK's verdict: OpenMetadata reported errors" in text
    assert re.search(r"^OpenMetadata +\| \d+ +\| \d+ +\| \d+ +\| [1-9]", text, re.M), "the summary table"
    # Partial state: the schema is there, its tables are not.
    catalog = Catalog(om_connection.url)
    assert catalog.by_name("databaseSchemas", f"{SERVICE}.pagila.public") is not None
    assert catalog.tables() == {}

    om_connection.faults.clear()
    assert run_ingest()["status"] == "success"
    assert catalog.snapshot() == clean_catalog["snapshot"]
    assert om_connection.store.count("tables", include_deleted=True) == clean_catalog["tables"]


# --------------------------------------------------------------------------- 401


def test_rejected_token_points_at_the_connection_password(airflow_db, pagila_db, om_emulator_factory, monkeypatch):
    emulator = om_emulator_factory(token="the-servers-ingestion-bot-jwt")
    api = set_om_connection(monkeypatch, emulator.url)  # the connection has another token
    expected = f"OpenMetadata at {api} rejected the token (401). {FIX_TOKEN}"

    with pytest.raises(PreflightError) as err:
        preflight("postgres", SERVICE)
    assert str(err.value) == expected

    # Preflight bypassed: the SDK's own 401 path, translated by the runner.
    with pytest.raises(DatakitError) as err:
        run_ingest()
    assert str(err.value) == f"{label(pagila_db)}: {expected}"
    assert JWT not in str(err.value)


def test_token_revoked_mid_run_points_at_the_connection_password(airflow_db, pagila_db, om_connection, monkeypatch):
    api = set_om_connection(monkeypatch, om_connection.url)
    om_connection.faults.add("*", r"^/v1/", status=401, after=30,
                             body={"code": 401, "message": "Token has expired"})
    with pytest.raises(WorkflowFailed) as err:
        run_ingest()
    assert first_line(err.value) == f"{label(pagila_db)}: OpenMetadata at {api} rejected the token (401). {FIX_TOKEN}"
    # The circuit opened on the first 401: the rest of the run was not sent.
    assert [s for _, _, s in om_connection.requests_log].count(401) == 1


# --------------------------------------------------------------------------- slow


def test_slow_openmetadata_times_out_on_our_read_timeout(airflow_db, pagila_db, om_connection, monkeypatch):
    api = set_om_connection(monkeypatch, om_connection.url, read_timeout=1)
    slow = om_connection.faults.add("PUT", r"^/v1/tables/bulk$", delay=4)  # > read_timeout, << the SDK's 300 s
    started = time.monotonic()
    with pytest.raises(WorkflowFailed) as err:
        run_ingest()
    elapsed = time.monotonic() - started
    pattern = (re.escape(f"{label(pagila_db)}: OpenMetadata at {api} did not answer PUT /v1/tables/bulk within 1 s "
                         f"(extra read_timeout of the 'openmetadata_default' connection); ")
               + r"\d+" + re.escape(" later request(s) were not sent. Fix: check the server's load and logs, or "
                                    "raise read_timeout; then re-run: the ingestion is idempotent"))
    assert re.fullmatch(pattern, first_line(err.value)), first_line(err.value)
    # urllib3 retries a timed-out PUT once: 2 x 1 s, plus the run itself; never the SDK's 300 s.
    assert 2 <= elapsed < 12, elapsed
    assert slow.seen == 2, "the timed-out PUT was sent twice (urllib3's read retry), then the run stopped waiting"
