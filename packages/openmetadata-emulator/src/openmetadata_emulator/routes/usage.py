"""Usage routes (``UsageResource`` in open-metadata/OpenMetadata): report usage by id or FQN
(POST replaces the day's count, PUT adds to it; both answer 201 with a ChangeEvent), read it
back, compute percentiles (201, no body)."""

from __future__ import annotations

from .base import SEG, route


@route("POST", rf"/usage/compute\.percentile/(?P<type>{SEG})/(?P<date>{SEG})", mutating=True)
def compute_percentile(emu, req):
    emu.store.compute_percentile(req.params["type"], req.params["date"])
    return 201, None


def _report(emu, req, *, replace: bool, by_name: bool):
    p = req.params
    target = {"fqn": p["fqn"]} if by_name else {"entity_id": p["id"]}
    return 201, emu.store.report_usage(p["type"], req.json(), replace=replace, user=req.user, **target)


@route("POST", rf"/usage/(?P<type>{SEG})/name/(?P<fqn>{SEG})", mutating=True)
def post_usage_by_name(emu, req):
    return _report(emu, req, replace=True, by_name=True)


@route("PUT", rf"/usage/(?P<type>{SEG})/name/(?P<fqn>{SEG})", mutating=True)
def put_usage_by_name(emu, req):
    return _report(emu, req, replace=False, by_name=True)


@route("GET", rf"/usage/(?P<type>{SEG})/name/(?P<fqn>{SEG})")
def get_usage_by_name(emu, req):
    return 200, emu.store.entity_usage(
        req.params["type"], fqn=req.params["fqn"], date=req.query.get("date"), days=req.int_arg("days", 0)
    )


@route("POST", rf"/usage/(?P<type>{SEG})/(?P<id>{SEG})", mutating=True)
def post_usage(emu, req):
    return _report(emu, req, replace=True, by_name=False)


@route("PUT", rf"/usage/(?P<type>{SEG})/(?P<id>{SEG})", mutating=True)
def put_usage(emu, req):
    return _report(emu, req, replace=False, by_name=False)


@route("GET", rf"/usage/(?P<type>{SEG})/(?P<id>{SEG})")
def get_usage(emu, req):
    return 200, emu.store.entity_usage(
        req.params["type"], entity_id=req.params["id"], date=req.query.get("date"), days=req.int_arg("days", 0)
    )
