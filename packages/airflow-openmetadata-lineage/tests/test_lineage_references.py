"""Inlet/outlet forms -> table FQNs, one reference at a time; FQN quoting equals the SDK's (metadata.utils.fqn)."""

from __future__ import annotations

import json

import pytest

from airflow_openmetadata_lineage import fqn, om_table, parse_table_asset_uri, table_asset, xlet_fqn
from airflow_openmetadata_lineage.resolve import resolve_xlets

NAMES = ["film", "my.table", "with space", "Ünïcode", "a.b.c", "x_1", '"quoted.part"', '"plain"']


@pytest.mark.parametrize("name", NAMES)
def test_quote_name_matches_the_sdk(name):
    from metadata.utils import fqn as sdk

    assert fqn.quote_name(name) == sdk.quote_name(name)


@pytest.mark.parametrize("bad", ['has"quote', ""])
def test_invalid_names_rejected_like_the_sdk(bad):
    from metadata.utils import fqn as sdk

    with pytest.raises(ValueError):
        fqn.quote_name(bad)
    if bad:
        with pytest.raises(ValueError):
            sdk.quote_name(bad)


@pytest.mark.parametrize("parts", [("svc", "db", "public", "film"), ("svc.prod", "db", "my.schema", "t.1"),
                                   ("s", "d", "Sales Data", "Ünïcode")])
def test_build_and_split_match_the_sdk(parts):
    from metadata.utils import fqn as sdk

    built = fqn.build(*parts)
    assert built == sdk._build(*parts)
    # The SDK's split keeps a quoted part's quotes; ours returns the names themselves.
    assert fqn.split(built) == [sdk.unquote_name(p) for p in sdk.split(built)] == list(parts)


def test_om_table_forms():
    assert xlet_fqn(om_table("svc.db.public.film")) == "svc.db.public.film"
    ref = om_table(service="svc", database="db", schema="my.schema", table="film")
    assert xlet_fqn(ref) == 'svc.db."my.schema".film'
    # A plain str: Airflow 3's DAG processor ships only plain types to the scheduler.
    assert type(ref) is str
    assert om_table('svc.db."my.schema".film') == ref
    # Serialized like the SDK's OMEntity, so the SDK's Airflow connector parses it.
    assert json.loads(str(ref)) == {"entity": "metadata.generated.schema.entity.data.table.Table",
                                    "fqn": 'svc.db."my.schema".film', "key": "default"}


def test_om_table_serialization_is_what_the_sdk_parser_reads():
    from metadata.ingestion.source.pipeline.airflow.lineage_parser import parse_xlets

    parsed = parse_xlets([str(om_table("svc.db.public.film"))])
    assert [e.fqn for e in parsed["default"]] == ["svc.db.public.film"]
    assert parsed["default"][0].entity.__name__ == "Table"


@pytest.mark.parametrize("bad", ["svc.db.film", "a.b.c.d.e", 'svc.db."open.t'])
def test_om_table_rejects_wrong_fqns(bad):
    with pytest.raises(ValueError):
        om_table(bad)


def test_resolve_all_forms():
    from airflow.sdk import Asset
    from metadata.generated.schema.entity.data.table import Table
    from metadata.ingestion.source.pipeline.airflow.lineage_parser import OMEntity

    xlets = [om_table("svc.db.public.a"), OMEntity(entity=Table, fqn="svc.db.public.b"),
             Asset(uri="postgres://db.host:5432/dw/public/c"), Asset(uri="s3://bucket/key"),
             om_table("svc.db.public.a")]
    assert resolve_xlets(xlets, dag_id="d", task_id="t", direction="inlets",
                         services={"DB.host:5432/dw": "warehouse"}) == (
        ["svc.db.public.a", "svc.db.public.b", "warehouse.dw.public.c"], [])


def test_an_asset_carrying_its_service_needs_no_mapping():
    asset = table_asset(scheme="postgres", hostport="anything:1", database="dw", schema="public", table="c",
                        service="warehouse")
    assert asset.uri == "postgres://anything:1/dw/public/c"
    assert resolve_xlets([asset], dag_id="d", task_id="t", direction="outlets", services={}) == (
        ["warehouse.dw.public.c"], [])


def test_one_unmapped_asset_is_named_with_the_fix_and_the_others_resolve():
    from airflow.sdk import Asset

    found, problems = resolve_xlets(
        [om_table("svc.db.public.a"), Asset(uri="mssql://sql01:1433/Sales/dbo/fact"), om_table("svc.db.public.b")],
        dag_id="d", task_id="t", direction="outlets", services={"pg:5432/dw": "warehouse"})
    assert found == ["svc.db.public.a", "svc.db.public.b"]
    assert [p.field for p in problems] == ["d.t.outlets[1]"]
    message = str(problems[0])
    assert "sql01:1433/Sales" in message and "(mapped: pg:5432/dw -> warehouse)" in message
    assert "OPENMETADATA_LINEAGE_ASSET_SERVICES" in message and "table_asset(..., service=" in message


@pytest.mark.parametrize("xlets, field", [(["tables"], "etl.load.inlets[0]"),
                                          ([{"tables": ["svc.db.public.a"]}], "etl.load.inlets[0]"),
                                          ({"tables": []}, "etl.load.inlets")])
def test_dicts_are_refused_naming_the_task(xlets, field):
    found, problems = resolve_xlets(xlets, dag_id="etl", task_id="load", direction="inlets", services={})
    assert found == [] and [p.field for p in problems] == [field]


def test_asset_uri_parsing():
    ref = parse_table_asset_uri("postgres://pagila-db/pagila/analytics/film_revenue")
    assert (ref.service_key, ref.schema, ref.table) == ("pagila-db:5432/pagila", "analytics", "film_revenue")
    assert parse_table_asset_uri("mssql://sql01/Sales/dbo/t").port == 1433
    assert parse_table_asset_uri("postgres://h:1/db/only_schema") is None
    assert type(om_table("a.b.c.d")) is str
