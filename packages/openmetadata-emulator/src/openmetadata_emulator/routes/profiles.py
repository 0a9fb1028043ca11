"""Table profile routes: profiles, latest profile, column/system profiles, profiler config, sample data.

As the real server's ``TableResource`` (OpenMetadata 2.0) declares them: ``PUT /tables/{id}/tableProfile``
(``CreateTableProfileRequest`` -> the table), ``GET /tables/{fqn}/tableProfile/latest``,
``GET /tables/{fqn}/tableProfile``, ``GET /tables/{fqn}/columnProfile`` and
``GET /tables/{fqn}/systemProfile`` (``startTs``/``endTs``, newest first, ``ResultList``),
``GET|PUT|DELETE /tables/{id}/tableProfilerConfig``, ``GET|PUT /tables/{id}/sampleData``.
"""

from __future__ import annotations

from ..store import ApiError
from ..store import profiles
from .base import SEG, route


def _result_list(data: list) -> dict:
    return {"data": data, "paging": {"total": len(data)}}


@route("PUT", rf"/tables/(?P<id>{SEG})/tableProfile", mutating=True)
def put_table_profile(emu, req):
    return 200, profiles.add_table_profile(emu.store, req.params["id"], req.json())


@route("GET", rf"/tables/(?P<fqn>{SEG})/tableProfile/latest")
def get_latest_profile(emu, req):
    return 200, profiles.latest_profile(emu.store, req.params["fqn"], req.flag("includeColumnProfile", True))


@route("GET", rf"/tables/(?P<fqn>{SEG})/tableProfile")
def list_table_profiles(emu, req):
    rows = profiles.table_profiles(emu.store, req.params["fqn"], req.int_arg("startTs"), req.int_arg("endTs"))
    return 200, _result_list(rows)


def _required_window(req) -> tuple[int, int]:
    start, end = req.int_arg("startTs"), req.int_arg("endTs")
    if start is None or end is None:  # @NotNull on both in the real resource
        raise ApiError(400, "query param startTs and endTs must not be null")
    return start, end


@route("GET", rf"/tables/(?P<fqn>{SEG})/columnProfile")
def list_column_profiles(emu, req):
    return 200, _result_list(profiles.column_profiles(emu.store, req.params["fqn"], *_required_window(req)))


@route("GET", rf"/tables/(?P<fqn>{SEG})/systemProfile")
def list_system_profiles(emu, req):
    return 200, _result_list(profiles.system_profiles(emu.store, req.params["fqn"], *_required_window(req)))


@route("PUT", rf"/tables/(?P<id>{SEG})/tableProfilerConfig", mutating=True)
def put_profiler_config(emu, req):
    return 200, profiles.put_profiler_config(emu.store, req.params["id"], req.json())


@route("GET", rf"/tables/(?P<id>{SEG})/tableProfilerConfig")
def get_profiler_config(emu, req):
    return 200, profiles.get_profiler_config(emu.store, req.params["id"])


@route("DELETE", rf"/tables/(?P<id>{SEG})/tableProfilerConfig", mutating=True)
def delete_profiler_config(emu, req):
    return 200, profiles.delete_profiler_config(emu.store, req.params["id"])


@route("PUT", rf"/tables/(?P<id>{SEG})/sampleData", mutating=True)
def put_sample_data(emu, req):
    return 200, profiles.put_sample_data(emu.store, req.params["id"], req.json())


@route("GET", rf"/tables/(?P<id>{SEG})/sampleData")
def get_sample_data(emu, req):
    return 200, profiles.get_sample_data(emu.store, req.params["id"])
