"""Failure alerts to Slack, through the Slack provider's notifiers, when a connection exists.

Every task of the datakit's DAGs gets ``failure_alert`` as ``on_failure_callback`` through the
shared defaults (``include.catalog.dag_defaults.default_args``). On Airflow 3 a task's
callbacks run in the task's own process, after its final failure (a try that will be
retried calls ``on_retry_callback`` instead), with the exception in ``context["exception"]``.
Connections are read there as in the task (``AIRFLOW_CONN_*``, secrets backend, or the
metadata DB through the API server).

The connection is ``Alerts.slack_conn_id`` (default ``slack_default``, env
``DATAKIT_ALERTS_SLACK_CONN_ID``):

* conn_type ``slackwebhook``: password = the Incoming Webhook URL (or the token part after
  ``https://hooks.slack.com/services/``): ``SlackWebhookNotifier``;
* conn_type ``slack``: password = a bot token (``xoxb-...``), message to
  ``DATAKIT_ALERTS_SLACK_CHANNEL``: ``SlackNotifier``.

No connection: nothing is sent (logged at debug). An alert that cannot be sent is logged as a
warning; it never raises, so the task's own failure stays what the run reports.

The message: DAG, source (the task's connection), failed step (task id), the first line of
the error, and the link to the task's log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class FailureFacts:
    dag_id: str
    task_id: str
    source: str
    error: str
    log_url: str
    run_id: str
    try_number: int | None

    def text(self) -> str:
        tried = f" (try {self.try_number})" if self.try_number else ""
        return "\n".join([
            f":red_circle: *Airflow task failed*: `{self.dag_id}.{self.task_id}`",
            f"*DAG:* {self.dag_id}",
            f"*Source:* {self.source}",
            f"*Failed step:* {self.task_id}{tried}",
            f"*Error:* {self.error}",
            f"*Run:* {self.run_id}",
            f"*Log:* {self.log_url}",
        ])


def first_error_line(exception: Any) -> str:
    """``Type: first line of the message``, at most ``MAX_ERROR_CHARS`` characters."""
    if exception is None:
        return "no exception recorded (see the log)"
    if isinstance(exception, str):
        name, text = "", exception
    else:
        name, text = type(exception).__name__, str(exception)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    line = f"{name}: {first}" if name and first else (name or first or "unknown error")
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def source_of(context: Mapping[str, Any]) -> str:
    """The source a failed task was working on: its ``conn_id`` argument, else its DAG's source."""
    task = context.get("task")
    for holder in (getattr(task, "op_kwargs", None), getattr(task, "params", None)):
        try:
            conn_id = (holder or {}).get("conn_id")
        except Exception:  # pragma: no cover - exotic params objects
            conn_id = None
        if conn_id:
            return str(conn_id)
    conn_id = getattr(task, "conn_id", None)
    if isinstance(conn_id, str) and conn_id:
        return conn_id
    dag_id = _dag_id(context)
    try:
        from include.catalog.schedules import catalog_sources

        source = next((s for s in catalog_sources().values() if s.dag_id == dag_id), None)
    except Exception:  # never let a settings error mask the task's failure
        source = None
    return source.conn_id if source else "-"


def _dag_id(context: Mapping[str, Any]) -> str:
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    return str(getattr(ti, "dag_id", None) or getattr(dag, "dag_id", None) or "?")


def facts_of(context: Mapping[str, Any]) -> FailureFacts:
    ti = context.get("ti") or context.get("task_instance")
    task = context.get("task")
    try:
        log_url = str(ti.log_url)
    except Exception:
        log_url = "-"
    return FailureFacts(
        dag_id=_dag_id(context),
        task_id=str(getattr(ti, "task_id", None) or getattr(task, "task_id", None) or "?"),
        source=source_of(context),
        error=first_error_line(context.get("exception")),
        log_url=log_url,
        run_id=str(getattr(ti, "run_id", None) or context.get("run_id") or "-"),
        try_number=getattr(ti, "try_number", None),
    )


def _connection(conn_id: str) -> Any | None:
    """The alert connection, or None when it does not exist (the silent case)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


def notifier_for(conn: Any, text: str, *, channel: str, timeout: int):
    """The Slack provider's notifier for this connection type (None for another type)."""
    conn_type = (conn.conn_type or "").strip().lower()
    if conn_type == "slackwebhook":
        from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

        return SlackWebhookNotifier(slack_webhook_conn_id=conn.conn_id, text=text, timeout=timeout)
    if conn_type == "slack":
        from airflow.providers.slack.notifications.slack import SlackNotifier

        return SlackNotifier(slack_conn_id=conn.conn_id, text=text, channel=channel, timeout=timeout,
                             unfurl_links=False, unfurl_media=False)
    return None


def send_failure_alert(context: Mapping[str, Any]) -> bool:
    """Post the failure of ``context``'s task to Slack; True when a message was sent. Never raises."""
    try:
        from include.settings import get_settings

        alerts = get_settings().alerts
        conn = _connection(alerts.slack_conn_id)
        if conn is None:
            log.debug("no Airflow connection %r: failure alert not sent", alerts.slack_conn_id)
            return False
        facts = facts_of(context)
        notifier = notifier_for(conn, facts.text(), channel=alerts.slack_channel, timeout=alerts.timeout_seconds)
        if notifier is None:
            log.warning("connection %r has conn_type %r; failure alerts need slackwebhook or slack: not sent",
                        alerts.slack_conn_id, conn.conn_type)
            return False
        # notify(), not __call__: the message holds the error text, which must not be rendered
        # as a Jinja template.
        notifier.notify(context)
        log.info("failure alert for %s.%s sent to Slack (%s)", facts.dag_id, facts.task_id, alerts.slack_conn_id)
        return True
    except Exception as exc:  # an alert must never mask the task's own failure
        log.warning("failure alert not sent: %s", first_error_line(exc))
        return False


class FailureAlert:
    """``on_failure_callback`` of the datakit's tasks (a named callable: readable in logs and tests)."""

    def __call__(self, context: Mapping[str, Any]) -> None:
        send_failure_alert(context)

    def __repr__(self) -> str:
        return "include.notifications.failure_alert"

    def __deepcopy__(self, memo: dict) -> "FailureAlert":  # one shared instance through default_args copies
        return self


failure_alert = FailureAlert()
