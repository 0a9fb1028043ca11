"""Reading the OpenMetadata REST API back as a user would (in tests: the emulator's)."""

from __future__ import annotations

from urllib.parse import quote

import requests


class Catalog:
    def __init__(self, api_url: str, token: str = "test-jwt-not-a-secret") -> None:
        self.api = api_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params):
        response = self.session.get(f"{self.api}/v1/{path}", params=params, timeout=10)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def by_name(self, collection: str, fqn: str, **params):
        return self.get(f"{collection}/name/{quote(fqn, safe='')}", **params)

    def list_all(self, collection: str, **params) -> list[dict]:
        items, after = [], None
        while True:
            page = self.get(collection, limit=100, **params, **({"after": after} if after else {}))
            items += page["data"]
            after = page.get("paging", {}).get("after")
            if not after:
                return items
