"""A small OpenMetadata REST client for the listener: a handful of routes, short timeouts.

Written by hand on purpose: the SDK's client needs ``import metadata`` (~10 s of CPU in
each task process), while the listener's budget is milliseconds per task. The request
bodies follow the SDK's generated models (``CreatePipelineServiceRequest``,
``CreatePipelineRequest``, ``AddLineageRequest``, ``PipelineStatus``); the emulator
validates each one with those models in the tests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow_openmetadata_lineage.connection import OpenMetadataEndpoint


class OpenMetadataUnavailable(Exception):
    """OpenMetadata did not answer usably (down, slow, 5xx, rejected token)."""


class OpenMetadataTimeout(OpenMetadataUnavailable):
    """OpenMetadata did not answer within the listener's time bound."""


class OMClient:
    def __init__(self, server: OpenMetadataEndpoint, timeout: float) -> None:
        import requests

        self.server = server
        self.api = f"{server.api_url}/v1"
        self.timeout = (min(timeout, server.connect_timeout, 1.0), timeout)
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {server.jwt}", "Content-Type": "application/json"})
        self.session.verify = server.verify_ssl

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
              allow_404: bool = False) -> Any:
        import requests

        url = f"{self.api}/{path}"
        try:
            response = self.session.request(method, url, json=json, params=params, timeout=self.timeout)
        except requests.exceptions.Timeout:
            raise OpenMetadataTimeout(f"no answer from {self.server.api_url} within {self.timeout[1]:g} s") from None
        except requests.exceptions.ConnectionError as exc:
            reason = str(exc)
            for marker in ("[Errno", "Name or service"):
                if marker in reason:
                    reason = reason[reason.index(marker):].split("'")[0].split(")")[0]
                    break
            raise OpenMetadataUnavailable(f"{self.server.api_url} is not reachable ({reason[:120]})") from None
        if response.status_code == 404 and allow_404:
            return None
        if response.status_code in (401, 403):
            raise OpenMetadataUnavailable(
                f"{self.server.api_url} rejected the token ({response.status_code}); fix the Password "
                f"(ingestion-bot JWT) of the {self.server.conn_id!r} connection"
            )
        if response.status_code >= 400:
            detail = response.text[:200].replace("\n", " ")
            raise OpenMetadataUnavailable(f"{method} {path} answered {response.status_code}: {detail}")
        if not response.content:
            return None
        return response.json()

    def get_by_name(self, collection: str, fqn: str, fields: str | None = None) -> dict[str, Any] | None:
        params = {"fields": fields} if fields else None
        return self._call("GET", f"{collection}/name/{quote(fqn, safe='')}", params=params, allow_404=True)

    def put(self, path: str, body: Any) -> Any:
        return self._call("PUT", path, json=body)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._call("GET", path, params=params, allow_404=True)
