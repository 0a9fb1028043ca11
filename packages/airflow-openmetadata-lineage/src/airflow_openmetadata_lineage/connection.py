"""The OpenMetadata server as an Airflow connection describes it (default ``openmetadata_default``).

Connection fields (conn_type ``http``):

=============  ==================================================================
``schema``     ``http`` or ``https`` (a ``host`` given as ``https://...`` also works)
``host``       server host name
``port``       server port (8585 for a default OpenMetadata)
``password``   the ingestion-bot JWT (OpenMetadata UI: Settings > Bots > ingestion-bot)
``extra``      ``verify_ssl`` (true/false, or a CA bundle path; default true),
               ``connect_timeout`` (seconds, default 5; the listener caps it at 1 s)
=============  ==================================================================

The API URL is ``{schema}://{host}:{port}/api``. Parsed here, with the standard library:
the listener never imports the OpenMetadata SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow_openmetadata_lineage.errors import LineageConfigError

_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class OpenMetadataEndpoint:
    """Where and how to reach OpenMetadata. ``jwt`` is a secret: it is left out of ``repr``."""

    conn_id: str
    api_url: str
    jwt: str = field(repr=False)
    verify_ssl: bool | str = True
    connect_timeout: float = 5.0

    @property
    def base_url(self) -> str:
        """The server root (the UI), without ``/api``."""
        return self.api_url[: -len("/api")]


def get_connection(conn_id: str) -> Any:
    """The Airflow connection ``conn_id``; a missing one is an error saying how to add it."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise LineageConfigError(
            conn_id, "the Airflow connection is not defined",
            f"add it (Admin > Connections, airflow_settings.yaml, or AIRFLOW_CONN_{conn_id.upper()} in JSON form)",
        ) from None


def endpoint_from_connection(conn: Any) -> OpenMetadataEndpoint:
    """Validate an Airflow connection and turn it into an ``OpenMetadataEndpoint``."""
    conn_id = getattr(conn, "conn_id", None) or "openmetadata_default"
    host = (conn.host or "").strip()
    scheme = (conn.schema or "").strip().lower()
    port = conn.port
    if "://" in host:
        parsed = urlsplit(host)
        if scheme and scheme != parsed.scheme.lower():
            raise LineageConfigError(f"{conn_id}.schema", f"schema {scheme!r} contradicts the host URL {host!r}",
                                     "put only the host name in Host and http or https in Schema")
        scheme, host, port = parsed.scheme.lower(), parsed.hostname or "", port or parsed.port
    if not host:
        raise LineageConfigError(f"{conn_id}.host", "the OpenMetadata host is empty",
                                 "set Host to the server name, e.g. openmetadata-server")
    if scheme not in _SCHEMES:
        raise LineageConfigError(f"{conn_id}.schema", f"the OpenMetadata URL has no scheme (Schema is {conn.schema!r})",
                                 "set Schema to http or https; the API URL is {schema}://{host}:{port}/api")
    if "/" in host or ":" in host:
        raise LineageConfigError(f"{conn_id}.host", f"{host!r} is not a host name",
                                 "put the port in Port and only the name in Host")
    jwt = (conn.password or "").strip()
    if not jwt:
        raise LineageConfigError(f"{conn_id}.password", "the ingestion-bot JWT is empty",
                                 "paste the token from OpenMetadata (Settings > Bots > ingestion-bot) into Password")
    extra = _extra(conn, conn_id)
    return OpenMetadataEndpoint(
        conn_id=conn_id,
        api_url=f"{scheme}://{host}:{int(port)}/api" if port else f"{scheme}://{host}/api",
        jwt=jwt,
        verify_ssl=_verify(extra.get("verify_ssl", True), f"{conn_id}.extra.verify_ssl"),
        connect_timeout=_seconds(extra.get("connect_timeout", 5.0), f"{conn_id}.extra.connect_timeout"),
    )


def get_endpoint(conn_id: str = "openmetadata_default") -> OpenMetadataEndpoint:
    """The OpenMetadata server of Airflow connection ``conn_id``."""
    return endpoint_from_connection(get_connection(conn_id))


def _extra(conn: Any, conn_id: str) -> dict[str, Any]:
    try:
        return dict(conn.extra_dejson or {})
    except Exception:
        raise LineageConfigError(f"{conn_id}.extra", "is not valid JSON", "fix the JSON") from None


def _verify(raw: Any, where: str) -> bool | str:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    if text.startswith("/"):
        return text  # a CA bundle
    if text.lower() in {"true", "1", "yes", "on"}:
        return True
    if text.lower() in {"false", "0", "no", "off"}:
        return False
    raise LineageConfigError(where, f"{raw!r} is neither a boolean nor a CA bundle path",
                             "use true, false or an absolute path to a CA bundle")


def _seconds(raw: Any, where: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise LineageConfigError(where, f"{raw!r} is not a number", "give a number of seconds") from None
    if not value >= 0.1:
        raise LineageConfigError(where, f"{value} is below 0.1", "give a number of seconds >= 0.1")
    return value
