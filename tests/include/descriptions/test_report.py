"""The summary (XCom) and its table (task log): previous comments kept, failures named."""

from __future__ import annotations

import pytest

from include.descriptions.plan import COLUMN, TABLE, Current, ObjectKey, plan_changes
from include.descriptions.pool import Outcome
from include.descriptions.report import (
    SyncFailed,
    build_summary,
    format_summary,
    raise_for_failures,
)


def _plan():
    current = {ObjectKey("s", "t"): Current(TABLE, "old\ntext"), ObjectKey("s", "t", "c"): Current(COLUMN, None)}
    return plan_changes("db", {ObjectKey("s", "t"): "new; 'x'", ObjectKey("s", "t", "c"): "col"}, current)


def test_dry_run_and_real_run_show_the_same_rows():
    plan = _plan()
    dry = build_summary(plan, None, dry_run=True, context={"label": "x"})
    outcome = Outcome(written=[plan.changes[1]], failed=[(plan.changes[0], "not the owner", "must be owner")])
    real = build_summary(plan, outcome, dry_run=False, context={"label": "x"})
    strip = lambda rows: [{k: r[k] for k in ("kind", "object", "old", "new")} for r in rows]
    assert strip(dry["changes"]) == strip(real["changes"])
    assert dry["status"] == "dry_run" and {r["status"] for r in dry["changes"]} == {"planned"}
    assert real["counts"]["written"] == 1 and real["counts"]["failed"] == 1
    assert real["changes"][0]["old"] == "old\ntext"  # the previous comment, for a revert
    assert real["failures"] == [{"object": "db.s.t", "kind": "table", "reason": "not the owner",
                                 "error": "must be owner"}]


def test_the_log_table_shows_control_characters_escaped():
    plan = _plan()
    text = format_summary(build_summary(plan, None, dry_run=True, context={"label": "sync"}))
    assert "old\\ntext" in text and "(none)" in text and "dry run: nothing written" in text
    assert all("\n" not in row for row in text.splitlines())


def test_the_task_fails_at_the_end_with_the_count_and_first_errors():
    plan = _plan()
    outcome = Outcome(written=[plan.changes[1]], failed=[(plan.changes[0], "dropped", "relation does not exist")])
    summary = build_summary(plan, outcome, dry_run=False, context={"label": "sync_descriptions_pagila [1/1]"})
    with pytest.raises(SyncFailed) as err:
        raise_for_failures(summary)
    assert str(err.value).startswith("sync_descriptions_pagila [1/1]: 1 object(s) of db could not be written (1 were)")
    assert "table db.s.t: relation does not exist" in str(err.value)
    raise_for_failures(build_summary(plan, Outcome(written=list(plan.changes)), dry_run=False, context={}))
