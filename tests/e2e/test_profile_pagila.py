"""profile_pagila end to end: real Airflow runs -> the SDK's profiler and PII classifier -> emulator.

Real PostgreSQL 15 with pagila, real ``dag.test()`` runs of ``catalog_pagila`` then
``profile_pagila``; the catalog is read back over the emulator's HTTP API and compared with
what SQL says. The PII classifier runs with a real spaCy English pipeline: see
``tests.support.spacy_model`` (en_core_web_sm 3.8.0 under the production name en_core_web_md).
"""

from __future__ import annotations

import subprocess
import time

import pytest

from openmetadata_emulator.client import Catalog
from tests.support.airflow_run import run_dag
from tests.support.spacy_model import install_stand_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICE = "pagila_postgres"
SCHEMA_FQN = f"{SERVICE}.pagila.public"
TABLES = ("actor", "address", "category", "city", "country", "customer", "film", "film_actor", "film_category",
          "inventory", "language", "rental", "staff", "store", "payment")


@pytest.fixture
def catalog(om_connection):
    return Catalog(om_connection.url)


def latest(catalog: Catalog, table: str) -> dict:
    response = catalog.session.get(f"{catalog.api}/v1/tables/{SCHEMA_FQN}.{table}/tableProfile/latest", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def column(table: dict, name: str) -> dict:
    return next(c for c in table["columns"] if c["name"] == name)


def test_profile_and_classify_pagila(airflow_db, pagila_db, catalog, om_connection, monkeypatch):
    model = install_stand_in(monkeypatch)
    started = time.monotonic()
    assert run_dag("catalog_pagila").state == "success"
    run = run_dag("profile_pagila")
    assert run.state == "success", run.task_states
    profile, classify = run.xcoms["profile"], run.xcoms["classify"]
    assert profile["status"] == "success" and classify["status"] == "success"
    assert "under 1,000,000 rows whole" in run.xcoms["preflight"]["sampling"]
    assert classify["pii"]["spacy_model"] == "en_core_web_md" and classify["pii"]["store_sample_data"] is False

    # Every table's profiled row count is count(*).
    counts = dict(line.split("|") for line in pagila_db.psql(
        " union all ".join(f"select '{t}', count(*) from public.{t}" for t in TABLES), database="pagila").splitlines())
    for table in TABLES:
        assert latest(catalog, table)["profile"]["rowCount"] == int(counts[table]), table

    # Null counts of a column with NULLs, and min/max of payment.amount, as SQL says.
    rental = latest(catalog, "rental")
    nulls = int(pagila_db.psql("select count(*) from public.rental where return_date is null", database="pagila"))
    assert nulls > 0 and column(rental, "return_date")["profile"]["nullCount"] == nulls
    low, high = pagila_db.psql("select min(amount), max(amount) from public.payment", database="pagila").split("|")
    amount = column(latest(catalog, "payment"), "amount")["profile"]
    assert float(amount["min"]) == float(low) and float(amount["max"]) == float(high)
    assert amount["nullCount"] == 0

    # PII: suggested tags on the e-mail columns, none on a column without personal data.
    tags = {}
    for table in TABLES:
        entity = catalog.by_name("tables", f"{SCHEMA_FQN}.{table}", fields="columns,tags")
        for col in entity["columns"]:
            found = [t["tagFQN"] for t in col.get("tags") or [] if t["tagFQN"].startswith("PII.")]
            if found:
                tags[f"{table}.{col['name']}"] = found
            if col["name"] in ("email",):
                assert all(t.get("state") == "Suggested" for t in col.get("tags") or [] if t["tagFQN"].startswith("PII."))
    assert tags.get("customer.email") == ["PII.Sensitive"], tags
    assert tags.get("staff.email") == ["PII.Sensitive"], tags
    assert "film.rental_duration" not in tags and "payment.amount" not in tags
    # No sample data was stored (off by default).
    customer = catalog.by_name("tables", f"{SCHEMA_FQN}.customer")
    sample = catalog.session.get(f"{catalog.api}/v1/tables/{customer['id']}/sampleData", timeout=10).json()
    assert "sampleData" not in sample
    print(f"\ne2e profile_pagila with {model}: {time.monotonic() - started:.1f} s; PII tags: {tags}")


def test_profile_faults(airflow_db, pagila_db, catalog, om_connection, monkeypatch):
    """A table the profiler cannot read and one slower than the timeout are named, the others
    profiled; OpenMetadata lost mid-profile fails clearly and a re-run completes."""
    assert run_dag("catalog_pagila").state == "success"
    # The profiler logs in as a role that may not read staff.
    pagila_db.psql("CREATE ROLE om_profiler LOGIN PASSWORD 'profiler-test-only'; "
                   "GRANT SELECT ON ALL TABLES IN SCHEMA public TO om_profiler; "
                   "REVOKE SELECT ON public.staff FROM om_profiler", database="pagila")
    import json
    conn = json.loads(pagila_db.airflow_conn_json("pagila"))
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps({**conn, "login": "om_profiler",
                                                                  "password": "profiler-test-only"}))
    monkeypatch.setenv("DATAKIT_PROFILER_TIMEOUT_SECONDS", "5")
    # inventory is locked by another session for longer than the timeout.
    holder = subprocess.Popen(
        [*_psql(pagila_db), "-c", "BEGIN; LOCK TABLE public.inventory IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);"],
        env={**pagila_db.env(), "PGAPPNAME": "lock-holder"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from include.profiling import tasks

    try:
        time.sleep(1)
        # The task's own callable (a DAG run would wait through the task's retries).
        with pytest.raises(Exception) as failed:
            tasks.profile("postgres", "pagila_postgres",
                          params={"table_filter": ["^(actor|staff|inventory|city)$"], "classification": False})
    finally:
        holder.kill()
        holder.wait()
        pagila_db.psql("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'lock-holder'",
                       database="pagila")
    message = str(failed.value)
    print(f"\nprofile faults, first line: {message.splitlines()[0]}")
    first = message.splitlines()[0]
    assert first.startswith("2 table(s) not profiled, the others were:"), first
    assert "pagila_postgres.pagila.public.inventory (cut after the 5 s per-table timeout)" in first, first
    assert "pagila_postgres.pagila.public.staff ((psycopg2.errors.InsufficientPrivilege) permission denied" in first
    summary = failed.value.summary
    assert {f["name"].rsplit(".", 1)[-1] for f in summary["failures"]} == {"staff", "inventory"}, summary
    profiled = {t: "profile" in latest(catalog, t) for t in ("actor", "city", "staff", "inventory")}
    assert profiled == {"actor": True, "city": True, "staff": False, "inventory": False}

    # OpenMetadata stops answering mid-profile: the task fails saying so; a re-run completes.
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(conn))
    monkeypatch.delenv("DATAKIT_PROFILER_TIMEOUT_SECONDS")
    om_connection.faults.add("PUT", r"^/v1/tables/[^/]+/tableProfile$", drop=True, after=3)
    with pytest.raises(Exception) as lost:
        tasks.profile("postgres", "pagila_postgres", params={})
    assert "stopped answering during the run" in str(lost.value) and "re-run" in str(lost.value)
    om_connection.faults.clear()
    summary = tasks.profile("postgres", "pagila_postgres", params={})
    assert summary["status"] == "success"
    assert all("profile" in latest(catalog, t) for t in TABLES)


def _psql(cluster) -> list[str]:
    from tests.support.postgres import pg_bin

    return [pg_bin("psql"), "-X", "-q", "-h", cluster.host, "-p", str(cluster.port), "-U", cluster.user, "-d", "pagila"]
