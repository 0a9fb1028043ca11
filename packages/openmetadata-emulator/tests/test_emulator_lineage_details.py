"""Lineage details stored and served as the server does, the SDK's column-lineage PATCH, column
FQN validation (issue 11, known difference 3).

Server code read: open-metadata/OpenMetadata ``openmetadata-service/src/main/java/org/
openmetadata/service/jdbi3/LineageRepository.java`` (``addLineage``, ``validateLineageDetails``,
``getLineageEdge``, ``patchLineageEdge``) and the SDK's ``OMetaLineageMixin``
(``metadata/ingestion/ometa/mixins/lineage_mixin.py``)."""

from __future__ import annotations

import pytest
from emulator_helpers import Api
from emulator_sdk_helpers import make_catalog, sdk_client


@pytest.fixture
def client(om_emulator):
    metadata = sdk_client(om_emulator)
    yield metadata
    metadata.close()


@pytest.fixture
def tables(client):
    _, _, _, tables = make_catalog(client, tables=["payment", "revenue"])
    return tables["payment"], tables["revenue"]


def _edge_request(src, dst, columns=None, sql=None):
    from metadata.generated.schema.api.lineage.addLineage import AddLineageRequest
    from metadata.generated.schema.type.entityLineage import ColumnLineage, EntitiesEdge, LineageDetails
    from metadata.generated.schema.type.entityReference import EntityReference

    return AddLineageRequest(
        edge=EntitiesEdge(
            fromEntity=EntityReference(id=src.id, type="table"),
            toEntity=EntityReference(id=dst.id, type="table"),
            lineageDetails=LineageDetails(
                columnsLineage=[ColumnLineage(fromColumns=f, toColumn=t) for f, t in (columns or [])] or None,
                sqlQuery=sql,
                source="QueryLineage",
            ),
        )
    )


def _col(table, name: str) -> str:
    return f"{table.fullyQualifiedName.root}.{name}"


def test_a_stored_edge_has_the_servers_details_shape(client, tables, om_emulator):
    """``getLineageEdge`` answers ``{"edge": <LineageDetails>}``, the stored details only (no
    from/to entities). The Java ``LineageDetails`` is stored whole: ``columnsLineage`` is ``[]``
    when none were sent, ``source`` defaults to ``Manual``, ``createdAt``/``createdBy``/
    ``updatedAt``/``updatedBy`` are set by the server (a real 2.0 server's answer for a bare edge:
    ``{"columnsLineage": [], "source": "Manual", "createdAt": ..., "createdBy": "admin",
    "updatedAt": ..., "updatedBy": "admin"}``)."""
    src, dst = tables
    api = Api(om_emulator.url)
    body = {
        "edge": {
            "fromEntity": {"id": str(src.id.root), "type": "table"},
            "toEntity": {"id": str(dst.id.root), "type": "table"},
            "description": "not stored",
        }
    }
    assert api.put("lineage", body).status_code == 200
    edge = api.get(f"lineage/getLineageEdge/{src.id.root}/{dst.id.root}").json()
    assert set(edge) == {"edge"}
    assert set(edge["edge"]) == {"columnsLineage", "source", "createdAt", "createdBy", "updatedAt", "updatedBy"}
    assert edge["edge"]["columnsLineage"] == [] and edge["edge"]["source"] == "Manual"


def test_sdk_patches_column_lineage_onto_an_existing_edge(client, tables, om_emulator):
    """``add_lineage(check_patch=True)`` reads the edge, builds a JSON Patch of ``columnsLineage``,
    ``pipeline`` and ``sqlQuery`` (``add /columnsLineage/0``, ``add /sqlQuery``) and sends
    ``PATCH /v1/lineage/table/{id}/table/{id}``; it falls back to a full PUT only when the PATCH
    fails. ``patchLineageEdge`` applies the patch to the stored details, keeps ``createdAt``, and
    the lineage read API then returns ``columnsLineage`` and ``sqlQuery``."""
    from metadata.generated.schema.entity.data.table import Table

    src, dst = tables
    assert "error" not in client.add_lineage(_edge_request(src, dst), check_patch=True)
    created = client.get_lineage_edge(str(src.id.root), str(dst.id.root))["edge"]["createdAt"]
    om_emulator.requests_log.clear()

    columns = [([_col(src, "amount")], _col(dst, "amount")), ([_col(src, "id")], _col(dst, "id"))]
    sql = "INSERT INTO revenue SELECT id, amount FROM payment"
    assert "error" not in client.add_lineage(_edge_request(src, dst, columns, sql), check_patch=True)

    calls = [(m, p.split("/v1/")[1], s) for m, p, s in om_emulator.requests_log if "/lineage" in p]
    assert ("PATCH", f"lineage/table/{src.id.root}/table/{dst.id.root}", 200) in calls
    assert not [c for c in calls if c[0] == "PUT"]  # no fallback PUT

    graph = client.get_lineage_by_name(entity=Table, fqn=dst.fullyQualifiedName.root, up_depth=1, down_depth=0)
    details = graph["upstreamEdges"][0]["lineageDetails"]
    assert sorted((c["fromColumns"], c["toColumn"]) for c in details["columnsLineage"]) == sorted(columns)
    assert details["sqlQuery"] == sql
    assert details["createdAt"] == created  # a PATCH keeps the creation stamp

    # by name too: add_lineage_by_name(check_patch=True) -> PATCH /lineage/table/name/.../table/name/...
    from metadata.generated.schema.type.entityLineage import ColumnLineage, LineageDetails

    om_emulator.requests_log.clear()
    more = LineageDetails(columnsLineage=[ColumnLineage(fromColumns=[_col(src, "email")], toColumn=_col(dst, "email"))])
    client.add_lineage_by_name(
        from_entity_fqn=src.fullyQualifiedName.root,
        from_entity_type="table",
        to_entity_fqn=dst.fullyQualifiedName.root,
        to_entity_type="table",
        lineage_details=more,
        check_patch=True,
    )
    by_name = [(m, s) for m, p, s in om_emulator.requests_log if "/lineage/table/name/" in p]
    assert by_name[0] == ("PATCH", 200) and ("PUT", 200) not in by_name
    edge = Api(om_emulator.url).get(f"lineage/getLineageEdge/{src.id.root}/{dst.id.root}").json()["edge"]
    assert len(edge["columnsLineage"]) == 3  # (the SDK caches get_lineage_edge: read over HTTP)


def test_column_fqns_that_are_not_columns_of_their_table_are_dropped(client, tables, om_emulator):
    """Since open-metadata/OpenMetadata PR #23075 (2025-08, "Fix column lineage validation", in
    2.0) ``validateLineageDetails`` no longer rejects: a ``toColumn`` that is not a column of the
    target drops its entry, ``fromColumns`` that are not columns of the source are removed and an
    entry left with none is dropped; the edge is stored (200), on PUT and on PATCH alike."""
    src, dst = tables
    api = Api(om_emulator.url)
    columns = [
        ([_col(src, "amount"), _col(src, "no_such")], _col(dst, "amount")),  # one bad source column
        ([_col(src, "id")], _col(dst, "no_such")),  # bad target column
        ([_col(dst, "id")], _col(dst, "id")),  # a column of the wrong table
    ]
    body = _edge_request(src, dst, columns).model_dump(mode="json", exclude_none=True)
    r = api.put("lineage", body)
    assert r.status_code == 200, r.text
    edge = api.get(f"lineage/getLineageEdge/{src.id.root}/{dst.id.root}").json()["edge"]
    assert edge["columnsLineage"] == [{"fromColumns": [_col(src, "amount")], "toColumn": _col(dst, "amount")}]

    bad = [
        {
            "op": "add",
            "path": "/columnsLineage/0",
            "value": {"fromColumns": [_col(src, "x")], "toColumn": _col(dst, "id")},
        }
    ]
    patched = api.patch(f"lineage/table/{src.id.root}/table/{dst.id.root}", bad)
    assert patched.status_code == 200
    assert patched.json()["columnsLineage"] == edge["columnsLineage"]  # the patched details, filtered


def test_upstream_lineage_is_searchable(client, tables):
    """Table documents carry ``upstreamLineage`` (``LineageRepository.addLineageToSearch``,
    ``buildEntityLineageData``), which the SDK's ``es_get_upstream_entity_ids`` reads with an
    ``ids`` query and ``include_source_fields``."""
    from metadata.generated.schema.entity.data.table import Table

    src, dst = tables
    client.add_lineage(_edge_request(src, dst, [([_col(src, "id")], _col(dst, "id"))]))
    upstream = client.es_get_upstream_entity_ids(Table, [str(dst.id.root), str(src.id.root)])
    assert upstream == {str(dst.id.root): {str(src.id.root)}, str(src.id.root): set()}


def test_sdk_lineage_by_query_stores_sql_and_column_lineage(client, om_emulator):
    """``add_lineage_by_query`` parses the SQL, finds the tables with ``/search/fieldQuery`` and
    PUTs ``/lineage/table/name/{from}/table/name/{to}`` with ``sqlQuery`` (masked literals) and
    ``columnsLineage``; with ``check_patch=True`` a later query's columns are merged into the edge
    with a PATCH (``OMetaLineageMixin.add_lineage_by_name``) instead of replacing it."""
    from metadata.generated.schema.entity.data.table import Table

    service, _, _, tables = make_catalog(client, tables=["payment", "revenue"])
    src, dst = tables["payment"], tables["revenue"]
    client.add_lineage_by_query(
        database_service=service,
        sql="INSERT INTO sales.revenue (id, amount) SELECT id, amount * 2 FROM sales.payment",
        database_name="dwh",
        schema_name="sales",
    )
    details = client.get_lineage_by_name(entity=Table, fqn=dst.fullyQualifiedName.root)["upstreamEdges"][0][
        "lineageDetails"
    ]
    assert details["source"] == "QueryLineage" and details["sqlQuery"].startswith("INSERT INTO sales.revenue")
    assert sorted(c["toColumn"] for c in details["columnsLineage"]) == [_col(dst, "amount"), _col(dst, "id")]

    om_emulator.requests_log.clear()
    client.add_lineage_by_query(
        database_service=service,
        sql="INSERT INTO sales.revenue (email) SELECT email FROM sales.payment",
        database_name="dwh",
        schema_name="sales",
        check_patch=True,
    )
    assert ("PATCH", 200) in [(m, s) for m, p, s in om_emulator.requests_log if "/lineage/table/name/" in p]
    edge = Api(om_emulator.url).get(f"lineage/getLineageEdge/{src.id.root}/{dst.id.root}").json()["edge"]
    assert sorted(c["toColumn"] for c in edge["columnsLineage"]) == [
        _col(dst, "amount"),
        _col(dst, "email"),
        _col(dst, "id"),
    ]
    assert om_emulator.unknown_routes == []
