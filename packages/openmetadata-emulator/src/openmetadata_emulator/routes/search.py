"""Search routes, answered from the store by ``openmetadata_emulator.search``."""

from __future__ import annotations

from .. import search
from .base import route


@route("GET", r"/search/fieldQuery")
def search_field_query(emu, req):
    return 200, search.field_query(emu.store, req.query)


@route("GET", r"/search/query")
def search_query(emu, req):
    # search_after, include_source_fields and exclude_source_fields repeat once per value (2.0)
    return 200, search.query(
        emu.store,
        req.query,
        search_after=[v for v in req.all("search_after") if v != ""] or None,
        include=[v for v in req.all("include_source_fields") if v],
        exclude=[v for v in req.all("exclude_source_fields") if v],
    )
