"""Fingerprints narrowed as the SDK narrows them, and their comparison (no database needed)."""

from __future__ import annotations

import pytest

from include.incremental.fingerprint import CatalogRow, SchemaPrint, compare, narrow, table_count
from include.sources.common import MetadataOptions

ROWS = [
    CatalogRow("db", "public", None, "schema", "s1", "postgres"),
    CatalogRow("db", "public", "orders", "table", "a", "alice"),
    CatalogRow("db", "public", "orders_v", "view", "b", "alice"),
    CatalogRow("db", "information_schema", None, "schema", "s2"),
    CatalogRow("db", "information_schema", "tables", "view", "c"),
    CatalogRow("db", "sales", "lines", "table", "d"),  # before its schema's row: order does not matter
    CatalogRow("db", "sales", None, "schema", "s3"),
]


def prints_of(options: MetadataOptions, rows=ROWS, include_owners=False):
    return narrow(rows, service="svc", sdk_config=options.to_sdk(), filter_databases=False,
                  include_owners=include_owners)


def test_default_options_drop_system_schemas_keep_tables_and_views():
    prints = prints_of(MetadataOptions())
    assert set(prints["db"]) == {"public", "sales"}
    assert set(prints["db"]["public"].tables) == {"orders", "orders_v"}
    assert table_count(prints) == 3


def test_views_and_filters_follow_the_sdk():
    assert set(prints_of(MetadataOptions(include_views=False))["db"]["public"].tables) == {"orders"}
    by_name = prints_of(MetadataOptions(table_includes=("^ord",)))
    assert set(by_name["db"]["public"].tables) == {"orders", "orders_v"} and by_name["db"]["sales"].tables == {}
    by_fqn = prints_of(MetadataOptions(use_fqn_for_filtering=True, schema_excludes=(r"^svc\.db\.sales$",),
                                       table_excludes=(r"^svc\.db\.public\.orders_v$",)))
    assert set(by_fqn["db"]) == {"public", "information_schema"}
    assert set(by_fqn["db"]["public"].tables) == {"orders"}


def test_owner_counts_only_when_owners_are_ingested():
    other_owner = [r if r.name != "orders" else CatalogRow("db", "public", "orders", "table", "a", "bob") for r in ROWS]
    assert prints_of(MetadataOptions()) == prints_of(MetadataOptions(), other_owner)
    assert prints_of(MetadataOptions(), include_owners=True) != prints_of(MetadataOptions(), other_owner, True)


def test_a_single_configured_database_is_not_filtered_but_listed_ones_are():
    options = MetadataOptions(database_includes=("^other$",)).to_sdk()
    assert narrow(ROWS, service="svc", sdk_config=options, filter_databases=False, include_owners=False)
    assert narrow(ROWS, service="svc", sdk_config=options, filter_databases=True, include_owners=False) == {}


def test_compare_sorts_every_table_into_one_bucket():
    old = {"db": {"public": SchemaPrint("s", {"a": "1", "b": "2", "c": "3"}), "gone": SchemaPrint("g", {"x": "9"})}}
    new = {"db": {"public": SchemaPrint("s2", {"a": "1", "b": "22", "d": "4"}), "fresh": SchemaPrint("f", {})},
           "db2": {"s": SchemaPrint("z", {"t": "5"})}}
    result = compare(old, new)
    assert result.unchanged == 1
    assert result.changed == [("db", "public", "b")]
    assert result.new == [("db", "public", "d"), ("db2", "s", "t")]
    assert result.deleted == [("db", "gone", "x"), ("db", "public", "c")]
    assert result.schemas_changed == [("db", "public")]
    assert result.schemas_new == [("db", "fresh"), ("db2", "s")]
    assert result.schemas_deleted == [("db", "gone")]
    assert result.databases_new == ["db2"]
    assert result.to_ingest == [("db", "public", "b"), ("db", "public", "d"), ("db2", "s", "t")]
    assert result.schemas_to_ingest == [("db", "fresh"), ("db", "public"), ("db2", "s")]
    assert compare(new, new).nothing_to_ingest and compare(new, new).unchanged == 4


@pytest.mark.parametrize("old", [None, {}])
def test_without_old_fingerprints_everything_is_new(old):
    new = {"db": {"public": SchemaPrint("s", {"a": "1"})}}
    assert compare(old, new).new == [("db", "public", "a")]
