"""The run's summary: XCom (full texts, so a run can be reverted) and the task log (a table).

Every changed object carries its previous comment (``old``) and what was written (``new``);
``dry_run`` produces the same table with status ``planned``. The task fails at the end when
any object failed, with the count and the first errors (``SyncFailed``).
"""

from __future__ import annotations

from typing import Any

from include.descriptions.plan import Plan
from include.descriptions.pool import Outcome
from include.errors import DatakitError

FIRST_ERRORS = 5
_CELL = 48


class SyncFailed(DatakitError):
    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


def build_summary(plan: Plan, outcome: Outcome | None, *, dry_run: bool, context: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe summary of one sync: counts, every change with old and new text, failures."""
    failed = {id(change): (reason, message) for change, reason, message in (outcome.failed if outcome else [])}
    rows = []
    for change in plan.changes:
        row = change.as_dict(plan.database)
        if dry_run:
            row["status"] = "planned"
        elif id(change) in failed:
            row["status"], row["error"] = "failed", failed[id(change)][1]
            row["reason"] = failed[id(change)][0]
        else:
            row["status"] = "written"
        rows.append(row)
    for rejected in plan.rejected:
        rows.append({**rejected, "status": "failed", "reason": "rejected", "old": None, "new": None})
    failures = [{"object": r["object"], "kind": r["kind"], "reason": r.get("reason"), "error": r["error"]}
                for r in rows if r["status"] == "failed"]
    counts = plan.counts()
    counts.update(written=sum(r["status"] == "written" for r in rows), failed=len(failures))
    return {
        **context,
        "database": plan.database,
        "dry_run": dry_run,
        "status": "failed" if failures else ("dry_run" if dry_run else "success"),
        "counts": counts,
        "changes": rows,
        "failures": failures[:FIRST_ERRORS],
        "missing": plan.missing,
        "connections": outcome.connections if outcome else 0,
    }


def _cell(text: Any) -> str:
    if text is None:
        return "(none)"
    shown = str(text).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return shown if len(shown) <= _CELL else shown[: _CELL - 1] + "…"


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as the task log shows it: counts, then one row per change."""
    counts = summary["counts"]
    head = (f"{summary.get('label', 'sync_descriptions')}: {summary['status']}"
            f"{' (dry run: nothing written)' if summary['dry_run'] else ''} - "
            + ", ".join(f"{k} {v}" for k, v in counts.items()))
    columns = ("status", "kind", "object", "previous comment", "new description")
    rows = [[r["status"], r["kind"], _cell(r["object"]), _cell(r.get("old")), _cell(r.get("new"))]
            for r in summary["changes"]]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [head, line, " | ".join(c.ljust(w) for c, w in zip(columns, widths)), line]
    out += [" | ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
    out.append(line)
    for failure in summary["failures"]:
        out.append(f"  FAILED {failure['kind']} {failure['object']}: {failure['error']}")
    if summary["missing"]:
        shown = ", ".join(summary["missing"][:10])
        more = f" and {len(summary['missing']) - 10} more" if len(summary["missing"]) > 10 else ""
        out.append(f"  not in the database (catalog older than the database; the next catalog run fixes it): "
                   f"{shown}{more}")
    return "\n".join(out)


def raise_for_failures(summary: dict[str, Any]) -> None:
    failed = summary["counts"]["failed"]
    if not failed:
        return
    first = "; ".join(f"{f['kind']} {f['object']}: {f['error']}" for f in summary["failures"])
    raise SyncFailed(
        f"{summary.get('label', 'sync_descriptions')}: {failed} object(s) of {summary['database']} could not be "
        f"written ({summary['counts']['written']} were). First errors: {first}", summary)
