"""Failure alerts: the message, the silent no-op, and real failing DAG runs posting to a fake Slack.

The fake Slack is a real local HTTP server answering as Slack does (Incoming Webhook: 200
``ok``; Web API ``chat.postMessage``: ``{"ok": true}``); the Slack provider's own notifiers
post to it.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import airflow.sdk  # noqa: F401 - Airflow configures logging on import: before pytest's caplog, not inside a test
import pytest

from include import notifications
from tests.support.airflow_run import run_dag
from tests.support.postgres import free_port


class FakeSlack:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"raw": body}
                fake.posts.append({"path": self.path, "payload": payload,
                                   "authorization": self.headers.get("Authorization")})
                api = self.path.endswith("chat.postMessage")
                answer = json.dumps({"ok": fake.status == 200}).encode() if api else b"ok"
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json" if api else "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def texts(self) -> list[str]:
        return [p["payload"].get("text", "") for p in self.posts]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_slack():
    slack = FakeSlack()
    yield slack
    slack.stop()


@pytest.fixture
def webhook_connection(fake_slack, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_DEFAULT", json.dumps(
        {"conn_type": "slackwebhook", "password": f"{fake_slack.url}/services/T000/B000/XXXX"}))
    return fake_slack


# ---------------------------------------------------------------------------- the message


def test_first_error_line():
    assert notifications.first_error_line(ValueError("boom\nstack\nmore")) == "ValueError: boom"
    assert notifications.first_error_line(RuntimeError("\n\n  late first line  \nx")) == "RuntimeError: late first line"
    assert notifications.first_error_line(KeyError()) == "KeyError"
    assert notifications.first_error_line(None) == "no exception recorded (see the log)"
    assert notifications.first_error_line("a string error\nline 2") == "a string error"
    long = notifications.first_error_line(ValueError("x" * 2000))
    assert len(long) == notifications.MAX_ERROR_CHARS and long.endswith("…")


def context(task_id="preflight", dag_id="catalog_pagila", exception=None, **task_attrs):
    ti = SimpleNamespace(dag_id=dag_id, task_id=task_id, run_id="manual__1", try_number=1,
                         log_url=f"http://localhost:8080/dags/{dag_id}/runs/manual__1/tasks/{task_id}?try_number=1")
    return {"ti": ti, "task": SimpleNamespace(task_id=task_id, **task_attrs), "exception": exception}


def test_facts_name_dag_source_step_error_and_log():
    facts = notifications.facts_of(context(op_kwargs={"kind": "postgres", "conn_id": "pagila_postgres"},
                                           exception=ValueError("first\nsecond")))
    text = facts.text()
    for part in ("*DAG:* catalog_pagila", "*Source:* pagila_postgres", "*Failed step:* preflight (try 1)",
                 "*Error:* ValueError: first", "*Log:* http://localhost:8080/dags/catalog_pagila/runs/manual__1/"
                 "tasks/preflight?try_number=1"):
        assert part in text
    assert "second" not in text


def test_source_from_operator_conn_id_or_the_dags_source():
    assert notifications.source_of(context(conn_id="pagila_postgres")) == "pagila_postgres"  # SQL operators
    assert notifications.source_of(context(dag_id="catalog_mssql", op_kwargs={})) == "mssql_corp"
    assert notifications.source_of(context(dag_id="pagila_film_revenue")) == "-"


def test_no_connection_is_a_silent_no_op(monkeypatch, caplog):
    monkeypatch.delenv("AIRFLOW_CONN_SLACK_DEFAULT", raising=False)
    with caplog.at_level(logging.DEBUG, logger="include.notifications"):
        assert notifications.send_failure_alert(context(exception=ValueError("x"))) is False
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert "no Airflow connection 'slack_default'" in caplog.text


def test_wrong_connection_type_or_unreachable_slack_only_warns(monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_DEFAULT", json.dumps({"conn_type": "http", "host": "x"}))
    assert notifications.send_failure_alert(context(exception=ValueError("x"))) is False
    assert "has conn_type 'http'; failure alerts need slackwebhook or slack" in caplog.text
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_DEFAULT", json.dumps(
        {"conn_type": "slackwebhook", "password": f"http://127.0.0.1:{free_port()}/services/T/B/X"}))
    assert notifications.send_failure_alert(context(exception=ValueError("x"))) is False
    assert "failure alert not sent" in caplog.text


def test_the_callback_never_raises(monkeypatch):
    monkeypatch.setattr(notifications, "facts_of", lambda ctx: 1 / 0)
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_DEFAULT", json.dumps({"conn_type": "slackwebhook", "password": "x"}))
    notifications.failure_alert(context())  # no exception


def test_conn_id_comes_from_settings(fake_slack, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SLACK_DEFAULT", raising=False)
    monkeypatch.setenv("DATAKIT_ALERTS_SLACK_CONN_ID", "team_alerts")
    monkeypatch.setenv("AIRFLOW_CONN_TEAM_ALERTS", json.dumps(
        {"conn_type": "slackwebhook", "password": f"{fake_slack.url}/services/T1/B1/Y"}))
    assert notifications.send_failure_alert(context(exception=ValueError("x"))) is True
    assert [p["path"] for p in fake_slack.posts] == ["/services/T1/B1/Y"]


def test_slack_api_connection_posts_to_the_channel(fake_slack, monkeypatch):
    monkeypatch.setenv("DATAKIT_ALERTS_SLACK_CHANNEL", "#catalog")
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_DEFAULT", json.dumps(
        {"conn_type": "slack", "password": "xoxb-not-a-secret", "extra": {"base_url": f"{fake_slack.url}/api/"}}))
    assert notifications.send_failure_alert(context(op_kwargs={"conn_id": "pagila_postgres"},
                                                    exception=ValueError("boom"))) is True
    [post] = fake_slack.posts
    assert post["path"] == "/api/chat.postMessage"
    assert post["authorization"] == "Bearer xoxb-not-a-secret"
    assert post["payload"]["channel"] == "#catalog"
    assert "*Error:* ValueError: boom" in post["payload"]["text"]


# ---------------------------------------------------------------------------- real DAG runs


@pytest.fixture
def unreachable_pagila(monkeypatch, om_connection):
    """catalog_pagila whose PostgreSQL port is closed: its preflight fails (retries=0)."""
    port = free_port()
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": port, "login": "postgres", "password": "x",
         "schema": "pagila"}))
    return port


FAILED = {"wait_for_depth": "success", "preflight": "failed", "ingest_metadata": "upstream_failed"}


@pytest.mark.integration
def test_failing_task_of_a_real_run_posts_exactly_one_message(airflow_db, unreachable_pagila, webhook_connection):
    result = run_dag("catalog_pagila")
    assert result.state == "failed" and result.task_states == FAILED
    assert len(webhook_connection.posts) == 1, webhook_connection.posts
    [post] = webhook_connection.posts
    assert post["path"] == "/services/T000/B000/XXXX"
    text = post["payload"]["text"]
    assert "*DAG:* catalog_pagila" in text
    assert "*Source:* pagila_postgres" in text
    assert "*Failed step:* preflight (try 1)" in text
    # The first line of the real error: PreflightError naming the connection, host and port.
    assert (f"*Error:* PreflightError: pagila_postgres: cannot connect to PostgreSQL at 127.0.0.1:"
            f"{unreachable_pagila}, database 'pagila'") in text
    assert "/dags/catalog_pagila/runs/" in text and "/tasks/preflight" in text


@pytest.mark.integration
def test_without_the_connection_nothing_is_posted_and_the_failure_is_unchanged(
        airflow_db, unreachable_pagila, fake_slack, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SLACK_DEFAULT", raising=False)
    result = run_dag("catalog_pagila")
    assert result.state == "failed" and result.task_states == FAILED
    assert fake_slack.posts == []


@pytest.mark.integration
def test_slack_answering_500_does_not_change_the_failure(airflow_db, unreachable_pagila, webhook_connection):
    webhook_connection.status = 500
    result = run_dag("catalog_pagila")
    assert result.state == "failed" and result.task_states == FAILED
    assert len(webhook_connection.posts) >= 1  # tried (the SDK's client may retry), then gave up quietly
