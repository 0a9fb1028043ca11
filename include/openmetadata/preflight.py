"""Is OpenMetadata there, compatible, and does it accept our token? Answered in seconds.

Plain HTTP with a short timeout and no retries (the SDK would wait minutes on a dead
server and takes ~10 s just to import), and errors that name the URL and the fix.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from include.errors import PreflightError
from include.openmetadata.server import OpenMetadataServer

log = logging.getLogger(__name__)


def sdk_version() -> str:
    """The installed openmetadata-ingestion version, without importing it."""
    try:
        return version("openmetadata-ingestion")
    except PackageNotFoundError:  # pragma: no cover - the image always has it
        return "unknown"


def _major_minor(text: str) -> tuple[str, ...]:
    return tuple(text.strip().lstrip("v").split(".")[:2])


@dataclass(frozen=True)
class ServerCheck:
    url: str
    server_version: str
    sdk_version: str

    def as_dict(self) -> dict[str, str]:
        return {"url": self.url, "server_version": self.server_version, "sdk_version": self.sdk_version}


def check_openmetadata(server: OpenMetadataServer, timeout: float | None = None) -> ServerCheck:
    """Version endpoint, version match, then one authenticated read (the JWT)."""
    import requests

    from include.settings import get_settings

    timeout = timeout or get_settings().client.preflight_timeout
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.jwt}"
    session.verify = server.verify_ssl
    version_url = f"{server.api_url}/v1/system/version"

    def get(url: str) -> "requests.Response":
        try:
            return session.get(url, timeout=(min(timeout, server.connect_timeout), timeout))
        except requests.exceptions.SSLError as exc:
            raise PreflightError(
                f"OpenMetadata at {server.api_url}: TLS verification failed ({exc.__class__.__name__}). "
                f"Fix: set extra verify_ssl of the {server.conn_id!r} connection to the CA bundle path"
            ) from None
        except requests.exceptions.Timeout:
            raise PreflightError(
                f"OpenMetadata at {server.api_url} did not answer within {timeout:g} s. "
                f"Fix: check that the server is up (its /healthcheck) and that Host/Port of "
                f"the {server.conn_id!r} connection are right"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise PreflightError(unreachable_message(server.api_url, server.conn_id, transport_reason(str(exc)))) from None

    try:
        response = get(version_url)
        if response.status_code in (401, 403):
            _auth_error(server, response.status_code)
        if response.status_code != 200:
            raise PreflightError(
                f"OpenMetadata at {server.api_url} answered {response.status_code} to "
                f"GET /v1/system/version. Fix: check that the URL points at the OpenMetadata API "
                f"(it ends in /api) and that the server is healthy"
            )
        try:
            server_version = str(response.json()["version"])
        except (ValueError, KeyError, TypeError):
            raise PreflightError(
                f"{version_url} did not return OpenMetadata's version JSON (is this OpenMetadata?). "
                f"Fix: point the {server.conn_id!r} connection at the OpenMetadata server"
            ) from None
        client = sdk_version()
        if _major_minor(server_version) != _major_minor(client):
            raise PreflightError(
                f"OpenMetadata at {server.api_url} is version {server_version} but this datakit's "
                f"openmetadata-ingestion is {client}; major.minor must match. Fix: pin "
                f"openmetadata-ingestion=={'.'.join(_major_minor(server_version))}.* in "
                f"requirements.txt/constraints.txt, or upgrade the server"
            )
        probe = get(f"{server.api_url}/v1/services/databaseServices?limit=1")
        if probe.status_code in (401, 403):
            _auth_error(server, probe.status_code)
        if probe.status_code >= 500:
            raise PreflightError(
                f"OpenMetadata at {server.api_url} answered {probe.status_code} to an authenticated "
                f"read. Fix: check the server's health and logs"
            )
    finally:
        session.close()
    log.info("OpenMetadata %s at %s (SDK %s): reachable, token accepted", server_version, server.api_url, client)
    return ServerCheck(url=server.api_url, server_version=server_version, sdk_version=client)


def _auth_error(server: OpenMetadataServer, status: int) -> None:
    raise PreflightError(token_rejected_message(server.api_url, server.conn_id, status))


# The messages below are shared with the ingest task (include/workflow/runner.py), so a
# user reads the same sentence whether the preflight or the SDK met the problem.


def transport_reason(text: str) -> str:
    """The short reason inside a requests/urllib3 connection error text (``[Errno 111] ...``)."""
    found = re.search(r"\[Errno -?\d+\][^'\")]*", text)
    if found:
        return found.group(0).strip()
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the server closed the connection without answering"
    if "timed out" in text:
        return "the connection timed out"
    return text[:200]


def unreachable_message(api_url: str, conn_id: str, reason: str) -> str:
    return (
        f"OpenMetadata is not reachable at {api_url} ({reason}). "
        f"Fix: start the OpenMetadata server, or correct Host/Port/Schema of the "
        f"{conn_id!r} connection"
    )


def token_rejected_message(api_url: str, conn_id: str, status: int) -> str:
    return (
        f"OpenMetadata at {api_url} rejected the token ({status}). Fix: put a valid "
        f"ingestion-bot JWT (OpenMetadata: Settings > Bots > ingestion-bot) into the Password "
        f"field of the Airflow connection {conn_id!r}"
    )
