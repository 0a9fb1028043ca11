"""Lineage routes: edges by id and by name (PUT, JSON Patch, DELETE), lineage by source, the graph
of an entity (``LineageResource`` in open-metadata/OpenMetadata)."""

from __future__ import annotations

from ..specs import BY_TYPE
from ..store import ApiError
from .base import SEG, route


@route("PUT", r"/lineage", mutating=True)
def put_lineage(emu, req):
    emu.store.add_lineage(req.json(), user=req.user)
    return 200, None


@route("GET", rf"/lineage/getLineageEdge/(?P<from_id>{SEG})/(?P<to_id>{SEG})")
def get_lineage_edge(emu, req):
    return 200, emu.store.get_edge(req.params["from_id"], req.params["to_id"])


def _id_by_name(emu, entity_type: str, fqn: str) -> str:
    spec = BY_TYPE.get(entity_type)
    if spec is None:
        raise ApiError(400, f"Entity type {entity_type!r} is not supported by openmetadata-emulator")
    return emu.store.get_entity(spec.name, fqn=fqn)["id"]


_BY_NAME_EDGE = rf"/lineage/(?P<ft>{SEG})/name/(?P<ffqn>{SEG})/(?P<tt>{SEG})/name/(?P<tfqn>{SEG})"


@route("GET", r"/lineage/getLineageEdge" + _BY_NAME_EDGE[len("/lineage") :])
def get_lineage_edge_by_name(emu, req):
    p = req.params
    return 200, emu.store.get_edge(_id_by_name(emu, p["ft"], p["ffqn"]), _id_by_name(emu, p["tt"], p["tfqn"]))


@route("PUT", _BY_NAME_EDGE, mutating=True)
def put_lineage_by_name(emu, req):
    p = req.params
    emu.store.add_lineage_by_name(p["ft"], p["ffqn"], p["tt"], p["tfqn"], req.json({}), user=req.user)
    return 200, None


@route("PATCH", _BY_NAME_EDGE, mutating=True)
def patch_lineage_by_name(emu, req):
    p = req.params
    from_id, to_id = _id_by_name(emu, p["ft"], p["ffqn"]), _id_by_name(emu, p["tt"], p["tfqn"])
    return 200, emu.store.patch_edge(p["ft"], from_id, p["tt"], to_id, req.json(), user=req.user)


@route("DELETE", _BY_NAME_EDGE, mutating=True)
def delete_lineage_by_name(emu, req):
    p = req.params
    emu.store.delete_edge(_id_by_name(emu, p["ft"], p["ffqn"]), _id_by_name(emu, p["tt"], p["tfqn"]))
    return 200, None


@route("DELETE", rf"/lineage/source/name/(?P<type>{SEG})/(?P<fqn>{SEG})/type/(?P<source>{SEG})", mutating=True)
def delete_lineage_by_source_name(emu, req):
    entity_id = _id_by_name(emu, req.params["type"], req.params["fqn"])
    emu.store.delete_edges_by_source(entity_id, req.params["source"])
    return 200, None


@route("DELETE", rf"/lineage/(?P<type>{SEG})/(?P<id>{SEG})/type/(?P<source>{SEG})", mutating=True)
def delete_lineage_by_source(emu, req):
    emu.store.delete_edges_by_source(req.params["id"], req.params["source"])
    return 200, None


@route("GET", rf"/lineage/(?P<type>{SEG})/name/(?P<fqn>{SEG})")
def get_lineage_by_name(emu, req):
    return 200, emu.store.lineage_graph(
        req.params["type"],
        fqn=req.params["fqn"],
        upstream=req.int_arg("upstreamDepth", 1),
        downstream=req.int_arg("downstreamDepth", 1),
    )


_EDGE = rf"/lineage/(?P<ft>{SEG})/(?P<fid>{SEG})/(?P<tt>{SEG})/(?P<tid>{SEG})"


@route("PATCH", _EDGE, mutating=True)
def patch_lineage_edge(emu, req):
    p = req.params
    return 200, emu.store.patch_edge(p["ft"], p["fid"], p["tt"], p["tid"], req.json(), user=req.user)


@route("DELETE", _EDGE, mutating=True)
def delete_lineage_edge(emu, req):
    emu.store.delete_edge(req.params["fid"], req.params["tid"])
    return 200, None


@route("GET", rf"/lineage/(?P<type>{SEG})/(?P<id>{SEG})")
def get_lineage_by_id(emu, req):
    return 200, emu.store.lineage_graph(
        req.params["type"],
        entity_id=req.params["id"],
        upstream=req.int_arg("upstreamDepth", 1),
        downstream=req.int_arg("downstreamDepth", 1),
    )
