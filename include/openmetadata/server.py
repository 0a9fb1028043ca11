"""The OpenMetadata server, as the ``openmetadata_default`` Airflow connection describes it.

Connection fields (conn_type ``http``):

=============  ==================================================================
``schema``     ``http`` or ``https`` (a ``host`` given as ``https://...`` also works)
``host``       server host name
``port``       server port (8585 for a default OpenMetadata)
``password``   the ingestion-bot JWT (OpenMetadata UI: Settings > Bots > ingestion-bot)
``extra``      ``verify_ssl`` (true/false, or a CA bundle path; default true),
               ``connect_timeout`` / ``read_timeout`` (seconds; default 5 / 60),
               ``retries`` / ``retry_wait`` (retries of a 502/503/504 answer and the
               wait between them; default 2 / 2 s)
=============  ==================================================================

The API URL is ``{schema}://{host}:{port}/api``. Nothing here imports the
OpenMetadata SDK at module level; ``to_sdk_connection`` imports it when called.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from include.connections import as_bool, as_number, extra_of, get_connection
from include.errors import ConfigError
from include.settings import get_settings

_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class OpenMetadataServer:
    """Where and how to reach OpenMetadata. ``jwt`` is a secret: it is left out of repr."""

    conn_id: str
    api_url: str
    jwt: str = field(repr=False)
    verify_ssl: bool | str = True
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    retries: int = 2
    retry_wait: float = 2.0

    @property
    def base_url(self) -> str:
        """The server root (the UI), without ``/api``."""
        return self.api_url[: -len("/api")]

    def client_arguments(self) -> dict[str, Any]:
        """Keyword arguments for the SDK's REST ``ClientConfig``: our limits, not its 300 s.

        ``ClientConfig`` types them as whole seconds; fractions round up (never to 0).
        """
        return {
            "timeout": (max(1, math.ceil(self.connect_timeout)), max(1, math.ceil(self.read_timeout))),
            "retry": self.retries,
            "retry_wait": math.ceil(self.retry_wait),
        }

    def to_sdk_connection(self):
        """The SDK's ``OpenMetadataConnection`` (imports the SDK: call inside tasks only)."""
        from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
            AuthProvider,
            OpenMetadataConnection,
        )
        from metadata.generated.schema.security.client.openMetadataJWTClientConfig import (
            OpenMetadataJWTClientConfig,
        )
        from metadata.generated.schema.security.ssl.verifySSLConfig import VerifySSL

        # The SDK's names: "no-ssl" leaves verification to requests (system CAs),
        # "ignore" turns it off, "validate" checks against the given CA bundle.
        kwargs: dict[str, Any] = {"verifySSL": VerifySSL.no_ssl}
        if self.verify_ssl is False:
            kwargs["verifySSL"] = VerifySSL.ignore
        elif isinstance(self.verify_ssl, str):
            from metadata.generated.schema.security.ssl.validateSSLClientConfig import (
                ValidateSslClientConfig,
            )

            kwargs["verifySSL"] = VerifySSL.validate
            kwargs["sslConfig"] = ValidateSslClientConfig(caCertificate=self.verify_ssl)
        return OpenMetadataConnection(
            hostPort=self.api_url,
            authProvider=AuthProvider.openmetadata,
            securityConfig=OpenMetadataJWTClientConfig(jwtToken=self.jwt),
            **kwargs,
        )


def server_from_connection(conn: Any) -> OpenMetadataServer:
    """Validate an Airflow Connection and turn it into an ``OpenMetadataServer``."""
    conn_id = conn.conn_id or "openmetadata_default"
    limits = get_settings().client
    host = (conn.host or "").strip()
    scheme = (conn.schema or "").strip().lower()

    if "://" in host:
        parsed = urlsplit(host)
        if scheme and scheme != parsed.scheme.lower():
            raise ConfigError(
                f"{conn_id}.schema",
                f"schema {scheme!r} contradicts the host URL {host!r}",
                "put only the host name in Host and http or https in Schema",
            )
        scheme = parsed.scheme.lower()
        host = parsed.hostname or ""
        port = conn.port or parsed.port
    else:
        port = conn.port
    if not host:
        raise ConfigError(
            f"{conn_id}.host",
            "the OpenMetadata host is empty",
            "set Host to the server name, e.g. openmetadata-server or 127.0.0.1",
        )
    if scheme not in _SCHEMES:
        raise ConfigError(
            f"{conn_id}.schema",
            f"the OpenMetadata URL has no scheme (Schema is {conn.schema!r})",
            "set Schema to http or https; the API URL is {schema}://{host}:{port}/api",
        )
    if "/" in host or ":" in host:
        raise ConfigError(
            f"{conn_id}.host",
            f"{host!r} is not a host name",
            "put the port in Port and nothing else than the name in Host",
        )
    api_url = f"{scheme}://{host}:{int(port)}/api" if port else f"{scheme}://{host}/api"

    jwt = (conn.password or "").strip()
    if not jwt:
        raise ConfigError(
            f"{conn_id}.password",
            "the ingestion-bot JWT is empty",
            "paste the token from OpenMetadata (Settings > Bots > ingestion-bot) into the "
            "connection's Password field",
        )

    extra = extra_of(conn)
    verify: bool | str = True
    if "verify_ssl" in extra:
        raw = extra["verify_ssl"]
        if isinstance(raw, str) and raw.strip().startswith("/"):
            verify = raw.strip()
        else:
            verify = as_bool(raw, f"{conn_id}.extra.verify_ssl")
    return OpenMetadataServer(
        conn_id=conn_id,
        api_url=api_url,
        jwt=jwt,
        verify_ssl=verify,
        connect_timeout=as_number(
            extra.get("connect_timeout", limits.connect_timeout), f"{conn_id}.extra.connect_timeout", minimum=0.1
        ),
        read_timeout=as_number(
            extra.get("read_timeout", limits.read_timeout), f"{conn_id}.extra.read_timeout", minimum=0.1
        ),
        retries=int(as_number(extra.get("retries", limits.retries), f"{conn_id}.extra.retries")),
        retry_wait=as_number(extra.get("retry_wait", limits.retry_wait), f"{conn_id}.extra.retry_wait"),
    )


def get_server(conn_id: str | None = None) -> OpenMetadataServer:
    """The server of Airflow connection ``conn_id`` (default ``openmetadata_default``)."""
    conn_id = conn_id or get_settings().conn_ids.openmetadata
    return server_from_connection(get_connection(conn_id))
