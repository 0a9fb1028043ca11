"""Putting tables into an OpenMetadata catalog (the emulator's) the way ingestion would.

The lineage listener only sends edges between tables the catalog already knows, so a test
creates them first: service, database, schema and table, through the REST API.
"""

from __future__ import annotations

import json
from typing import Iterable

import requests


def xlet_fqn(xlet: object) -> str:
    """The table FQN of an ``om_table`` reference (the JSON of the SDK's ``OMEntity``)."""
    try:
        body = json.loads(str(xlet))
        return str(body["fqn"])
    except (ValueError, KeyError, TypeError):
        raise AssertionError(f"{xlet!r} is not an om_table reference (see include/lineage_tables.py)") from None


def seed_tables(api_url: str, table_fqns: Iterable[str], token: str = "offline-test-token") -> None:
    """Create every table of ``table_fqns`` (``service.database.schema.table``) and its parents."""
    from metadata.utils import fqn

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def put(collection: str, body: dict) -> None:
        response = session.put(f"{api_url}/v1/{collection}", json=body, timeout=10)
        assert response.ok, f"PUT /v1/{collection} {body}: {response.status_code} {response.text}"

    for table_fqn in sorted(set(table_fqns)):
        service, database, schema, table = fqn.split(table_fqn)
        database_fqn = ".".join(fqn.quote_name(part) for part in (service, database))
        put("services/databaseServices", {"name": service, "serviceType": "CustomDatabase"})
        put("databases", {"name": database, "service": service})
        put("databaseSchemas", {"name": schema, "database": database_fqn})
        put("tables", {"name": table, "databaseSchema": f"{database_fqn}.{fqn.quote_name(schema)}",
                       "columns": [{"name": "id", "dataType": "INT"}]})
