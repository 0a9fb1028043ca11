"""Route table of the emulator: (method, path regex) -> handler.

Paths are matched on the URL as sent, below ``/api`` and without the query string
(``/v1/tables/name/svc.db.sch.t``); every ``(?P<...>)`` group is URL-unquoted before the
handler sees it, so FQN path parameters arrive exactly as the SDK's ``quote(fqn)``
encoded them. Specific routes come first, the generic per-collection routes last.

A handler takes ``(emulator, request)`` and returns ``(status, json_body_or_None)``, or
raises ``store.ApiError``. To serve a new collection add a row to ``specs.SPECS``; to
serve a new special endpoint add a ``Route`` here.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import unquote

from . import sdk, search
from .specs import BY_NAME, BY_TYPE, SPECS
from .store import ApiError

# ---------------------------------------------------------------------------- request


@dataclass
class Request:
    method: str
    path: str  # below /api, raw (URL-quoted), no query string: /v1/...
    query: dict[str, str]
    body: bytes
    user: str
    params: dict[str, str]
    content_type: str = ""

    def json(self, default: Any = None) -> Any:
        if not self.body:
            return default
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, f"Request body is not valid JSON: {exc}") from None

    def flag(self, name: str, default: bool = False) -> bool:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        return raw.lower() == "true"

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, f"Query parameter {name} must be an integer, got {raw!r}") from None


Handler = Callable[[Any, Request], "tuple[int, Any]"]


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    mutating: bool = False


_COLL = "|".join(sorted((re.escape(s.name) for s in SPECS), key=len, reverse=True))
_SEG = r"[^/]+"


def _route(method: str, regex: str, mutating: bool = False):
    def deco(fn: Handler) -> Handler:
        ROUTES.append(Route(method, re.compile(r"^/v1" + regex + r"/?$"), fn, mutating))
        return fn

    return deco


ROUTES: list[Route] = []


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        if route.method != method:
            continue
        m = route.pattern.match(path)
        if m:
            return route, {k: unquote(v) for k, v in m.groupdict().items() if v is not None}
    return None


def path_known(path: str) -> list[str]:
    """Methods that would match this path (for 405-vs-501 wording)."""
    return sorted({r.method for r in ROUTES if r.pattern.match(path)})


# ---------------------------------------------------------------------------- system


@_route("GET", r"/system/version")
def system_version(emu, req):
    return 200, {"version": sdk.server_version(), "revision": "openmetadata-emulator", "timestamp": 0}


@_route("GET", r"/system/status")
def system_status(emu, req):
    ok = {"passed": True, "message": "openmetadata-emulator", "description": "in-memory"}
    return 200, {"database": ok, "searchInstance": ok, "pipelineServiceClient": ok, "jwks": ok, "migrations": ok}


@_route("GET", rf"/system/settings/(?P<name>{_SEG})")
def get_setting(emu, req):
    return 200, emu.store.get_setting(req.params["name"])


@_route("PUT", r"/system/settings", mutating=True)
def put_setting(emu, req):
    return 200, emu.store.put_setting(req.json())


# ---------------------------------------------------------------------------- test connection definitions

_STEP_TEXT = {
    "CheckAccess": "Validate that we can properly reach the service and authenticate with the given credentials.",
    "GetDatabases": "List all the databases available to the user.",
    "GetSchemas": "List all the schemas available to the user.",
    "GetTables": "From a given schema, list the tables belonging to that schema.",
    "GetViews": "From a given schema, list the views belonging to that schema.",
    "GetTags": "Check if we can access the policy tags attached to tables.",
    "GetQueries": "Check if we can access the query log used by the usage & lineage workflows.",
    "PipelineDetailsAccess": "Check if we can list the pipelines and read their details.",
    "TaskDetailAccess": "Check if we can read the tasks of a pipeline.",
}

# (step name, mandatory) per service type, as the real server's definitions declare them.
TEST_CONNECTION_STEPS: dict[str, list[tuple[str, bool]]] = {
    "Postgres": [
        ("CheckAccess", True),
        ("GetDatabases", True),
        ("GetSchemas", True),
        ("GetTables", True),
        ("GetViews", False),
        ("GetTags", False),
        ("GetQueries", False),
    ],
    "Mssql": [
        ("CheckAccess", True),
        ("GetDatabases", True),
        ("GetSchemas", True),
        ("GetTables", True),
        ("GetViews", False),
        ("GetQueries", False),
    ],
    "Airflow": [("CheckAccess", True), ("PipelineDetailsAccess", True), ("TaskDetailAccess", True)],
}
GENERIC_STEPS = [("CheckAccess", True)]


def test_connection_definition(service_type: str) -> dict:
    steps = []
    for name, mandatory in TEST_CONNECTION_STEPS.get(service_type, GENERIC_STEPS):
        step = {"name": name, "description": _STEP_TEXT.get(name, name), "mandatory": mandatory}
        step["category"] = "ConnectionGate" if name == "CheckAccess" else "Capability"
        if name == "CheckAccess":
            step["shortCircuit"] = True
        steps.append(step)
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "openmetadata-emulator/testConnection/" + service_type)),
        "name": service_type,
        "fullyQualifiedName": service_type,
        "displayName": f"{service_type} Test Connection",
        "description": f"Test connection steps for {service_type} (openmetadata-emulator).",
        "steps": steps,
        "version": 0.1,
        "deleted": False,
    }


@_route("GET", rf"/services/testConnectionDefinitions/name/(?P<fqn>{_SEG})")
def get_test_connection_definition(emu, req):
    fqn = req.params["fqn"]
    suffix = ".testConnectionDefinition"
    service_type = fqn[: -len(suffix)] if fqn.endswith(suffix) else fqn
    return 200, test_connection_definition(service_type)


# ---------------------------------------------------------------------------- ingestion pipelines


@_route("GET", rf"/services/ingestionPipelines/(?P<fqn>{_SEG})/pipelineStatus/(?P<run>{_SEG})")
def get_ingestion_status(emu, req):
    status = emu.store.get_ingestion_status(req.params["fqn"], req.params["run"])
    return (200, status) if status is not None else (204, None)


@_route("GET", rf"/services/ingestionPipelines/(?P<fqn>{_SEG})/pipelineStatus")
def list_ingestion_statuses(emu, req):
    data = emu.store.list_ingestion_statuses(req.params["fqn"], req.int_arg("startTs"), req.int_arg("endTs"))
    return 200, {"data": data, "paging": {"total": len(data)}}


@_route("PUT", rf"/services/ingestionPipelines/(?P<fqn>{_SEG})/pipelineStatus", mutating=True)
def put_ingestion_status(emu, req):
    return 200, emu.store.put_ingestion_status(req.params["fqn"], req.json())


@_route("PUT", rf"/services/ingestionPipelines/progress/(?P<fqn>{_SEG})/(?P<run>{_SEG})")
def put_progress(emu, req):
    emu.store.put_progress(req.params["fqn"], req.params["run"], req.json())
    return 200, None


@_route("GET", rf"/services/ingestionPipelines/progress/(?P<fqn>{_SEG})/(?P<run>{_SEG})")
def get_progress(emu, req):
    update = emu.store.progress.get((req.params["fqn"], req.params["run"]))
    if update is None:
        raise ApiError(404, f"No progress for {req.params['fqn']} run {req.params['run']}")
    return 200, update


@_route("POST", rf"/services/ingestionPipelines/metrics/(?P<fqn>{_SEG})/(?P<run>{_SEG})")
def post_metrics(emu, req):
    emu.store.add_operation_metrics(req.params["fqn"], req.params["run"], req.json())
    return 200, None


# ---------------------------------------------------------------------------- search


@_route("GET", r"/search/fieldQuery")
def search_field_query(emu, req):
    return 200, search.field_query(emu.store, req.query)


@_route("GET", r"/search/query")
def search_query(emu, req):
    return 200, search.query(emu.store, req.query)


# ---------------------------------------------------------------------------- lineage


@_route("PUT", r"/lineage", mutating=True)
def put_lineage(emu, req):
    emu.store.add_lineage(req.json(), user=req.user)
    return 200, None


@_route("GET", rf"/lineage/getLineageEdge/(?P<from_id>{_SEG})/(?P<to_id>{_SEG})")
def get_lineage_edge(emu, req):
    return 200, emu.store.get_edge(req.params["from_id"], req.params["to_id"])


def _id_by_name(emu, entity_type: str, fqn: str) -> str:
    spec = BY_TYPE.get(entity_type)
    if spec is None:
        raise ApiError(400, f"Entity type {entity_type!r} is not supported by openmetadata-emulator")
    return emu.store.get_entity(spec.name, fqn=fqn)["id"]


_BY_NAME_EDGE = rf"/lineage/(?P<ft>{_SEG})/name/(?P<ffqn>{_SEG})/(?P<tt>{_SEG})/name/(?P<tfqn>{_SEG})"


@_route("GET", r"/lineage/getLineageEdge" + _BY_NAME_EDGE[len("/lineage") :])
def get_lineage_edge_by_name(emu, req):
    p = req.params
    return 200, emu.store.get_edge(_id_by_name(emu, p["ft"], p["ffqn"]), _id_by_name(emu, p["tt"], p["tfqn"]))


@_route("PUT", _BY_NAME_EDGE, mutating=True)
def put_lineage_by_name(emu, req):
    p = req.params
    emu.store.add_lineage_by_name(p["ft"], p["ffqn"], p["tt"], p["tfqn"], req.json({}), user=req.user)
    return 200, None


@_route("PATCH", _BY_NAME_EDGE, mutating=True)
def patch_lineage_by_name(emu, req):
    p = req.params
    from_id, to_id = _id_by_name(emu, p["ft"], p["ffqn"]), _id_by_name(emu, p["tt"], p["tfqn"])
    emu.store.patch_edge(from_id, to_id, req.json(), user=req.user)
    return 200, emu.store.get_edge(from_id, to_id)["edge"]


@_route("DELETE", _BY_NAME_EDGE, mutating=True)
def delete_lineage_by_name(emu, req):
    p = req.params
    emu.store.delete_edge(_id_by_name(emu, p["ft"], p["ffqn"]), _id_by_name(emu, p["tt"], p["tfqn"]))
    return 200, None


@_route("DELETE", rf"/lineage/source/name/(?P<type>{_SEG})/(?P<fqn>{_SEG})/type/(?P<source>{_SEG})", mutating=True)
def delete_lineage_by_source_name(emu, req):
    entity_id = _id_by_name(emu, req.params["type"], req.params["fqn"])
    emu.store.delete_edges_by_source(entity_id, req.params["source"])
    return 200, None


@_route("DELETE", rf"/lineage/(?P<type>{_SEG})/(?P<id>{_SEG})/type/(?P<source>{_SEG})", mutating=True)
def delete_lineage_by_source(emu, req):
    emu.store.delete_edges_by_source(req.params["id"], req.params["source"])
    return 200, None


@_route("GET", rf"/lineage/(?P<type>{_SEG})/name/(?P<fqn>{_SEG})")
def get_lineage_by_name(emu, req):
    return 200, emu.store.lineage_graph(
        req.params["type"],
        fqn=req.params["fqn"],
        upstream=req.int_arg("upstreamDepth", 1),
        downstream=req.int_arg("downstreamDepth", 1),
    )


_EDGE = rf"/lineage/(?P<ft>{_SEG})/(?P<fid>{_SEG})/(?P<tt>{_SEG})/(?P<tid>{_SEG})"


@_route("PATCH", _EDGE, mutating=True)
def patch_lineage_edge(emu, req):
    emu.store.patch_edge(req.params["fid"], req.params["tid"], req.json(), user=req.user)
    return 200, emu.store.get_edge(req.params["fid"], req.params["tid"])["edge"]


@_route("DELETE", _EDGE, mutating=True)
def delete_lineage_edge(emu, req):
    emu.store.delete_edge(req.params["fid"], req.params["tid"])
    return 200, None


@_route("GET", rf"/lineage/(?P<type>{_SEG})/(?P<id>{_SEG})")
def get_lineage_by_id(emu, req):
    return 200, emu.store.lineage_graph(
        req.params["type"],
        entity_id=req.params["id"],
        upstream=req.int_arg("upstreamDepth", 1),
        downstream=req.int_arg("downstreamDepth", 1),
    )


# ---------------------------------------------------------------------------- pipelines (Airflow connector / lineage runner)


def _render_pipeline(emu, entity: dict) -> dict:
    return emu.store.render("pipelines", entity, "tasks,pipelineStatus,owners,tags")


@_route("PUT", rf"/pipelines/(?P<fqn>{_SEG})/status", mutating=True)
def put_pipeline_status(emu, req):
    return 200, _render_pipeline(emu, emu.store.add_pipeline_statuses(req.params["fqn"], [req.json()]))


@_route("PUT", rf"/pipelines/(?P<fqn>{_SEG})/status/bulk", mutating=True)
def put_pipeline_status_bulk(emu, req):
    body = req.json()
    if not isinstance(body, list):
        raise ApiError(400, "Bulk pipeline status body must be a JSON array of PipelineStatus")
    return 200, _render_pipeline(emu, emu.store.add_pipeline_statuses(req.params["fqn"], body))


@_route("GET", rf"/pipelines/(?P<fqn>{_SEG})/status")
def get_pipeline_statuses(emu, req):
    data = emu.store.list_pipeline_statuses(
        req.params["fqn"], req.int_arg("startTs"), req.int_arg("endTs"), req.int_arg("limit")
    )
    return 200, {"data": data, "paging": {"total": len(data)}}


@_route("PUT", rf"/tables/(?P<id>{_SEG})/pipelineObservability", mutating=True)
def put_pipeline_observability(emu, req):
    table = emu.store.put_pipeline_observability(req.params["id"], req.json())
    return 200, emu.store.render("tables", table, "pipelineObservability")


@_route("PUT", rf"/usage/(?P<type>{_SEG})/(?P<id>{_SEG})", mutating=True)
def put_usage(emu, req):
    entity = emu.store.entity_by_id(req.params["id"], (req.params["type"],), include_deleted=False)
    if entity is None:
        raise ApiError(404, f"{req.params['type']} instance for {req.params['id']} not found")
    body = req.json()
    with emu.store.lock:
        emu.store.usage[req.params["id"]].append(body)
    return 200, {"entity": emu.store.ref(entity, req.params["type"]), "usage": [body]}


@_route("POST", rf"/usage/compute\.percentile/(?P<type>{_SEG})/(?P<date>{_SEG})")
def compute_percentile(emu, req):
    return 200, None


# ---------------------------------------------------------------------------- generic collections


def _spec(req):
    return BY_NAME[req.params["coll"]]


def _list_filters(req) -> dict[str, str]:
    reserved = {"limit", "after", "before", "fields", "include", "offset"}
    return {k: v for k, v in req.query.items() if k not in reserved}


@_route("GET", rf"/(?P<coll>{_COLL})/name/(?P<fqn>{_SEG})")
def get_by_name(emu, req):
    spec = _spec(req)
    entity = emu.store.get_entity(spec.name, fqn=req.params["fqn"], include=req.query.get("include") or "non-deleted")
    return 200, emu.store.render(spec.name, entity, req.query.get("fields"))


@_route("PUT", rf"/(?P<coll>{_COLL})/bulk", mutating=True)
def bulk_put(emu, req):
    spec = _spec(req)
    return 200, emu.store.bulk_upsert(spec.name, req.json(), user=req.user)


@_route("DELETE", rf"/(?P<coll>{_COLL})/deleteStale", mutating=True)
def delete_stale(emu, req):
    spec = _spec(req)
    return 200, emu.store.delete_stale(spec.name, req.json(), user=req.user)


@_route("PUT", rf"/(?P<coll>{_COLL})/restore", mutating=True)
def restore(emu, req):
    spec = _spec(req)
    body = req.json() or {}
    if not isinstance(body, dict) or not body.get("id"):
        raise ApiError(400, "Invalid RestoreEntity: id is required")
    entity = emu.store.restore(spec.name, body["id"], user=req.user)
    return 200, emu.store.render(spec.name, entity)


@_route("DELETE", rf"/(?P<coll>{_COLL})/async/(?P<id>{_SEG})", mutating=True)
def delete_async(emu, req):
    spec = _spec(req)
    emu.store.delete(
        spec.name, req.params["id"], recursive=req.flag("recursive"), hard=req.flag("hardDelete"), user=req.user
    )
    return 202, {"jobId": str(uuid.uuid4()), "message": "Delete operation initiated (completed synchronously)"}


@_route("DELETE", rf"/(?P<coll>{_COLL})/name/(?P<fqn>{_SEG})", mutating=True)
def delete_by_name(emu, req):
    spec = _spec(req)
    entity = emu.store.delete(
        spec.name, fqn=req.params["fqn"], recursive=req.flag("recursive"), hard=req.flag("hardDelete"), user=req.user
    )
    return 200, emu.store.render(spec.name, entity)


@_route("PATCH", rf"/(?P<coll>{_COLL})/name/(?P<fqn>{_SEG})", mutating=True)
def patch_by_name(emu, req):
    spec = _spec(req)
    entity = emu.store.patch(spec.name, None, req.json(), user=req.user, fqn=req.params["fqn"])
    return 200, emu.store.render(spec.name, entity, "*")


@_route("GET", rf"/(?P<coll>{_COLL})/(?P<id>{_SEG})")
def get_by_id(emu, req):
    spec = _spec(req)
    entity = emu.store.get_entity(
        spec.name, entity_id=req.params["id"], include=req.query.get("include") or "non-deleted"
    )
    return 200, emu.store.render(spec.name, entity, req.query.get("fields"))


@_route("PATCH", rf"/(?P<coll>{_COLL})/(?P<id>{_SEG})", mutating=True)
def patch_by_id(emu, req):
    spec = _spec(req)
    entity = emu.store.patch(spec.name, req.params["id"], req.json(), user=req.user)
    return 200, emu.store.render(spec.name, entity, "*")


@_route("DELETE", rf"/(?P<coll>{_COLL})/(?P<id>{_SEG})", mutating=True)
def delete_by_id(emu, req):
    spec = _spec(req)
    entity = emu.store.delete(
        spec.name, req.params["id"], recursive=req.flag("recursive"), hard=req.flag("hardDelete"), user=req.user
    )
    return 200, emu.store.render(spec.name, entity)


@_route("GET", rf"/(?P<coll>{_COLL})")
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


@_route("PUT", rf"/(?P<coll>{_COLL})", mutating=True)
def put_entity(emu, req):
    spec = _spec(req)
    status, entity = emu.store.upsert(spec.name, req.json(), user=req.user)
    return status, emu.store.render(spec.name, entity, "*")


@_route("POST", rf"/(?P<coll>{_COLL})", mutating=True)
def post_entity(emu, req):
    spec = _spec(req)
    status, entity = emu.store.upsert(spec.name, req.json(), user=req.user, create_only=True)
    return status, emu.store.render(spec.name, entity, "*")
