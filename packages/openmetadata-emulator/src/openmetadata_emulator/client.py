"""Reading the OpenMetadata REST API back as a user would (in tests: an emulator's).

``Catalog`` is deliberately plain ``requests`` (no SDK): a test that reads the catalog
back this way checks what any HTTP client of the server would see.

    >>> catalog = Catalog(om.url)                      # doctest: +SKIP
    >>> catalog.by_name("tables", "svc.db.sch.t", fields="columns")
    >>> catalog.list_all("tables", databaseSchema="svc.db.sch")
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests


class Catalog:
    """A read client of ``/api/v1``: ``api_url`` is ``http://HOST:PORT/api`` (``Emulator.url``).

    ``token``: sent as ``Authorization: Bearer <token>`` (an emulator started without a
    token accepts any, or none). ``get``/``by_name`` return None on 404 and raise
    ``requests.HTTPError`` on any other error.
    """

    def __init__(self, api_url: str, token: str | None = None, timeout: float = 10) -> None:
        self.api = api_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> Any:
        """``GET /v1/{path}`` with query ``params``; None when the server answers 404."""
        response = self.session.get(f"{self.api}/v1/{path}", params=params, timeout=self.timeout)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def by_name(self, collection: str, fqn: str, **params: Any) -> Any:
        """``GET /v1/{collection}/name/{fqn}`` (the FQN URL-quoted as the SDK does); None if absent."""
        return self.get(f"{collection}/name/{quote(fqn, safe='')}", **params)

    def list_all(self, collection: str, **params: Any) -> list[dict]:
        """Every entity of ``collection`` matching ``params``, following the ``after`` cursors."""
        items: list[dict] = []
        after = None
        while True:
            page = self.get(collection, limit=100, **params, **({"after": after} if after else {}))
            if page is None:
                raise LookupError(f"GET {self.api}/v1/{collection} answered 404: is {collection!r} a collection?")
            items += page["data"]
            after = page.get("paging", {}).get("after")
            if not after:
                return items

    def lineage(self, entity_type: str, fqn: str, upstream: int = 1, downstream: int = 1) -> Any:
        """``GET /v1/lineage/{type}/name/{fqn}``: ``{entity, nodes, upstreamEdges, downstreamEdges}``."""
        return self.get(f"lineage/{entity_type}/name/{quote(fqn, safe='')}",
                        upstreamDepth=upstream, downstreamDepth=downstream)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
