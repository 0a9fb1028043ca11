"""Search routes, answered from the store by ``openmetadata_emulator.search``."""

from __future__ import annotations

from .. import search
from .base import route


@route("GET", r"/search/fieldQuery")
def search_field_query(emu, req):
    return 200, search.field_query(emu.store, req.query)


@route("GET", r"/search/query")
def search_query(emu, req):
    return 200, search.query(emu.store, req.query)
