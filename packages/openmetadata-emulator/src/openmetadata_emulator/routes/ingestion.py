"""Ingestion pipeline run routes: pipelineStatus, progress, operation metrics.

The ingestion pipeline entities themselves are served by ``entities``."""

from __future__ import annotations

from ..store import ApiError
from .base import SEG, route


@route("GET", rf"/services/ingestionPipelines/(?P<fqn>{SEG})/pipelineStatus/(?P<run>{SEG})")
def get_ingestion_status(emu, req):
    status = emu.store.get_ingestion_status(req.params["fqn"], req.params["run"])
    return (200, status) if status is not None else (204, None)


@route("GET", rf"/services/ingestionPipelines/(?P<fqn>{SEG})/pipelineStatus")
def list_ingestion_statuses(emu, req):
    data = emu.store.list_ingestion_statuses(req.params["fqn"], req.int_arg("startTs"), req.int_arg("endTs"))
    return 200, {"data": data, "paging": {"total": len(data)}}


@route("PUT", rf"/services/ingestionPipelines/(?P<fqn>{SEG})/pipelineStatus", mutating=True)
def put_ingestion_status(emu, req):
    return 200, emu.store.put_ingestion_status(req.params["fqn"], req.json())


@route("PUT", rf"/services/ingestionPipelines/progress/(?P<fqn>{SEG})/(?P<run>{SEG})")
def put_progress(emu, req):
    emu.store.put_progress(req.params["fqn"], req.params["run"], req.json())
    return 200, None


@route("GET", rf"/services/ingestionPipelines/progress/(?P<fqn>{SEG})/(?P<run>{SEG})")
def get_progress(emu, req):
    update = emu.store.progress.get((req.params["fqn"], req.params["run"]))
    if update is None:
        raise ApiError(404, f"No progress for {req.params['fqn']} run {req.params['run']}")
    return 200, update


@route("POST", rf"/services/ingestionPipelines/metrics/(?P<fqn>{SEG})/(?P<run>{SEG})")
def post_metrics(emu, req):
    emu.store.add_operation_metrics(req.params["fqn"], req.params["run"], req.json())
    return 200, None
