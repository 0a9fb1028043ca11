"""Run an OpenMetadata ingestion workflow and report what it did.

``run_workflow`` executes the SDK's workflow for a typed ``OpenMetadataWorkflowConfig``
with *our* client limits (the SDK builds its REST client with a 300 s read timeout
and 30 s x attempt retry waits; ``openmetadata_default`` extras set ours), then:

- returns a small JSON-safe summary (records, updated, warnings, errors, filtered per
  step) that the task logs as a table and pushes to XCom;
- raises ``WorkflowFailed`` carrying the SDK's own status verdict and the first
  failures when any step failed, so the Airflow task fails with a readable reason.

Nothing here holds or logs secrets: the config (which does) is never returned.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from include.errors import DatakitError

log = logging.getLogger(__name__)

_PATCH_LOCK = threading.Lock()
_MAX_FAILURES_SHOWN = 5
_MAX_ERROR_CHARS = 500


class WorkflowFailed(DatakitError):
    """The workflow ran but reported failures; ``summary`` says which step and what."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


@contextmanager
def client_limits(client_arguments: dict[str, Any]) -> Iterator[None]:
    """Make workflows built inside this block use ``client_arguments`` for their REST client.

    The SDK creates its client in ``BaseWorkflow.__init__`` through
    ``metadata.workflow.base.create_ometa_client`` and offers no config field for
    timeouts; this swaps that one factory for the duration of the construction.
    """
    import metadata.workflow.base as workflow_base
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    original = workflow_base.create_ometa_client

    def create_with_limits(metadata_config, user_agent=None):
        arguments = dict(client_arguments)
        if user_agent:
            arguments["user_agent"] = user_agent
        try:
            client = OpenMetadata(metadata_config, additional_client_config_arguments=arguments)
            client.health_check()
        except Exception as exc:
            raise DatakitError(
                f"cannot start the OpenMetadata client for {metadata_config.hostPort}: "
                f"{exc.__class__.__name__}: {str(exc)[:_MAX_ERROR_CHARS]}"
            ) from None
        return client

    with _PATCH_LOCK:
        workflow_base.create_ometa_client = create_with_limits
        try:
            yield
        finally:
            workflow_base.create_ometa_client = original


def summarize(workflow, *, label: str, started: float) -> dict[str, Any]:
    """The JSON-safe summary of a finished workflow, from the SDK's own step summaries."""
    steps = []
    failures: list[dict[str, str]] = []
    status = workflow.build_ingestion_status()
    for step in status.root if status else []:
        steps.append(
            {
                "step": step.name,
                "records": int(step.records or 0),
                "updated": int(step.updated_records or 0),
                "warnings": int(step.warnings or 0),
                "errors": int(step.errors or 0),
                "filtered": int(step.filtered or 0),
            }
        )
        for failure in step.failures or []:
            if len(failures) < _MAX_FAILURES_SHOWN:
                failures.append(
                    {
                        "step": step.name,
                        "name": str(failure.name)[:200],
                        "error": str(failure.error)[:_MAX_ERROR_CHARS],
                    }
                )
    errors = sum(s["errors"] for s in steps)
    return {
        "workflow": label,
        "status": "failed" if errors else "success",
        "success_percent": round(float(workflow.calculate_success()), 2),
        "duration_seconds": round(time.monotonic() - started, 2),
        "steps": steps,
        "failures": failures,
    }


def format_summary(summary: dict[str, Any]) -> str:
    """A fixed-width table of the summary, for the task log."""
    columns = ("step", "records", "updated", "warnings", "errors", "filtered")
    rows = [[str(step[c]) for c in columns] for step in summary["steps"]]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [
        f"{summary['workflow']}: {summary['status']} in {summary['duration_seconds']} s "
        f"({summary['success_percent']} % of records succeeded)",
        line,
        " | ".join(c.ljust(w) for c, w in zip(columns, widths)),
        line,
    ]
    out += [" | ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
    out.append(line)
    for failure in summary["failures"]:
        out.append(f"  {failure['step']}: {failure['name']}: {failure['error'].splitlines()[0] if failure['error'] else ''}")
    return "\n".join(out)


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
            self.lines.append(message.strip()[:_MAX_ERROR_CHARS])


def start_workflow(config, *, label: str, client_arguments: dict[str, Any] | None = None):
    """The SDK's ``MetadataWorkflow`` for ``config``, or a ``DatakitError`` that says why not.

    Construction connects to OpenMetadata and runs the source's test connection.
    """
    from metadata.workflow.metadata import MetadataWorkflow

    sdk_logger = logging.getLogger("metadata.Ingestion")
    failed = _FailedSteps()
    sdk_logger.addHandler(failed)
    try:
        with client_limits(client_arguments or {}):
            return MetadataWorkflow(config)
    except DatakitError:
        raise
    except Exception as exc:
        detail = f" ({'; '.join(failed.lines)})" if failed.lines else ""
        raise DatakitError(
            f"{label}: the ingestion workflow could not start: {exc.__class__.__name__}: "
            f"{str(exc)[:_MAX_ERROR_CHARS]}{detail}. Fix: check that the source is reachable from "
            f"Airflow and that its connection is right (the preflight task checks both)"
        ) from None
    finally:
        sdk_logger.removeHandler(failed)


def run_workflow(config, *, label: str, client_arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute the SDK's ingestion workflow for ``config``; see the module docstring."""
    started = time.monotonic()
    workflow = start_workflow(config, label=label, client_arguments=client_arguments)
    verdict = None
    try:
        workflow.execute()
        try:
            workflow.raise_from_status()
        except Exception as exc:  # the SDK's WorkflowExecutionError: its own verdict
            verdict = str(exc)
        summary = summarize(workflow, label=label, started=started)
    finally:
        workflow.stop()
    table = format_summary(summary)
    log.info("workflow summary\n%s", table)
    if summary["status"] == "failed" or verdict:
        summary["status"] = "failed"
        first = summary["failures"][0] if summary["failures"] else None
        reason = verdict or "the workflow reported errors"
        hint = f" First failure: {first['name']}: {first['error'].splitlines()[0] if first['error'] else ''}" if first else ""
        raise WorkflowFailed(f"{label}: {reason}.{hint}\n{table}", summary)
    return summary
