"""Search paging as the 2.0 server pages: a usable sort value on every hit, search_after advances,
a cursor the emulator cannot honour is a 400 (issue 11, known difference 1)."""

from __future__ import annotations

import pytest
from emulator_helpers import Api
from emulator_sdk_helpers import make_catalog, sdk_client


@pytest.fixture
def client(om_emulator):
    metadata = sdk_client(om_emulator)
    yield metadata
    metadata.close()


def _search_requests(emulator) -> list:
    return [entry for entry in emulator.requests_log if entry[1].endswith("/search/query")]


@pytest.mark.parametrize(
    "sort_field,sort_order", [("_score", "desc"), ("fullyQualifiedName", "desc"), ("name.keyword", "asc")]
)
def test_sdk_paginated_search_terminates_with_every_table(client, om_emulator, sort_field, sort_order):
    """The SDK's ``paginate_es`` (``ESMixin._paginate_es_internal``) sends one ``search_after``
    per value of the last hit's ``sort`` and stops on an empty page. The server sorts by
    ``sort_field`` (default ``_score``) and then by the tie-breakers ``name.keyword`` and
    ``id.keyword`` ascending, so every hit has a distinct, usable sort tuple and a page always
    advances: open-metadata/OpenMetadata ``openmetadata-service/src/main/java/org/openmetadata/
    service/search/opensearch/OpenSearchSearchManager.java`` (``buildSearchRequestBuilder``,
    ``appendDeterministicTiebreak``); 2.0 binds ``search_after`` as a repeated parameter
    (OpenMetadata 1.13 -> 2.0 "API & Schema Contract Changes": "search_after is now a repeated
    query parameter"). Before the fix every ``_score`` hit had sort ``[""]`` and the SDK looped
    on the first page until its timeout."""
    from metadata.generated.schema.entity.data.table import Table

    names = [f"t_{i:02d}" for i in range(25)]
    make_catalog(client, tables=names)

    found = list(client.paginate_es(entity=Table, size=10, sort_field=sort_field, sort_order=sort_order))

    assert sorted(t.name.root for t in found) == names  # every table exactly once
    assert len(_search_requests(om_emulator)) == 4  # pages of 10, 10, 5, then an empty page
    if sort_field == "name.keyword":
        assert [t.name.root for t in found] == names


def test_every_hit_has_a_full_sort_tuple_and_total_counts_all_matches(client, om_emulator):
    """Each hit's ``sort`` holds one value per sort key (``_score``, then ``name.keyword``,
    ``id.keyword``), never ``""``; ``hits.total`` counts every match even on a later page
    (OpenSearch semantics; ``OpenSearchSearchManager.buildSearchRequestBuilder``)."""
    names = [f"t_{i:02d}" for i in range(5)]
    _, _, _, tables = make_catalog(client, tables=names)
    api = Api(om_emulator.url)
    first = api.get("search/query", params={"q": "", "index": "table_search_index", "size": 2}).json()
    assert first["hits"]["total"] == {"value": 5, "relation": "eq"}
    sorts = [h["sort"] for h in first["hits"]["hits"]]
    assert [len(s) for s in sorts] == [3, 3] and all(v not in ("", None) for s in sorts for v in s)
    assert [s[1] for s in sorts] == ["t_00", "t_01"]  # ties on _score break by name.keyword
    assert sorts[0][2] == str(tables["t_00"].id.root)

    cursor = [("search_after", str(v)) for v in sorts[-1]]
    second = api.session.get(
        api.url("search/query"), params=[("q", ""), ("index", "table_search_index"), ("size", "2"), *cursor]
    ).json()
    assert [h["_source"]["name"] for h in second["hits"]["hits"]] == ["t_02", "t_03"]
    assert second["hits"]["total"]["value"] == 5


def test_search_after_the_emulator_cannot_honour_is_a_400_not_the_same_page(client, om_emulator):
    """A cursor whose number of values differs from the sort's, a value that does not parse for
    its sort key, or ``from`` > 0 together with ``search_after`` fail the search on the server
    (OpenSearch rejects the request; ``OpenSearchSearchManager`` rethrows it as a search error);
    ``from + size`` beyond the index's ``max_result_window`` (10,000) too. The emulator answers
    400 and never the first page again (which made the SDK loop)."""
    make_catalog(client, tables=["a", "b"])
    api = Api(om_emulator.url)

    def search(*pairs):
        return api.session.get(api.url("search/query"), params=[("index", "table_search_index"), *pairs])

    wrong_count = search(("search_after", "1.0"))
    assert wrong_count.status_code == 400
    assert "search_after has 1 value(s) but the sort has 3" in wrong_count.json()["message"]
    not_a_score = search(("search_after", "high"), ("search_after", "a"), ("search_after", "x"))
    assert not_a_score.status_code == 400 and "not a number" in not_a_score.json()["message"]
    with_from = search(("from", "1"), ("search_after", "1.0"), ("search_after", "a"), ("search_after", "x"))
    assert with_from.status_code == 400
    too_deep = search(("from", "9995"), ("size", "10"))
    assert too_deep.status_code == 400 and "Result window is too large" in too_deep.json()["message"]

    # a well-formed cursor past the last hit: an empty page, so the SDK stops
    last = search(("size", "10")).json()["hits"]["hits"][-1]["sort"]
    after_last = search(*[("search_after", str(v)) for v in last]).json()
    assert after_last["hits"]["hits"] == [] and after_last["hits"]["total"]["value"] == 2


def test_sdk_stops_after_three_failed_pages(client, om_emulator):
    """When the server answers an error the SDK's ``_paginate_es_internal`` retries the page at
    most three times and stops (``error_pages``), so a 400 ends the loop the SDK would otherwise
    spin in; ``deleted`` left unset matches soft-deleted entities too (2.0 ``SearchResource``
    binds ``Boolean deleted`` without a default; the SDK's ``_search_page`` relies on it)."""
    from metadata.generated.schema.entity.data.table import Table

    _, _, _, tables = make_catalog(client, tables=["kept", "gone"])
    client.delete(entity=Table, entity_id=tables["gone"].id)
    om_emulator.faults.add("GET", r"/v1/search/query", status=400, times=3)
    assert list(client.paginate_es(entity=Table, size=10)) == []
    assert len(_search_requests(om_emulator)) == 3

    api = Api(om_emulator.url)
    every = api.get("search/query", params={"index": "table_search_index"}).json()
    live = api.get("search/query", params={"index": "table_search_index", "deleted": "false"}).json()
    assert every["hits"]["total"]["value"] == 2 and live["hits"]["total"]["value"] == 1
