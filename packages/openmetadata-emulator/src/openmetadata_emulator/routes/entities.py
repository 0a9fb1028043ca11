"""Generic routes of every collection in ``specs.SPECS``: get/list/put/post/patch/delete,
bulk, restore, deleteStale. Registered last: they match any collection path."""

from __future__ import annotations

import uuid

from ..specs import BY_NAME
from ..store import ApiError
from .base import COLL, SEG, route


def _spec(req):
    return BY_NAME[req.params["coll"]]


def _list_filters(req) -> dict[str, str]:
    reserved = {"limit", "after", "before", "fields", "include", "offset"}
    return {k: v for k, v in req.query.items() if k not in reserved}


@route("GET", rf"/(?P<coll>{COLL})/name/(?P<fqn>{SEG})")
def get_by_name(emu, req):
    spec = _spec(req)
    entity = emu.store.get_entity(spec.name, fqn=req.params["fqn"], include=req.query.get("include") or "non-deleted")
    return 200, emu.store.render(spec.name, entity, req.query.get("fields"))


@route("PUT", rf"/(?P<coll>{COLL})/bulk", mutating=True)
def bulk_put(emu, req):
    spec = _spec(req)
    return 200, emu.store.bulk_upsert(spec.name, req.json(), user=req.user,
                                      override_metadata=req.flag("overrideMetadata"))


@route("DELETE", rf"/(?P<coll>{COLL})/deleteStale", mutating=True)
def delete_stale(emu, req):
    spec = _spec(req)
    return 200, emu.store.delete_stale(spec.name, req.json(), user=req.user)


@route("PUT", rf"/(?P<coll>{COLL})/restore", mutating=True)
def restore(emu, req):
    spec = _spec(req)
    body = req.json() or {}
    if not isinstance(body, dict) or not body.get("id"):
        raise ApiError(400, "Invalid RestoreEntity: id is required")
    entity = emu.store.restore(spec.name, body["id"], user=req.user)
    return 200, emu.store.render(spec.name, entity)


@route("DELETE", rf"/(?P<coll>{COLL})/async/(?P<id>{SEG})", mutating=True)
def delete_async(emu, req):
    spec = _spec(req)
    emu.store.delete(
        spec.name, req.params["id"], recursive=req.flag("recursive"), hard=req.flag("hardDelete"), user=req.user
    )
    return 202, {"jobId": str(uuid.uuid4()), "message": "Delete operation initiated (completed synchronously)"}


@route("DELETE", rf"/(?P<coll>{COLL})/name/(?P<fqn>{SEG})", mutating=True)
def delete_by_name(emu, req):
    spec = _spec(req)
    entity = emu.store.delete(
        spec.name, fqn=req.params["fqn"], recursive=req.flag("recursive"), hard=req.flag("hardDelete"), user=req.user
    )
    return 200, emu.store.render(spec.name, entity)


@route("PATCH", rf"/(?P<coll>{COLL})/name/(?P<fqn>{SEG})", mutating=True)
def patch_by_name(emu, req):
    spec = _spec(req)
    entity = emu.store.patch(spec.name, None, req.json(), user=req.user, fqn=req.params["fqn"])
    return 200, emu.store.render(spec.name, entity, "*")


@route("GET", rf"/(?P<coll>{COLL})/(?P<id>{SEG})/versions")
def list_versions(emu, req):
    """``EntityHistory``: ``{entityType, versions: [JSON strings, newest first]}`` (EntityRepository.listVersions)."""
    spec = _spec(req)
    return 200, emu.store.list_versions(spec.name, req.params["id"], emu.store.render)


@route("GET", rf"/(?P<coll>{COLL})/(?P<id>{SEG})/versions/(?P<version>{SEG})")
def get_version(emu, req):
    spec = _spec(req)
    return 200, emu.store.get_version(spec.name, req.params["id"], req.params["version"], emu.store.render)


@route("GET", rf"/(?P<coll>{COLL})/(?P<id>{SEG})")
def get_by_id(emu, req):
    spec = _spec(req)
    entity = emu.store.get_entity(
        spec.name, entity_id=req.params["id"], include=req.query.get("include") or "non-deleted"
    )
    return 200, emu.store.render(spec.name, entity, req.query.get("fields"))


@route("PATCH", rf"/(?P<coll>{COLL})/(?P<id>{SEG})", mutating=True)
def patch_by_id(emu, req):
    spec = _spec(req)
    entity = emu.store.patch(spec.name, req.params["id"], req.json(), user=req.user)
    return 200, emu.store.render(spec.name, entity, "*")


@route("DELETE", rf"/(?P<coll>{COLL})/(?P<id>{SEG})", mutating=True)
def delete_by_id(emu, req):
    spec = _spec(req)
    entity = emu.store.delete(
        spec.name, req.params["id"], recursive=req.flag("recursive"), hard=req.flag("hardDelete"), user=req.user
    )
    return 200, emu.store.render(spec.name, entity)


@route("GET", rf"/(?P<coll>{COLL})")
def list_collection(emu, req):
    spec = _spec(req)
    limit = req.int_arg("limit", 10)
    entities, paging = emu.store.list(
        spec.name,
        filters=_list_filters(req),
        include=req.query.get("include") or "non-deleted",
        limit=limit,
        after=req.query.get("after") or None,
        before=req.query.get("before") or None,
    )
    fields = req.query.get("fields")
    return 200, {"data": [emu.store.render(spec.name, e, fields) for e in entities], "paging": paging}


@route("PUT", rf"/(?P<coll>{COLL})", mutating=True)
def put_entity(emu, req):
    spec = _spec(req)
    status, entity = emu.store.upsert(spec.name, req.json(), user=req.user)
    return status, emu.store.render(spec.name, entity, "*")


@route("POST", rf"/(?P<coll>{COLL})", mutating=True)
def post_entity(emu, req):
    spec = _spec(req)
    status, entity = emu.store.upsert(spec.name, req.json(), user=req.user, create_only=True)
    return status, emu.store.render(spec.name, entity, "*")
