"""Helpers shared by the emulator contract tests."""

from __future__ import annotations

import requests


class Api:
    """Tiny HTTP client for an emulator: paths are relative to ``/api/v1``."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base = base_url.rstrip("/") + "/v1"
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return self.base + "/" + path.lstrip("/")

    def get(self, path, **kw):
        return self.session.get(self.url(path), timeout=30, **kw)

    def put(self, path, json=None, **kw):
        return self.session.put(self.url(path), json=json, timeout=30, **kw)

    def post(self, path, json=None, **kw):
        return self.session.post(self.url(path), json=json, timeout=30, **kw)

    def patch(self, path, ops, **kw):
        import json as _json

        return self.session.patch(
            self.url(path),
            data=_json.dumps(ops),
            headers={"Content-Type": "application/json-patch+json"},
            timeout=30,
            **kw,
        )

    def delete(self, path, json=None, **kw):
        return self.session.delete(self.url(path), json=json, timeout=30, **kw)


def make_hierarchy(api: Api, service="svc", database="db", schema="sch") -> str:
    """Create service/database/schema; return the schema FQN."""
    r = api.put("services/databaseServices", {"name": service, "serviceType": "Postgres"})
    assert r.status_code in (200, 201), r.text
    svc_fqn = r.json()["fullyQualifiedName"]
    r = api.put("databases", {"name": database, "service": svc_fqn})
    assert r.status_code in (200, 201), r.text
    r = api.put("databaseSchemas", {"name": schema, "database": r.json()["fullyQualifiedName"]})
    assert r.status_code in (200, 201), r.text
    return r.json()["fullyQualifiedName"]


def table_request(schema_fqn: str, name: str, columns=("id", "name"), **extra) -> dict:
    body = {
        "name": name,
        "databaseSchema": schema_fqn,
        "columns": [{"name": c, "dataType": "INT" if c == "id" else "VARCHAR", "dataLength": 10} for c in columns],
    }
    body.update(extra)
    return body
