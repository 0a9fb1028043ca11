"""The diff: exact comparison, empty never erases (unless allow_clear), missing objects, limits."""

from __future__ import annotations

from include.descriptions.plan import (
    COLUMN,
    SCHEMA,
    TABLE,
    VIEW,
    Current,
    ObjectKey,
    compile_filters,
    plan_changes,
    selected,
)

T = ObjectKey("public", "film")
C = ObjectKey("public", "film", "title")


def test_only_differences_are_planned_byte_for_byte():
    current = {T: Current(TABLE, "Films"), C: Current(COLUMN, "title "), ObjectKey("public"): Current(SCHEMA, "x")}
    desired = {T: "Films", C: "title", ObjectKey("public"): "x"}
    plan = plan_changes("pagila", desired, current)
    assert [(c.key, c.old, c.new) for c in plan.changes] == [(C, "title ", "title")]  # a trailing space counts
    assert plan.unchanged == 2


def test_an_empty_description_never_erases_a_comment_unless_allowed():
    current = {T: Current(TABLE, "keep me"), C: Current(COLUMN, None)}
    desired = {T: None, C: ""}
    kept = plan_changes("pagila", desired, current)
    assert kept.changes == [] and kept.empty_skipped == 1 and kept.unchanged == 1
    cleared = plan_changes("pagila", desired, current, allow_clear=True)
    assert [(c.key, c.old, c.new) for c in cleared.changes] == [(T, "keep me", None)]


def test_the_database_decides_the_kind_and_missing_objects_are_reported_not_written():
    current = {ObjectKey("public", "v"): Current(VIEW, None)}
    plan = plan_changes("pagila", {ObjectKey("public", "v"): "a view", ObjectKey("public", "gone"): "x"}, current)
    assert [c.kind for c in plan.changes] == [VIEW]
    assert plan.missing == ["pagila.public.gone"]


def test_too_long_descriptions_are_rejected_by_name():
    plan = plan_changes("db", {T: "x" * 11}, {T: Current(TABLE, None)}, max_length=10)
    assert plan.changes == [] and plan.rejected[0]["object"] == "db.public.film"
    assert "11 characters" in plan.rejected[0]["error"]


def test_labels_quote_what_needs_it_and_order_is_stable():
    key = ObjectKey('Sales.Q1 "x"', "select", "naïve")
    assert key.label("db") == 'db."Sales.Q1 ""x""".select."naïve"'
    desired = {C: "c", T: "t", ObjectKey(): "d", ObjectKey("public"): "s"}
    current = {k: Current(COLUMN if k.column else TABLE, None) for k in desired}
    plan = plan_changes("db", desired, current)
    assert [c.key for c in plan.changes] == [ObjectKey(), ObjectKey("public"), T, C]


def test_filters_match_from_the_start():
    patterns = compile_filters(["^pub", "sales"])
    assert selected("public", patterns) and selected("sales_eu", patterns)
    assert not selected("my_sales", patterns)
    assert selected("anything", compile_filters([]))
