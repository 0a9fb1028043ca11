"""No secret leaves its connection: not in a task log, a rendered template, an XCom or an
exception, across a real run of every DAG that can run here (``catalog_airflow`` needs the
SDK patched per run, see tests/e2e/test_catalog_airflow.py, and is left to that test).

The secrets: the ingestion-bot JWT (``openmetadata_default``), pagila's PostgreSQL password
(``pagila_postgres``), the metadata DB password (``airflow_metadata_db``) and a Slack
webhook (``slack_default``: the failure alerts of the failing DAGs try it, on a closed port).
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from pathlib import Path

import pytest

from include.catalog.tasks import preflight
from tests.reliability.helpers import JWT, closed_port, set_om_connection

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ASSETS = ["postgres://pagila-db:5432/pagila/analytics/film_revenue",
          "postgres://pagila-db:5432/pagila/analytics/category_revenue"]
METADATA_DB_PASSWORD = "pw-metadata-db-Kp3-reliability"
SLACK_TOKEN = "slack-webhook-Vt9-reliability-secret"


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    """Names of the secrets found in ``text``, whole or as their middle part."""
    return [name for name, value in secrets.items() if value in text or value[4:-4] in text]


def airflow_db_rows() -> dict[str, str]:
    """Rendered templates and XComs of every run, as text."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rendered = session.execute(select(RTIF.dag_id, RTIF.task_id, RTIF.rendered_fields, RTIF.k8s_pod_yaml)).all()
        xcoms = session.execute(select(XComModel.dag_id, XComModel.task_id, XComModel.key, XComModel.value)).all()
    return {
        **{f"rendered {d}.{t}": json.dumps(fields, default=str) + json.dumps(pod, default=str)
           for d, t, fields, pod in rendered},
        **{f"xcom {d}.{t}.{k}": json.dumps(value, default=str) for d, t, k, value in xcoms},
    }


def test_no_secret_in_logs_templates_xcoms_or_errors(airflow_db, pagila_db, om_emulator_factory, monkeypatch,
                                                     tmp_path, no_task_retries, capfd, caplog):
    emulator = om_emulator_factory(token=JWT)
    set_om_connection(monkeypatch, emulator.url)
    monkeypatch.setenv("AIRFLOW_CONN_MSSQL_CORP", json.dumps(
        {"conn_type": "mssql", "host": "sql01.corp.example.com", "port": closed_port(), "schema": "Sales"}))
    monkeypatch.setenv("AIRFLOW_CONN_AIRFLOW_METADATA_DB", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": closed_port(), "login": "airflow",
         "password": METADATA_DB_PASSWORD, "schema": "airflow"}))
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_DEFAULT", json.dumps(
        {"conn_type": "slackwebhook", "password": f"http://127.0.0.1:{closed_port()}/services/T0/B0/{SLACK_TOKEN}"}))
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path}/no-ticket-cache")
    monkeypatch.setenv("OPENMETADATA_LINEAGE_ENABLED", "true")
    secrets = {"JWT": JWT, "pagila password": pagila_db.password, "metadata DB password": METADATA_DB_PASSWORD,
               "Slack webhook": SLACK_TOKEN}
    caplog.set_level(logging.INFO)  # the task log's level

    runs = {
        "catalog_pagila": no_task_retries("catalog_pagila"),
        "pagila_film_revenue": no_task_retries("pagila_film_revenue"),
        "catalog_refresh_assets": no_task_retries("catalog_refresh_assets", conf={
            "asset_uris": ASSETS,
            "producers": ["pagila_film_revenue.build_film_revenue", "pagila_film_revenue.build_category_revenue"]}),
        # The SDK's lineage operator holds the JWT in its typed server config.
        "pagila_explicit_lineage": no_task_retries("pagila_explicit_lineage"),
        "kerberos_diagnostics": no_task_retries("kerberos_diagnostics"),
        "catalog_mssql": no_task_retries("catalog_mssql"),
    }
    states = {dag_id: run.state for dag_id, run in runs.items()}
    assert states == {"catalog_pagila": "success", "pagila_film_revenue": "success",
                      "catalog_refresh_assets": "success", "pagila_explicit_lineage": "success",
                      "kerberos_diagnostics": "failed",
                      "catalog_mssql": "failed"}, {d: r.task_states for d, r in runs.items()}
    assert runs["catalog_mssql"].task_states["preflight"] == "failed"
    assert emulator.store.lineage, "the listener sent lineage (with the JWT) during the ETL"

    # The token is rejected: the failure path of every catalog task that holds it.
    emulator.token = "rotated-token"
    rejected = no_task_retries("catalog_pagila")
    assert rejected.task_states["preflight"] == "failed"

    # Exceptions the user reads, with their tracebacks.
    errors = []
    for kind, conn_id in (("postgres", "pagila_postgres"), ("mssql", "mssql_corp")):
        try:
            preflight(kind, conn_id)
        except Exception as exc:  # noqa: BLE001 - each must fail, and be clean
            errors.append("".join(traceback.format_exception(exc)))
    assert len(errors) == 2

    out, err = capfd.readouterr()
    log_files = {str(p): p.read_text(errors="replace") for p in Path(os.environ["AIRFLOW_HOME"]).rglob("*")
                 if p.is_file() and p.suffix in {".log", ".json", ""} and "airflow.db" not in p.name}
    records = "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records)
    rows = airflow_db_rows()
    assert any(k.startswith("rendered pagila_film_revenue.") for k in rows), "rendered templates were stored"
    assert any(k.startswith("xcom catalog_pagila.ingest_metadata") for k in rows), "XComs were stored"
    logs = out + err + records
    assert "catalog_pagila: pagila_postgres at 127.0.0.1:" in logs, "the ingest task's log was captured"
    assert "Executing: -- Revenue and rentals per film" in logs, "the ETL task's log was captured"

    places = {"stdout": out, "stderr": err, "log records": records, **log_files, **rows,
              **{f"exception {i}": text for i, text in enumerate(errors)}}
    # What the datakit itself handles never reaches a log, a row or an error, not even masked.
    ours = {name: value for name, value in secrets.items() if name != "Slack webhook"}
    found = {place: leaks(text, ours) for place, text in places.items() if leaks(text, ours)}
    assert found == {}, f"secrets leaked: {found}"
    # The Slack webhook URL is logged in clear by slack_sdk's retry handler ("Going to retry
    # the same request: POST <url>", through the Slack provider's hook logger); a task log
    # written by Airflow hides it, because the connection's password is registered with the
    # secrets masker. Assert that masking, which is what stands between the URL and the log.
    from airflow.sdk._shared.secrets_masker.secrets_masker import _secrets_masker

    masker = _secrets_masker()
    masked = {place: leaks(str(masker.redact(text)), secrets) for place, text in places.items()}
    assert {place: names for place, names in masked.items() if names} == {}, "a secret survives Airflow's masking"
