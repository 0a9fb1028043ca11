"""The ingestion-bot JWT of a fresh LOCAL OpenMetadata, fetched so nobody copies it by hand.

Local development convenience only. ``astro dev start`` runs this once the local
``openmetadata-server`` is healthy (the compose one-shot ``openmetadata-bot-token``): it logs in
as the default admin, reads the ingestion-bot's JWT and writes the Airflow connection
``openmetadata_default`` to a connections file that Airflow reads through its
``LocalFilesystemBackend`` secrets backend. A first ``astro dev start`` + trigger then works.

Guard rails (a production catalog's admin password and bot token must never be handled here):

* the API URL's host must be one of ``openmetadata-server``, ``localhost``, ``127.0.0.1``,
  ``::1`` (exact names: ``localhost.example.com`` or ``user@host`` tricks are refused);
* ``DATAKIT_LOCAL_BOT_TOKEN`` must be ``true`` (the compose service sets it; unset means no);
* no proxy (a proxy from the environment would see the admin password) and no redirect is
  followed (a redirect could send it elsewhere);
* the token is never logged, printed or put in an exception message; only its length and
  expiry are reported.

Calls (OpenMetadata 1.x/2.x REST API):

1. ``POST {api}/v1/users/login`` ``{"email": ..., "password": base64(password)}`` ->
   ``accessToken`` (the login API takes the password base64-encoded);
2. ``GET {api}/v1/bots/name/ingestion-bot`` -> ``botUser.id``;
3. ``GET {api}/v1/users/auth-mechanism/{botUserId}`` -> ``config.JWTToken``.

CLI::

    python -m include.openmetadata.bot_token --api-url http://openmetadata-server:8585/api \\
        --write-connections /datakit/secrets/openmetadata/connections.json --wait 300

Exit codes: 0 written (or skipped because ``DATAKIT_LOCAL_BOT_TOKEN`` is not true: the file
then holds no connection, so one set elsewhere is used), 1 the server did not give a token,
2 refused (not a local server) or bad arguments.

Standard library only: it runs in a plain python image, outside Airflow, without the SDK.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import quote, urlsplit

log = logging.getLogger("datakit.bot_token")

LOCAL_HOSTS = frozenset({"openmetadata-server", "localhost", "127.0.0.1", "::1"})
ENABLE_ENV = "DATAKIT_LOCAL_BOT_TOKEN"
DEFAULT_ADMIN_EMAIL = "admin@open-metadata.org"
DEFAULT_ADMIN_PASSWORD = "admin"  # OpenMetadata's built-in first-start password (local only)
BOT_NAME = "ingestion-bot"
DEFAULT_CONN_ID = "openmetadata_default"
_TRUE = {"1", "true", "yes", "on"}


class BotTokenError(Exception):
    """The server did not give a token (message says which step and how to fix it)."""


class RefusedError(BotTokenError):
    """Not allowed: the server is not local, or the local flag is not set."""


class DisabledError(RefusedError):
    """``DATAKIT_LOCAL_BOT_TOKEN`` is not true."""


@dataclass(frozen=True)
class BotToken:
    """The ingestion-bot JWT. ``jwt`` is a secret: it is left out of repr."""

    jwt: str = field(repr=False)
    bot_user_id: str
    expiry: str

    def describe(self) -> str:
        return f"ingestion-bot JWT ({len(self.jwt)} characters, expiry: {self.expiry})"


def local_flag_enabled(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get(ENABLE_ENV, "").strip().lower() in _TRUE


def check_local(api_url: str, env: Mapping[str, str] | None = None) -> str:
    """Refuse unless ``api_url`` names a local server and the local flag is on; return the URL."""
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https"):
        raise RefusedError(f"the API URL must be http(s)://<host>:<port>/api, got scheme {parts.scheme!r}")
    if parts.username is not None or parts.password is not None:
        raise RefusedError("the API URL must not carry credentials (user@host)")
    host = (parts.hostname or "").lower()
    if host not in LOCAL_HOSTS:
        raise RefusedError(
            f"refusing to fetch a bot token from {host or '<no host>'!r}: only a local stack's server "
            f"({', '.join(sorted(LOCAL_HOSTS))}) is allowed. For any other OpenMetadata, create the "
            f"connection openmetadata_default yourself (Settings > Bots > ingestion-bot)"
        )
    if not local_flag_enabled(env):
        raise DisabledError(
            f"{ENABLE_ENV} is not true: not fetching the ingestion-bot token (set {ENABLE_ENV}=true "
            f"for the local compose stack, or set openmetadata_default yourself)"
        )
    return api_url.rstrip("/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        raise BotTokenError(f"{req.get_method()} {req.full_url} answered a redirect ({code}); not following it")


def _opener() -> urllib.request.OpenerDirector:
    # No proxies from the environment, no redirects: the admin password goes to the local server only.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class _Client:
    api_url: str
    timeout: float = 10.0
    opener: urllib.request.OpenerDirector = field(default_factory=_opener)

    def call(self, method: str, path: str, *, body: Any = None, token: str | None = None) -> Any:
        url = f"{self.api_url}{path}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            # Error bodies are short server messages (never a token); keep a bounded excerpt.
            detail = exc.read(300).decode("utf-8", "replace").strip() if exc.fp else ""
            raise _HTTPStatus(exc.code, f"{method} {url} answered HTTP {exc.code}: {detail}") from None
        except urllib.error.URLError as exc:
            raise _Unreachable(f"{method} {url}: {exc.reason}") from None
        except OSError as exc:
            raise _Unreachable(f"{method} {url}: {exc}") from None
        try:
            return json.loads(payload or b"null")
        except ValueError:
            raise BotTokenError(f"{method} {url} did not answer JSON (is this OpenMetadata's API?)") from None


class _HTTPStatus(BotTokenError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class _Unreachable(BotTokenError):
    pass


def _retrying(step: Callable[[], Any], deadline: float, sleep: float, what: str) -> Any:
    """Run ``step``; retry while the server is unreachable or answers 5xx, until ``deadline``."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return step()
        except (_Unreachable, _HTTPStatus) as exc:
            transient = isinstance(exc, _Unreachable) or getattr(exc, "status", 0) >= 500
            if not transient or time.monotonic() + sleep > deadline:
                raise
            log.info("%s: not ready yet (%s); retrying in %.0f s", what, exc, sleep)
            time.sleep(sleep)


def fetch_bot_token(
    api_url: str,
    *,
    email: str = DEFAULT_ADMIN_EMAIL,
    password: str = DEFAULT_ADMIN_PASSWORD,
    env: Mapping[str, str] | None = None,
    wait: float = 0.0,
    timeout: float = 10.0,
    retry_sleep: float = 3.0,
) -> BotToken:
    """Log in as the admin of a LOCAL server and return the ingestion-bot's JWT."""
    api_url = check_local(api_url, env)
    client = _Client(api_url, timeout=timeout)
    deadline = time.monotonic() + max(0.0, wait)

    encoded = base64.b64encode(password.encode("utf-8")).decode("ascii")
    try:
        login = _retrying(
            lambda: client.call("POST", "/v1/users/login", body={"email": email, "password": encoded}),
            deadline, retry_sleep, "login",
        )
    except _HTTPStatus as exc:
        if exc.status in (400, 401, 403):
            raise BotTokenError(
                f"login as {email} failed (HTTP {exc.status}). If the admin password was changed, set "
                f"OPENMETADATA_ADMIN_PASSWORD (and OPENMETADATA_ADMIN_EMAIL) in .env; or set "
                f"openmetadata_default yourself"
            ) from None
        raise
    access = (login or {}).get("accessToken") if isinstance(login, dict) else None
    if not access:
        raise BotTokenError("POST /v1/users/login answered without accessToken")

    bot = client.call("GET", f"/v1/bots/name/{BOT_NAME}", token=access)
    bot_user_id = ((bot or {}).get("botUser") or {}).get("id") if isinstance(bot, dict) else None
    if not bot_user_id:
        raise BotTokenError(f"GET /v1/bots/name/{BOT_NAME} answered without botUser.id")

    mechanism = client.call("GET", f"/v1/users/auth-mechanism/{quote(str(bot_user_id), safe='')}", token=access)
    config = (mechanism or {}).get("config") if isinstance(mechanism, dict) else None
    jwt = (config or {}).get("JWTToken") if isinstance(config, dict) else None
    if not jwt or not isinstance(jwt, str):
        raise BotTokenError(
            f"the {BOT_NAME} has no JWT (auth-mechanism without config.JWTToken): generate one in "
            f"OpenMetadata (Settings > Bots > {BOT_NAME}), then run this again"
        )
    expiry = str((config or {}).get("JWTTokenExpiry") or "unknown")
    return BotToken(jwt=jwt, bot_user_id=str(bot_user_id), expiry=expiry)


def connection_entry(connection_url: str, jwt: str) -> dict[str, Any]:
    """``openmetadata_default`` in the form of Airflow's LocalFilesystemBackend JSON file."""
    parts = urlsplit(connection_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BotTokenError(f"--connection-url must be http(s)://<host>:<port>/api, got {connection_url!r}")
    entry: dict[str, Any] = {
        "conn_type": "http",
        "description": "ingestion-bot JWT of the local OpenMetadata, written by openmetadata-bot-token",
        "schema": parts.scheme,
        "host": parts.hostname,
        "password": jwt,
        "extra": {"verify_ssl": True, "connect_timeout": 5, "read_timeout": 60},
    }
    if parts.port:
        entry["port"] = parts.port
    return entry


def write_connections_file(path: Path, connections: Mapping[str, Any], mode: int = 0o644) -> None:
    """Write the JSON file atomically (temp file + rename), so Airflow never reads half of it.

    Mode 0644 by default: the file lives in a volume that only the token service (root) writes
    and the Airflow containers (non-root user) read.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(connections, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(
        prog="python -m include.openmetadata.bot_token",
        description="Fetch the ingestion-bot JWT from a LOCAL OpenMetadata and write Airflow's "
        "openmetadata_default connection (needs DATAKIT_LOCAL_BOT_TOKEN=true).",
    )
    parser.add_argument("--api-url", default="http://openmetadata-server:8585/api",
                        help="the local server's API URL (default %(default)s)")
    parser.add_argument("--write-connections", type=Path, required=True, metavar="FILE",
                        help="Airflow LocalFilesystemBackend connections file (JSON) to write")
    parser.add_argument("--conn-id", default=DEFAULT_CONN_ID, help="connection id (default %(default)s)")
    parser.add_argument("--connection-url", default=None,
                        help="API URL as Airflow reaches it, if not --api-url")
    parser.add_argument("--wait", type=float, default=0.0,
                        help="seconds to keep retrying while the server is not ready (default 0)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request")
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s bot-token %(levelname)s %(message)s")

    email = env.get("OPENMETADATA_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL
    password = env.get("OPENMETADATA_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
    try:
        check_local(args.api_url, env)
        if args.connection_url:
            check_local(args.connection_url, env)
        token = fetch_bot_token(args.api_url, email=email, password=password, env=env,
                                wait=args.wait, timeout=args.timeout)
        entry = connection_entry(args.connection_url or args.api_url, token.jwt)
        write_connections_file(args.write_connections, {args.conn_id: entry})
    except DisabledError as exc:
        # Deliberately off: leave no local connection behind, so one set elsewhere is used.
        write_connections_file(args.write_connections, {})
        log.info("skipped: %s; %s now holds no connection", exc, args.write_connections)
        return 0
    except RefusedError as exc:
        log.error("refused: %s", exc)
        return 2
    except BotTokenError as exc:
        log.error("%s", exc)
        return 1
    except OSError as exc:
        log.error("could not write %s: %s", args.write_connections, exc)
        return 1
    log.info("wrote connection %s (%s) to %s", args.conn_id, token.describe(), args.write_connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
