"""The mode decision, the state's round trip, the shard plan and the SDK filters of a run."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from include.errors import ConfigError
from include.incremental import FINGERPRINT_VERSION
from include.incremental.decide import CatalogAnchor, check_mode, decide, options_digest
from include.incremental.filters import NOTHING, incremental_options, shard_options
from include.incremental.fingerprint import SchemaPrint, compare
from include.incremental.shards import Shard, plan_shards
from include.incremental.state import MemoryStore, RefreshState, load_state, save_state, state_key
from include.sources.common import MetadataOptions

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)  # a Wednesday
PRINTS = {"db": {"public": SchemaPrint("s", {"a": "1", "b": "2"}), "sales": SchemaPrint("t", {"c": "3"})}}


def state(**changes) -> RefreshState:
    base = dict(service="svc", kind="postgres", sdk_version="2.0.6.0", options_digest="d", fingerprints=PRINTS,
                refreshed_at="2026-12-01T02:00:00+00:00", last_full_at="2026-11-29T02:00:00+00:00", mode="full",
                service_id="id-1")
    base.update(changes)
    return RefreshState(**base)


def run(requested="auto", st=None, anchor=CatalogAnchor("id-1", 3), **kw):
    args = dict(kind="postgres", sdk_version="2.0.6.0", digest="d", full_cron="0 0 * * 0", now=NOW, anchor=anchor)
    args.update(kw)
    return decide(requested, st, **args)


def test_auto_is_incremental_with_good_fingerprints():
    decision = run(st=state())
    assert decision.mode == "incremental" and "2026-12-01" in decision.reason


@pytest.mark.parametrize("st, anchor, kw, words", [
    (None, None, {}, "no fingerprints"),
    (state(fingerprint_version=FINGERPRINT_VERSION + 1), None, {}, "datakit format"),
    (state(sdk_version="2.0.5.0"), None, {}, "SDK 2.0.5.0"),
    (state(options_digest="other"), None, {}, "options or filters differ"),
    (state(kind="mssql"), None, {}, "options or filters differ"),
    (state(), CatalogAnchor(None, None), {}, "has no service"),
    (state(), CatalogAnchor("id-2", 3), {}, "recreated"),
    (state(), CatalogAnchor("id-1", 2), {}, "holds 2 tables"),
    (state(last_full_at="2026-11-28T02:00:00+00:00"), CatalogAnchor("id-1", 3), {}, "weekly full refresh is due"),
    (state(last_full_at=None), CatalogAnchor("id-1", 3), {}, "no full refresh recorded"),
])
def test_why_a_full_refresh(st, anchor, kw, words):
    decision = run(st=st, anchor=anchor, **kw)
    assert decision.mode == "full" and words in decision.reason, decision.reason


def test_more_tables_in_the_catalog_is_fine():
    """A full refresh keeps the tables of a schema dropped from the source: so does the catalog."""
    assert run(st=state(), anchor=CatalogAnchor("id-1", 9)).mode == "incremental"


def test_requested_modes():
    assert run("full", state()).reason == "requested (mode=full)"
    assert run("incremental", state(last_full_at="2020-01-01T00:00:00+00:00")).mode == "incremental"
    fallback = run("incremental", None)
    assert fallback.mode == "full" and fallback.reason.startswith("incremental was requested, but")
    with pytest.raises(ConfigError, match="params.mode: 'sometimes' is not a refresh mode"):
        check_mode("sometimes")
    assert check_mode(None) == "auto"


def test_options_digest_ignores_threads_only():
    assert options_digest("postgres", MetadataOptions(threads=4)) == options_digest("postgres", MetadataOptions())
    assert options_digest("postgres", MetadataOptions(include_views=False)) != options_digest("postgres", MetadataOptions())
    assert options_digest("mssql", MetadataOptions()) != options_digest("postgres", MetadataOptions())


def test_state_round_trip_and_unreadable_state():
    store = MemoryStore()
    size = save_state(store, state())
    loaded, problem = load_state(store, "svc")
    assert problem is None and loaded == state() and size == len(store.values[state_key("svc")])
    store.save(state_key("svc"), "{not json")
    loaded, problem = load_state(store, "svc")
    assert loaded is None and "unreadable" in problem
    assert run(st=loaded, state_problem=problem).reason.startswith("the saved fingerprints are unreadable")


def test_state_is_small_per_table():
    many = {"db": {f"s{i}": SchemaPrint("x", {f"t_{j:05d}": f"{(i * 1000 + j) * 7919:016x}"[-16:] for j in range(500)})
                   for i in range(20)}}
    assert len(state(fingerprints=many).encode()) / 10_000 < 40  # bytes per table


def test_shards_group_whole_schemas():
    prints = {"db": {f"s{i}": SchemaPrint("x", {f"t{j}": "h" for j in range(n)}) for i, n in enumerate([5, 5, 12, 0, 3])}}
    assert plan_shards(prints, 0) == [Shard(0, tuple(("db", f"s{i}") for i in range(5)), 26)]
    assert len(plan_shards(prints, 100)) == 1
    shards = plan_shards(prints, 10)
    assert [s.schemas for s in shards] == [(("db", "s0"), ("db", "s1")), (("db", "s2"),), (("db", "s3"), ("db", "s4"))]
    assert [s.objects for s in shards] == [10, 12, 4]
    assert Shard.from_json(shards[2].to_json()) == shards[2]


def test_incremental_options_name_exactly_the_work_and_leave_deletes_to_us():
    new = {"db": {"public": SchemaPrint("s", {"a": "1", "b": "9"}), "sales": SchemaPrint("t", {"c": "3"}),
                  "we.ird": SchemaPrint("n", {})}}
    options = incremental_options(MetadataOptions(), "svc", compare(PRINTS, new))
    assert options.use_fqn_for_filtering and options.mark_deleted_tables is False
    assert options.table_includes == (r"^svc\.db\.public\.b$",)
    assert options.schema_includes == (r"^svc\.db\.public$", r'^svc\.db\."we\.ird"$')
    assert options.database_includes == (r"^svc\.db$",)
    only_schema = incremental_options(MetadataOptions(), "svc",
                                      compare(PRINTS, {"db": {**PRINTS["db"], "sales": SchemaPrint("t2", {"c": "3"})}}))
    assert only_schema.table_includes == (NOTHING,) and not re.match(NOTHING, "anything")
    assert only_schema.schema_includes == (r"^svc\.db\.sales$",)


def test_shard_options_keep_deletes_and_turn_name_patterns_into_fqn_patterns():
    base = MetadataOptions(table_excludes=("^tmp_",), table_includes=("orders",))
    options = shard_options(base, "svc", [("db", "public"), ("db", "sales")])
    assert options.mark_deleted_tables is True and options.use_fqn_for_filtering
    assert options.schema_includes == (r"^svc\.db\.public$", r"^svc\.db\.sales$")
    assert options.table_excludes == (r"^[^.]+\.[^.]+\.[^.]+\.tmp_",)
    assert options.table_includes == (r"^[^.]+\.[^.]+\.[^.]+\.orders",)
    sdk = options.to_sdk()
    assert not sdk.markDeletedSchemas and not sdk.markDeletedDatabases
