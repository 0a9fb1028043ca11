"""Run an OpenMetadata ingestion workflow and report what it did.

``run_workflow`` executes the SDK's workflow for a typed ``OpenMetadataWorkflowConfig``
with *our* client limits (the SDK builds its REST client with a 300 s read timeout
and 30 s x attempt retry waits; ``openmetadata_default`` extras set ours), then:

- returns a small JSON-safe summary (records, updated, warnings, errors, filtered per
  step) that the task logs as a table and pushes to XCom;
- raises ``WorkflowFailed`` carrying the SDK's own status verdict and the first
  failures when any step failed, so the Airflow task fails with a readable reason;
- when OpenMetadata itself is the problem (it stopped answering, timed out, rejected
  the token, answered 5xx after the retries), the first line says so in the same words
  as the preflight, naming the URL and the connection, instead of a urllib3 chain;
- stops waiting on a dead server: after the first request that failed at the transport
  level (urllib3 has already retried it), the rest of the run's requests fail at once.

Nothing here holds or logs secrets: the config (which does) is never returned.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from include.errors import DatakitError
from include.workflow.summary import MAX_ERROR_CHARS, format_summary, summarize, tidy_error

__all__ = ["WorkflowFailed", "client_limits", "format_summary", "frozen_heap", "run_workflow", "start_workflow",
           "summarize", "tidy_error", "workflow_class"]

log = logging.getLogger(__name__)

_PATCH_LOCK = threading.Lock()
# Answers of an overloaded or restarting server (or its proxy): retried like the SDK's
# own 504, with the connection's retries/retry_wait. The sink's writes are upserts.
RETRY_CODES = (502, 503, 504)


class WorkflowFailed(DatakitError):
    """The workflow ran but reported failures; ``summary`` says which step and what."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


class ServerWatch:
    """What went wrong between the SDK's REST client and OpenMetadata during one workflow.

    Keeps the first problem of each kind, and opens the circuit on the first transport
    failure or rejected token: without that, a server that died early in a run of
    pagila's 23 tables cost a minute of urllib3 retries (2 s each), and the time grows
    with the number of tables (``execution_timeout`` is 3 h).
    """

    def __init__(self, conn_id: str | None = None, read_timeout: float | None = None) -> None:
        self.conn_id = conn_id or "openmetadata_default"
        self.read_timeout = read_timeout
        self.lost: tuple[str, str, BaseException] | None = None  # method, path, cause
        self.rejected: tuple[str, str, int] | None = None  # method, path, status
        self.server_error: tuple[str, str, int, str] | None = None  # method, path, status, message
        self.not_sent = 0

    def guard(self, rest) -> None:
        """Watch every request of the SDK's ``REST`` client (``OpenMetadata.client``)."""
        from metadata.ingestion.ometa.client import APIError, RestTransportError

        request = getattr(rest, "_request", None)  # the one method every get/put/patch/post/delete calls
        if request is None:  # pragma: no cover - another SDK version: run unwatched rather than fail
            log.warning("the OpenMetadata client has no _request: dead-server detection is off for this run")
            return

        def guarded(method, path, *args, **kwargs):
            if self.lost is not None or self.rejected is not None:
                self.not_sent += 1
                raise RestTransportError(method, path, ConnectionAbortedError(
                    "not sent: OpenMetadata failed earlier in this run"))
            try:
                return request(method, path, *args, **kwargs)
            except RestTransportError as exc:
                self.lost = self.lost or (method, path, exc.cause)
                raise
            except APIError as exc:
                status = exc.status_code or 0
                if status in (401, 403):
                    self.rejected = self.rejected or (method, path, status)
                elif status >= 500 and self.server_error is None:
                    self.server_error = (method, path, status, str(exc)[:200])
                raise

        rest._request = guarded

    def problem(self, api_url: str, retries: int = 0) -> str | None:
        """The user's sentence for what OpenMetadata did, or None when it behaved."""
        from include.openmetadata.preflight import token_rejected_message, transport_reason

        if self.rejected is not None:
            return token_rejected_message(api_url, self.conn_id, self.rejected[2])
        if self.lost is not None:
            method, path, cause = self.lost
            where = f"{method} {_api_path(path)}"
            not_sent = f"; {self.not_sent} later request(s) were not sent" if self.not_sent else ""
            if _is_read_timeout(cause):
                return (
                    f"OpenMetadata at {api_url} did not answer {where} within {self.read_timeout:g} s "
                    f"(extra read_timeout of the {self.conn_id!r} connection){not_sent}. Fix: check the "
                    f"server's load and logs, or raise read_timeout; then re-run: the ingestion is idempotent"
                )
            return (
                f"OpenMetadata at {api_url} stopped answering during the run ({transport_reason(str(cause))} "
                f"on {where}){not_sent}. Fix: check that the server is up (its /healthcheck) and that "
                f"Host/Port of the {self.conn_id!r} connection are right, then re-run: the ingestion is "
                f"idempotent, a re-run completes the catalog"
            )
        if self.server_error is not None:
            method, path, status, message = self.server_error
            retried = f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries and status in RETRY_CODES else ""
            return (
                f"OpenMetadata at {api_url} answered {status} to {method} {_api_path(path)}{retried}: "
                f"{message}. Fix: check the server's health and logs, then re-run: the ingestion is "
                f"idempotent, a re-run completes the catalog"
            )
        return None


def _api_path(path: str) -> str:
    return "/v1" + str(path).split("?", 1)[0] if str(path).startswith("/") else str(path).split("?", 1)[0]


def _is_read_timeout(cause: BaseException) -> bool:
    import requests

    return isinstance(cause, requests.exceptions.ReadTimeout) or "Read timed out" in str(cause)


def _start_problem(exc: Exception, api_url: str, watch: ServerWatch) -> str | None:
    """The user's sentence for a client that could not start (the SDK's version check)."""
    import re

    from metadata.ingestion.ometa.client import RestTransportError

    from include.openmetadata.preflight import token_rejected_message, transport_reason, unreachable_message

    rejected = re.search(r"\(HTTP (401|403)\)", str(exc))
    if rejected and exc.__class__.__name__ == "VersionNotFoundException":
        return token_rejected_message(api_url, watch.conn_id, int(rejected.group(1)))
    if isinstance(exc, RestTransportError):
        if _is_read_timeout(exc.cause):
            timed_out = ServerWatch(watch.conn_id, watch.read_timeout)
            timed_out.lost = (exc.method, "/system/version", exc.cause)
            return timed_out.problem(api_url)
        return unreachable_message(api_url, watch.conn_id, transport_reason(str(exc.cause)))
    return None


@contextmanager
def client_limits(client_arguments: dict[str, Any], watch: ServerWatch | None = None) -> Iterator[None]:
    """Make workflows built inside this block use ``client_arguments`` for their REST client.

    The SDK creates its client in ``BaseWorkflow.__init__`` through
    ``metadata.workflow.base.create_ometa_client`` and offers no config field for
    timeouts; this swaps that one factory for the duration of the construction.
    ``watch`` (optional) sees every request of the client and ends the run's waiting
    on a dead server (see ``ServerWatch``).
    """
    import metadata.workflow.base as workflow_base
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    original = workflow_base.create_ometa_client

    def create_with_limits(metadata_config, user_agent=None):
        arguments = {"retry_codes": list(RETRY_CODES), **client_arguments}
        if user_agent:
            arguments["user_agent"] = user_agent
        api_url = str(metadata_config.hostPort)
        try:
            client = OpenMetadata(metadata_config, additional_client_config_arguments=arguments)
            client.health_check()
        except Exception as exc:
            problem = _start_problem(exc, api_url, watch or ServerWatch())
            raise DatakitError(
                problem or f"cannot start the OpenMetadata client for {api_url}: "
                f"{exc.__class__.__name__}: {str(exc)[:MAX_ERROR_CHARS]}"
            ) from None
        if watch is not None:
            watch.guard(client.client)
        return client

    with _PATCH_LOCK:
        workflow_base.create_ometa_client = create_with_limits
        try:
            yield
        finally:
            workflow_base.create_ometa_client = original


class _FailedSteps(logging.Handler):
    """Collects the SDK's test-connection step failures (``<step>: Failed - <error>``).

    The SDK logs the driver's error per step but raises only "Failed to run the test
    connection step: <step>"; these lines put the real cause into our error message.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a bad record must not break the run
            return
        if ": Failed - " in message and len(self.lines) < 5:
            self.lines.append(tidy_error(message)[:MAX_ERROR_CHARS])


# The SDK's workflow classes by kind: ``metadata`` (also the lineage sources, ``<type>-lineage``),
# ``profiler``, ``classification`` (auto-classification, PII) and ``usage`` (``<type>-usage``).
WORKFLOW_CLASSES = {
    "metadata": ("metadata.workflow.metadata", "MetadataWorkflow"),
    "profiler": ("metadata.workflow.profiler", "ProfilerWorkflow"),
    "classification": ("metadata.workflow.classification", "AutoClassificationWorkflow"),
    "usage": ("metadata.workflow.usage", "UsageWorkflow"),
}


def workflow_class(kind: str):
    """The SDK's workflow class for ``kind`` (a key of ``WORKFLOW_CLASSES``; imports the SDK)."""
    import importlib

    try:
        module, name = WORKFLOW_CLASSES[kind]
    except KeyError:
        raise ValueError(f"unknown workflow kind {kind!r}; known: {', '.join(WORKFLOW_CLASSES)}") from None
    return getattr(importlib.import_module(module), name)


def start_workflow(config, *, label: str, client_arguments: dict[str, Any] | None = None,
                   watch: ServerWatch | None = None, kind: str = "metadata"):
    """The SDK's workflow of ``kind`` for ``config``, or a ``DatakitError`` that says why not.

    Construction connects to OpenMetadata and runs the source's test connection.
    """
    workflow_type = workflow_class(kind)
    from include.workflow import sdk_fixes

    sdk_fixes.apply(getattr(getattr(config, "source", None), "type", None), kind)  # SDK hot spots: same output, less work
    sdk_logger = logging.getLogger("metadata.Ingestion")
    failed = _FailedSteps()
    sdk_logger.addHandler(failed)
    try:
        with client_limits(client_arguments or {}, watch):
            return workflow_type(config)
    except DatakitError as exc:  # the OpenMetadata client did not start: say for which run
        raise DatakitError(f"{label}: {exc}") from None
    except Exception as exc:
        detail = f" ({'; '.join(failed.lines)})" if failed.lines else ""
        raise DatakitError(
            f"{label}: the ingestion workflow could not start: {exc.__class__.__name__}: "
            f"{tidy_error(str(exc))[:MAX_ERROR_CHARS]}{detail}. Fix: check that the source is reachable "
            f"from Airflow and that its connection is right (the preflight task checks both)"
        ) from None
    finally:
        sdk_logger.removeHandler(failed)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the objects that exist before the workflow out of the garbage collector's full passes.

    A task process holds Airflow, the SDK and the plugins: a large heap of long-lived objects.
    Every full (generation 2) collection the workflow's allocations trigger walks all of it:
    ``make bench`` measured one such pass at 0.55-0.67 s during a pagila ingestion in an Airflow
    task, a third of the task, where the SDK's CLI (a smaller heap) pays far less. ``gc.freeze()``
    moves those objects to the permanent generation (cheap: one list splice), so collections
    only walk what the workflow allocates; the workflow's own garbage is still collected.
    Airflow does the same in its DAG processor and LocalExecutor. The SDK's profiler even calls
    ``gc.collect()`` itself after every metric of every column: its own CLI profiled pagila in
    85 s, in 14 s with the heap frozen (fix 4 of ``include.workflow.sdk_fixes`` also spaces those
    calls out). If something froze the heap before us, we leave it frozen; otherwise we unfreeze
    after the run.
    """
    was_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not was_frozen:
            gc.unfreeze()


def run_workflow(config, *, label: str, client_arguments: dict[str, Any] | None = None,
                 server=None, kind: str = "metadata") -> dict[str, Any]:
    """Execute the SDK's ingestion workflow for ``config``; see the module docstring.

    ``server`` (the ``OpenMetadataServer``) names the connection in messages and gives
    the client limits when ``client_arguments`` is not given. ``kind`` picks the SDK's workflow
    class (``WORKFLOW_CLASSES``): the same limits, summary and messages for every workflow.
    """
    with frozen_heap():
        return _run_workflow(config, label=label, client_arguments=client_arguments, server=server, kind=kind)


def _run_workflow(config, *, label: str, client_arguments: dict[str, Any] | None, server,
                  kind: str = "metadata") -> dict[str, Any]:
    started = time.monotonic()
    if client_arguments is None and server is not None:
        client_arguments = server.client_arguments()
    client_arguments = client_arguments or {}
    api_url = server.api_url if server is not None else str(config.workflowConfig.openMetadataServerConfig.hostPort)
    timeout = client_arguments.get("timeout")
    watch = ServerWatch(
        conn_id=getattr(server, "conn_id", None),
        read_timeout=timeout[1] if isinstance(timeout, (tuple, list)) else timeout,
    )
    workflow = start_workflow(config, label=label, client_arguments=client_arguments, watch=watch, kind=kind)
    verdict = None
    try:
        try:
            workflow.execute()
        except Exception:
            if watch.problem(api_url) is None:  # not OpenMetadata's doing: the SDK's own error
                raise
            log.exception("the workflow stopped")
        try:
            workflow.raise_from_status()
        except Exception as exc:  # the SDK's WorkflowExecutionError: its own verdict
            verdict = str(exc)
        summary = summarize(workflow, label=label, started=started)
    finally:
        workflow.stop()
    table = format_summary(summary)
    log.info("workflow summary\n%s", table)
    problem = watch.problem(api_url, retries=int(client_arguments.get("retry") or 0))
    circuit_opened = watch.lost is not None or watch.rejected is not None  # requests were not sent
    if summary["status"] == "failed" or verdict or circuit_opened:
        summary["status"] = "failed"
        reason = verdict or "the workflow reported errors"
        if problem:
            raise WorkflowFailed(f"{label}: {problem}\nThe SDK's verdict: {reason}.\n{table}", summary)
        first = summary["failures"][0] if summary["failures"] else None
        hint = f" First failure: {first['name']}: {first['error'].splitlines()[0] if first['error'] else ''}" if first else ""
        raise WorkflowFailed(f"{label}: {reason}.{hint}\n{table}", summary)
    return summary
