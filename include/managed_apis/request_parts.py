"""The parts of a request the managed-API guard reads: its path, the endpoint, the DAG ids, headers.

Pure functions over the ASGI scope and body (no Airflow, no I/O), split from
``include.managed_apis.guard`` (the middleware and the permission table) so each is read alone.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

MOUNT = "/pluginsv2"
# The stock plugin's API under the mount (managed-apis 2.0.6 serves both).
API_PREFIXES = ("/api/v2/openmetadata", "/api/v1/openmetadata")

Scope = dict[str, Any]


def clean_dag_id(raw: Any) -> str:
    """``openmetadata_managed_apis.api.utils.clean_dag_id``: the DAG id the stock routes act on."""
    return re.sub("[^0-9a-zA-Z-_]+", "_", str(raw))


def route_path(scope: Scope) -> str:
    """The path below the app's root path, as Starlette routes it."""
    path = scope.get("path") or "/"
    root = scope.get("root_path") or ""
    if root and path.startswith(root):
        path = path[len(root):] or "/"
    return path


def is_guarded(path: str) -> bool:
    """True for anything Starlette could route to the ``/pluginsv2`` mount (and look-alikes)."""
    collapsed = re.sub(r"/{2,}", "/", path).lower()
    return collapsed == MOUNT or collapsed.startswith(MOUNT + "/")


def is_canonical(path: str) -> bool:
    if "//" in path or "\\" in path or "%" in path or "\x00" in path:
        return False
    return not any(segment in (".", "..") for segment in path.split("/"))


def endpoint_of(path: str) -> str | None:
    """The managed-API endpoint name (``trigger``), ``""`` for the API root, None when not the API."""
    rest = path[len(MOUNT):].lower()
    for prefix in API_PREFIXES:
        if rest == prefix or rest.startswith(prefix + "/"):
            return rest[len(prefix):].strip("/")
    return None


class _Pairs(dict):
    """A JSON object that remembers every (key, value), duplicates included."""

    def __init__(self, pairs):
        super().__init__(pairs)
        self.pairs = list(pairs)


def dag_ids_of(query_string: bytes, content_type: str, body: bytes, json_keys: tuple[str, ...]) -> list[str]:
    """Every DAG id the request names, in each place a stock route may read it, cleaned."""
    raw: list[Any] = [v for k, v in parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True)
                      if k == "dag_id"]
    mimetype = content_type.split(";", 1)[0].strip().lower()
    if body:
        if mimetype == "application/x-www-form-urlencoded":
            raw += [v for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
                    if k == "dag_id"]
        else:  # Flask's get_json() parses JSON bodies; try every other body as JSON too
            try:
                document = json.loads(body, object_pairs_hook=_Pairs)
            except (ValueError, UnicodeDecodeError, RecursionError):
                document = None
            if isinstance(document, _Pairs):
                raw += [v for k, v in document.pairs if k in json_keys]
    return sorted({clean_dag_id(v) for v in raw if v not in (None, "")})


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def cookie(scope: Scope, name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    raw = header(scope, b"cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    return jar[name].value if name in jar else None
