"""Reading descriptions from OpenMetadata: a few paged list requests, plain JSON.

Why a small REST client and not the SDK's ``OpenMetadata.list_all_entities``: the SDK takes
~9 s to import (even ``metadata.utils.fqn`` pulls most of it in) and parses every table into
its pydantic ``Table`` model; the sync needs four fields of each (name, description, the
columns' names and descriptions). On a 10,000-table catalog that is the difference between a
sync that costs a fraction of a metadata refresh and one that costs as much (see
``bench/bench_sync.py``). The requests are the ones the SDK would send: ``GET
/v1/databases/name/{fqn}``, ``GET /v1/databaseSchemas?database=...``, ``GET
/v1/tables?databaseSchema=...&fields=columns&limit=...&after=...``, with the connection's
timeouts, retries of 502/503/504 answers, and the same bearer token.

No FQN is built here: the server's own ``fullyQualifiedName`` of the database and each schema
is passed back as the list filter, so names with dots or quotes need no quoting rules.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from include.descriptions.plan import ObjectKey, compile_filters, selected
from include.errors import DatakitError

log = logging.getLogger(__name__)

PAGE_SIZE = 500


class CatalogError(DatakitError):
    """OpenMetadata did not answer a read the sync needs."""


@dataclass
class Descriptions:
    """What OpenMetadata says, for one database: ``ObjectKey`` -> description (None: empty)."""

    database: str
    by_key: dict[ObjectKey, str | None] = field(default_factory=dict)
    schemas: list[str] = field(default_factory=list)
    tables: int = 0
    requests: int = 0


class CatalogReader:
    """GETs against ``server`` (an ``include.openmetadata.server.OpenMetadataServer``)."""

    def __init__(self, server: Any, page_size: int = PAGE_SIZE) -> None:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.server = server
        self.page_size = page_size
        self.requests = 0
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {server.jwt}"
        self.session.verify = server.verify_ssl
        retry = Retry(total=server.retries, connect=server.retries, read=server.retries,
                      status_forcelist=(502, 503, 504), allowed_methods=frozenset({"GET"}),
                      backoff_factor=server.retry_wait / 2 if server.retry_wait else 0, raise_on_status=False)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, **params: Any) -> dict | None:
        """``GET {api}/v1/{path}``; None on 404; a ``CatalogError`` naming the URL and fix otherwise."""
        import requests

        url = f"{self.server.api_url}/v1/{path}"
        self.requests += 1
        try:
            response = self.session.get(url, params=params,
                                        timeout=(self.server.connect_timeout, self.server.read_timeout))
        except requests.RequestException as exc:
            raise CatalogError(f"OpenMetadata at {self.server.api_url} did not answer GET /v1/{path.split('?')[0]} "
                               f"({exc.__class__.__name__}). Fix: check the server and the "
                               f"{self.server.conn_id!r} connection, then re-run (the sync is idempotent)") from None
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise CatalogError(f"OpenMetadata at {self.server.api_url} rejected the token ({response.status_code}). "
                               f"Fix: put a valid bot JWT into the Password of {self.server.conn_id!r}")
        if response.status_code != 200:
            raise CatalogError(f"OpenMetadata at {self.server.api_url} answered {response.status_code} to GET "
                               f"/v1/{path.split('?')[0]}: {response.text[:300]}. Fix: check the server's logs")
        return response.json()

    def pages(self, collection: str, **params: Any) -> Iterator[dict]:
        """Every entity of a list, following the ``after`` cursor."""
        after = None
        while True:
            page = self.get(collection, limit=self.page_size, **params, **({"after": after} if after else {}))
            if page is None:
                raise CatalogError(f"OpenMetadata at {self.server.api_url} has no /v1/{collection} list. "
                                   f"Fix: use OpenMetadata 2.0 (the datakit's SDK version)")
            yield from page.get("data") or []
            after = (page.get("paging") or {}).get("after")
            if not after:
                return

    # ------------------------------------------------------------------ the database

    def database(self, service: str, database: str) -> dict:
        """The database entity named ``database`` of ``service``; a ``CatalogError`` when absent."""
        for entity in self.pages("databases", service=service):
            if entity.get("name") == database:
                return entity
        raise CatalogError(f"OpenMetadata has no database {database!r} in service {service!r}. Fix: run the "
                           f"service's catalog DAG first (the sync writes what the catalog knows)")

    def schemas(self, database_fqn: str, schema_filter: list | None = None) -> list[dict]:
        patterns = compile_filters(schema_filter)
        return [s for s in self.pages("databaseSchemas", database=database_fqn) if selected(s["name"], patterns)]

    def descriptions(self, service: str, database: str, *, schemas: list[str] | None = None,
                     schema_filter: list | None = None, table_filter: list | None = None,
                     include_database: bool = True) -> Descriptions:
        """Descriptions of the database, its schemas (``schemas``: only these names), their
        tables, views and materialized views, and every column, from paged lists."""
        db = self.database(service, database)
        out = Descriptions(database=database)
        if include_database:
            out.by_key[ObjectKey()] = db.get("description") or None
        wanted = set(schemas) if schemas is not None else None
        tables = compile_filters(table_filter)
        for schema in self.schemas(db["fullyQualifiedName"], schema_filter):
            name = schema["name"]
            if wanted is not None and name not in wanted:
                continue
            out.schemas.append(name)
            out.by_key[ObjectKey(name)] = schema.get("description") or None
            for table in self.pages("tables", databaseSchema=schema["fullyQualifiedName"], fields="columns"):
                if not selected(table["name"], tables):
                    continue
                out.tables += 1
                out.by_key[ObjectKey(name, table["name"])] = table.get("description") or None
                for column in table.get("columns") or []:
                    out.by_key[ObjectKey(name, table["name"], column["name"])] = column.get("description") or None
        out.requests = self.requests
        return out


def schema_names(server: Any, service: str, database: str, schema_filter: list | None = None) -> list[str]:
    """Names of the catalogued schemas of a database (for splitting the work by schema)."""
    reader = CatalogReader(server)
    try:
        db = reader.database(service, database)
        return [s["name"] for s in reader.schemas(db["fullyQualifiedName"], schema_filter)]
    finally:
        reader.close()
