"""Airflow pipeline run routes (statuses, table pipeline observability)."""

from __future__ import annotations

from ..store import ApiError
from .base import SEG, route


def _render_pipeline(emu, entity: dict) -> dict:
    return emu.store.render("pipelines", entity, "tasks,pipelineStatus,owners,tags")


@route("PUT", rf"/pipelines/(?P<fqn>{SEG})/status", mutating=True)
def put_pipeline_status(emu, req):
    return 200, _render_pipeline(emu, emu.store.add_pipeline_statuses(req.params["fqn"], [req.json()]))


@route("PUT", rf"/pipelines/(?P<fqn>{SEG})/status/bulk", mutating=True)
def put_pipeline_status_bulk(emu, req):
    body = req.json()
    if not isinstance(body, list):
        raise ApiError(400, "Bulk pipeline status body must be a JSON array of PipelineStatus")
    return 200, _render_pipeline(emu, emu.store.add_pipeline_statuses(req.params["fqn"], body))


@route("GET", rf"/pipelines/(?P<fqn>{SEG})/status")
def get_pipeline_statuses(emu, req):
    data = emu.store.list_pipeline_statuses(
        req.params["fqn"], req.int_arg("startTs"), req.int_arg("endTs"), req.int_arg("limit")
    )
    return 200, {"data": data, "paging": {"total": len(data)}}


@route("PUT", rf"/tables/(?P<id>{SEG})/pipelineObservability", mutating=True)
def put_pipeline_observability(emu, req):
    table = emu.store.put_pipeline_observability(req.params["id"], req.json())
    return 200, emu.store.render("tables", table, "pipelineObservability")
