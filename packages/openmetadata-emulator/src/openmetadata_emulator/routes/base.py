"""Route table of the emulator: (method, path regex) -> handler.

Paths are matched on the URL as sent, below ``/api`` and without the query string
(``/v1/tables/name/svc.db.sch.t``); every ``(?P<...>)`` group is URL-unquoted before the
handler sees it, so FQN path parameters arrive exactly as the SDK's ``quote(fqn)``
encoded them. Specific routes come first, the generic per-collection routes last.

A handler takes ``(emulator, request)`` and returns ``(status, json_body_or_None)``, or
raises ``store.ApiError``. To serve a new collection add a row to ``specs.SPECS``; to
serve a new special endpoint add a ``@route`` handler to the module of its resource family
(imported by ``routes/__init__.py`` in matching order: specific routes before ``entities``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote

from ..specs import SPECS
from ..store import ApiError, int_param

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
    # every (name, value) of the query string in order: repeated parameters
    # (``search_after``, ``include_source_fields``) keep all their values here
    query_pairs: list[tuple[str, str]] = field(default_factory=list)

    def all(self, name: str) -> list[str]:
        """Every value of a repeated query parameter, in order."""
        return [v for k, v in self.query_pairs if k == name]

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
        return int_param(self.query, name, default)


Handler = Callable[[Any, Request], "tuple[int, Any]"]


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    mutating: bool = False


COLL = "|".join(sorted((re.escape(s.name) for s in SPECS), key=len, reverse=True))
SEG = r"[^/]+"


def route(method: str, regex: str, mutating: bool = False):
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
