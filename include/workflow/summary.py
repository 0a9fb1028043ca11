"""A finished workflow's summary: JSON-safe for XCom, a fixed-width table for the task log.

Built from the SDK's own step summaries (``workflow.build_ingestion_status()``); errors are cut
to one readable line. Used by ``include.workflow.runner`` for every workflow kind.
"""

from __future__ import annotations

import time
from typing import Any

MAX_FAILURES_SHOWN = 5
MAX_ERROR_CHARS = 500


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
            if len(failures) < MAX_FAILURES_SHOWN:
                failures.append(
                    {
                        "step": step.name,
                        "name": str(failure.name)[:200],
                        "error": tidy_error(str(failure.error))[:MAX_ERROR_CHARS],
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


def tidy_error(text: str) -> str:
    """One line; SQLAlchemy's link noise dropped; a transport failure's urllib3 chain
    (``HTTPConnectionPool(...): Max retries exceeded ... (Caused by ...)``) cut to its reason."""
    import re

    text = re.sub(r"\s*\(Background on this error at: [^)]*\)", "", text)
    found = re.search(r"Transport failure on (\S+) (\S+?): ", text)
    if found:
        from include.openmetadata.preflight import transport_reason

        rest = text[found.end():]
        reason = "read timed out" if "Read timed out" in rest else transport_reason(rest)
        text = f"{text[:found.start()]}{found.group(1)} {found.group(2).split('?')[0]} failed ({reason})"
    return " ".join(text.split())


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
