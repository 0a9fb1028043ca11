"""Query routes and frequently-joined tables, as the real server's ``QueryResource`` and
``TableResource`` (OpenMetadata 2.0) declare them: ``PUT /queries`` (create or update by checksum), ``PUT /queries/bulk``,
``GET /queries/name/{fqn}``, ``GET /queries/{id}``, ``GET /queries?entityId=``,
``PUT /queries/{id}/usage|users|usedBy``, ``PUT /tables/{id}/joins``. See ``store/queries.py``.
"""

from __future__ import annotations

from ..store import queries
from .base import SEG, route


@route("PUT", r"/queries/bulk", mutating=True)
def put_queries_bulk(emu, req):
    return 200, queries.bulk_put_queries(emu.store, req.json(), req.user)


@route("PUT", r"/queries", mutating=True)
def put_query(emu, req):
    return queries.put_query(emu.store, req.json(), req.user)


@route("GET", rf"/queries/name/(?P<fqn>{SEG})")
def get_query_by_name(emu, req):
    return 200, queries.get_query(emu.store, fqn=req.params["fqn"])


@route("GET", r"/queries")
def list_queries(emu, req):
    data = queries.list_queries(emu.store, req.query.get("entityId") or None)
    return 200, {"data": data, "paging": {"total": len(data)}}


@route("GET", rf"/queries/(?P<id>{SEG})")
def get_query(emu, req):
    return 200, queries.get_query(emu.store, query_id=req.params["id"])


@route("PUT", rf"/queries/(?P<id>{SEG})/usage", mutating=True)
def put_query_usage(emu, req):
    return 200, queries.add_usage(emu.store, req.params["id"], req.json())


@route("PUT", rf"/queries/(?P<id>{SEG})/(?P<field>users|usedBy)", mutating=True)
def put_query_users(emu, req):
    return 200, queries.add_users(emu.store, req.params["id"], req.json(), req.params["field"])


@route("PUT", rf"/tables/(?P<id>{SEG})/joins", mutating=True)
def put_table_joins(emu, req):
    return 200, queries.add_joins(emu.store, req.params["id"], req.json())


@route("GET", rf"/tables/(?P<id>{SEG})/joins")
def get_table_joins(emu, req):
    from ..store.profiles import _table

    table = _table(emu.store, entity_id=req.params["id"])
    return 200, dict(table, joins=queries.summed_joins(emu.store, table["id"]))
