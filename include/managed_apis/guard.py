"""Authentication and authorisation for OpenMetadata's managed APIs on Airflow 3.

**The hole.** ``openmetadata-managed-apis`` 2.0.6 registers the Airflow plugin
``openmetadata_managed_apis`` (entry point ``airflow.plugins``:
``openmetadata_managed_apis.plugin:RestApiPlugin``). On Airflow 3 its Flask blueprint is served by
the FAB provider's Flask app, mounted by the API server at ``/pluginsv2`` (a WSGI mount), so the
endpoints live under ``/pluginsv2/api/v2/openmetadata/``: ``health``, ``health-auth``, ``status``,
``last_dag_logs``, ``ip``, ``csrf-token``, ``trigger``, ``kill``, ``enable``, ``disable``,
``delete``, ``deploy`` (writes a DAG file and its config, with the source's credentials, into the
DAGs folder) and ``run_automation`` (runs a test-connection workflow in the API server). Their
permission decorator (``utils.security_compat.requires_access_decorator``) is a **no-op on
Airflow 3**, and nothing in front of the WSGI mount authenticates: anyone who can reach the API
server can deploy, trigger, pause or delete DAGs.

**The fix: one ASGI middleware in front of ``/pluginsv2``.** ``ManagedApisGuard`` is registered by
the plugin ``plugins/datakit_managed_apis_guard.py`` as a FastAPI *root middleware*
(``AirflowPlugin.fastapi_root_middlewares``), so the API server installs it around its whole app
and it sees every request before Starlette routes it to the mount. It acts only on paths under
``/pluginsv2`` and lets everything else through untouched. The stock plugin's code is unmodified;
only its entry point is neutralised at install time so that it loads in the API server alone
(``include/managed_apis/entry_point.py``; ``plugins/datakit_managed_apis.py`` registers the stock
blueprint lazily). A guard in front of the mount does not depend on the stock code's internals,
so a new release cannot silently re-open it.

For every request under ``/pluginsv2`` the guard:

1. rejects non-canonical paths (``//``, ``.``/``..`` segments, backslashes, double-encoded
   ``%``) with 400, so the path it authorises is the path Flask routes;
2. **authenticates** with Airflow's own auth manager:
   ``Authorization: Bearer <JWT>`` (a token from ``POST /auth/token``) is checked with
   ``auth_manager.get_user_from_token`` (signature, expiry, audience, revocation: what
   ``airflow.api_fastapi.core_api.security.get_user`` does for ``/api/v2``);
   ``Authorization: Basic`` (what OpenMetadata's ``AirflowRESTClient`` sends: its
   ``pipelineServiceClientConfiguration.parameters.username``/``password``) is exchanged, in
   process, at the auth manager's own ``POST /auth/token`` (so the simple and the FAB auth
   managers both check the password), then checked like a bearer token; successful exchanges
   are cached for 60 s under an HMAC of the credentials; the UI's ``_token`` cookie is accepted
   for GET/HEAD only (the stock endpoints are CSRF-exempt, so a cookie must never authorise a
   state change). Missing, malformed, wrong or expired credentials: **401**;
3. **authorises** with the auth manager's ``is_authorized_*`` APIs, the same calls Airflow's
   ``/api/v2`` routes make for the equivalent action. The DAG an action is about is read exactly
   as the stock routes read it (query string, form body, JSON body ``dag_id``, ``name`` for
   deploy), cleaned with the stock ``clean_dag_id`` rule; every candidate found must be
   authorised, none found means the DAG-wide permission. Not authorised: **403**.

Permissions (``auth_manager.is_authorized_...``), per endpoint:

- ``health``, ``health-auth``, ``ip``, ``csrf-token``: ``dag(GET)``, i.e. may read DAGs at all;
- ``status``: ``dag(GET, RUN, dag_id)``, as ``GET /api/v2/dags/{id}/dagRuns``;
- ``last_dag_logs``: ``dag(GET, TASK_LOGS, dag_id)``, as the task-log endpoint;
- ``trigger``: ``dag(POST, RUN, dag_id)``, as ``POST /api/v2/dags/{id}/dagRuns``;
- ``kill``: ``dag(PUT, RUN, dag_id)``, as ``PATCH /api/v2/dags/{id}/dagRuns/{run_id}``;
- ``enable``, ``disable``: ``dag(PUT, dag_id)``, as ``PATCH /api/v2/dags/{id}`` (pause);
- ``delete``: ``dag(DELETE, dag_id)``, as ``DELETE /api/v2/dags/{id}``;
- ``deploy``: ``connection(POST)`` and ``dag(PUT, dag_id)``: it stores a source connection's
  credentials and writes DAG code;
- ``run_automation``: ``connection(POST)``: it runs a connection test with given credentials;
- any other endpoint under the API prefix: **403** (unknown: denied by default, so a new release's
  new endpoint stays closed until it has a rule here);
- any other path under ``/pluginsv2`` (the stock plugin's admin page, static files, FAB views):
  ``view(PLUGINS)``.

With the simple auth manager that means: viewer reads, user triggers/pauses/kills/deletes,
op or admin deploys. The Airflow user OpenMetadata's server is configured with therefore needs
the **op** role (simple auth manager) or a FAB role with ``can_create`` on Connections.

Fail closed: an exception inside the guard answers 500 and the request never reaches Flask.
Request bodies under ``/pluginsv2`` are read (at most 10 MiB, else 413; multipart is refused with
415) and replayed unchanged to the app. Denials are logged at WARNING on
``datakit.managed_apis_guard`` (method, path, user, reason; never credentials); allowed
state-changing calls at INFO.

Import cost: standard library only at module level (plugins load in every Airflow component);
Airflow's API-server modules are imported on the first guarded request. How the request is read
(its path, the endpoint, every DAG id it names, headers, the cookie):
``include/managed_apis/request_parts.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from include.managed_apis.request_parts import Scope, dag_ids_of, endpoint_of, is_canonical, is_guarded, route_path
from include.managed_apis.request_parts import cookie as request_cookie
from include.managed_apis.request_parts import header as request_header

log = logging.getLogger("datakit.managed_apis_guard")

# REST_API_ENDPOINT of openmetadata_managed_apis.api.config (v2 on Airflow 3, v1 on Airflow 2).
MAX_BODY_BYTES = 10 * 1024 * 1024
BASIC_CACHE_SECONDS = 60.0
SAFE_METHODS = frozenset({"GET", "HEAD"})
COOKIE_NAME = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Rule:
    """What one managed-API endpoint requires."""

    dag_method: str | None = None  # is_authorized_dag(method=...)
    access_entity: str | None = None  # DagAccessEntity member name
    per_dag: bool = False  # authorise each DAG id the request names
    dag_id_keys: tuple[str, ...] = ("dag_id",)  # JSON keys naming the DAG
    connection_method: str | None = None  # is_authorized_connection(method=...)

    @property
    def mutating(self) -> bool:
        return self.connection_method is not None or self.dag_method not in (None, "GET")


RULES: dict[str, Rule] = {
    "health": Rule(dag_method="GET"),
    "health-auth": Rule(dag_method="GET"),
    "ip": Rule(dag_method="GET"),
    "csrf-token": Rule(dag_method="GET"),
    "status": Rule(dag_method="GET", access_entity="RUN", per_dag=True),
    "last_dag_logs": Rule(dag_method="GET", access_entity="TASK_LOGS", per_dag=True),
    "trigger": Rule(dag_method="POST", access_entity="RUN", per_dag=True),
    "kill": Rule(dag_method="PUT", access_entity="RUN", per_dag=True),
    "enable": Rule(dag_method="PUT", per_dag=True),
    "disable": Rule(dag_method="PUT", per_dag=True),
    "delete": Rule(dag_method="DELETE", per_dag=True),
    "deploy": Rule(dag_method="PUT", per_dag=True, dag_id_keys=("name",), connection_method="POST"),
    "run_automation": Rule(connection_method="POST"),
}


class Denied(Exception):
    def __init__(self, status: int, reason: str, user: str | None = None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.user = user


# ---------------------------------------------------------------------------- the middleware


class ManagedApisGuard:
    """Pure ASGI middleware: authenticate and authorise every request under ``/pluginsv2``."""

    def __init__(self, app, *, auth_manager=None):
        self.app = app
        self._auth_manager = auth_manager  # tests inject one; the API server's is used otherwise
        self._basic_cache: dict[str, tuple[float, Any]] = {}
        self._basic_key = secrets.token_bytes(32)
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") not in ("http", "websocket") or not is_guarded(route_path(scope)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        path = route_path(scope)
        method = scope.get("method", "GET").upper()
        try:
            body = await self._read_body(receive)
            await self._check(scope, path, method, body)
        except Denied as denied:
            log.warning("managed APIs guard: %s %s denied %d (%s)%s", method, path, denied.status, denied.reason,
                        f" for user {denied.user!r}" if denied.user else "")
            await _respond(send, denied.status, denied.reason)
            return
        except Exception:  # fail closed
            log.exception("managed APIs guard: %s %s failed; request refused", method, path)
            await _respond(send, 500, "authorisation check failed")
            return
        await self.app(scope, _replay(body, receive), send)

    # -- steps

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Denied(400, "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise Denied(413, f"request body larger than {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _check(self, scope: Scope, path: str, method: str, body: bytes) -> str:
        if not is_canonical(path):
            raise Denied(400, "non-canonical path")
        content_type = request_header(scope, b"content-type") or ""
        if content_type.lower().startswith("multipart/"):
            raise Denied(415, "multipart bodies are not accepted here")
        auth_manager = self._get_auth_manager(scope)
        user = await self._authenticate(scope, method, auth_manager)
        name = _username(user)
        endpoint = endpoint_of(path)
        if endpoint is None:  # the stock plugin's admin page, static files, FAB views
            from airflow.api_fastapi.auth.managers.models.resource_details import AccessView

            if not await _call(auth_manager.is_authorized_view, access_view=AccessView.PLUGINS, user=user):
                raise Denied(403, "not allowed to view plugins", name)
            return name
        rule = RULES.get(endpoint)
        if rule is None:
            raise Denied(403, f"unknown managed API endpoint {endpoint!r}", name)
        dag_ids = dag_ids_of(scope.get("query_string") or b"", content_type, body, rule.dag_id_keys)
        await self._authorise(auth_manager, user, rule, dag_ids, endpoint, name)
        if rule.mutating:
            log.info("managed APIs guard: %s %s allowed for user %r (dags %s)", method, path, name, dag_ids or "-")
        return name

    def _get_auth_manager(self, scope: Scope):
        if self._auth_manager is not None:
            return self._auth_manager
        app = scope.get("app")
        manager = getattr(getattr(app, "state", None), "auth_manager", None)
        if manager is None:
            from airflow.api_fastapi.app import get_auth_manager

            manager = get_auth_manager()
        return manager

    async def _authenticate(self, scope: Scope, method: str, auth_manager) -> Any:
        header = request_header(scope, b"authorization")
        if header:
            scheme, _, credentials = header.strip().partition(" ")
            credentials = credentials.strip()
            if scheme.lower() == "bearer" and credentials:
                return await self._user_from_token(auth_manager, credentials)
            if scheme.lower() == "basic" and credentials:
                return await self._user_from_basic(scope, auth_manager, credentials)
            raise Denied(401, "unsupported Authorization header (use Bearer <token> or Basic)")
        if method in SAFE_METHODS:
            cookie = request_cookie(scope, COOKIE_NAME)
            if cookie:
                return await self._user_from_token(auth_manager, cookie)
        raise Denied(401, "not authenticated")

    @staticmethod
    async def _user_from_token(auth_manager, token: str) -> Any:
        from jwt import ExpiredSignatureError, InvalidTokenError

        try:
            user = await _call(auth_manager.get_user_from_token, token)
        except ExpiredSignatureError:
            raise Denied(401, "token expired") from None
        except InvalidTokenError:
            raise Denied(401, "invalid token") from None
        if user is None:
            raise Denied(401, "invalid token")
        return user

    async def _user_from_basic(self, scope: Scope, auth_manager, credentials: str) -> Any:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise Denied(401, "malformed Basic credentials") from None
        username, sep, password = decoded.partition(":")
        if not sep or not username:
            raise Denied(401, "malformed Basic credentials")
        key = hmac.new(self._basic_key, decoded.encode(), hashlib.sha256).hexdigest()
        now = time.monotonic()
        with self._lock:
            cached = self._basic_cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        token = await _login(scope, username, password)
        if token is None:
            raise Denied(401, "wrong username or password", username)
        user = await self._user_from_token(auth_manager, token)
        with self._lock:
            if len(self._basic_cache) > 256:
                self._basic_cache = {k: v for k, v in self._basic_cache.items() if v[0] > now}
            self._basic_cache[key] = (now + BASIC_CACHE_SECONDS, user)
        return user

    @staticmethod
    async def _authorise(auth_manager, user, rule: Rule, dag_ids: list[str], endpoint: str, name: str) -> None:
        from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails

        if rule.connection_method and not await _call(
            auth_manager.is_authorized_connection, method=rule.connection_method, user=user
        ):
            raise Denied(403, f"{endpoint}: needs permission {rule.connection_method} on connections", name)
        if rule.dag_method is None:
            return
        entity = DagAccessEntity[rule.access_entity] if rule.access_entity else None
        targets: list[str | None] = list(dag_ids) if rule.per_dag and dag_ids else [None]
        for dag_id in targets:
            details = DagDetails(id=dag_id, team_name=await _team_of(dag_id)) if dag_id else None
            if not await _call(auth_manager.is_authorized_dag, method=rule.dag_method, access_entity=entity,
                               details=details, user=user):
                what = f"DAG {dag_id!r}" if dag_id else "DAGs"
                entity_name = f" {rule.access_entity}" if entity else ""
                raise Denied(403, f"{endpoint}: needs permission {rule.dag_method}{entity_name} on {what}", name)


# ---------------------------------------------------------------------------- helpers


async def _call(fn, *args, **kwargs):
    """Call an auth-manager method: awaited when async, in a worker thread when sync (it may query a DB)."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args, **kwargs)
    from starlette.concurrency import run_in_threadpool

    result = await run_in_threadpool(fn, *args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


async def _team_of(dag_id: str) -> str | None:
    """The DAG's team in multi-team mode (as ``requires_access_dag`` passes it), else None."""
    from airflow.configuration import conf

    if not conf.getboolean("core", "multi_team", fallback=False):
        return None
    from airflow.models.dag import DagModel
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(DagModel.get_team_name, dag_id)


async def _login(scope: Scope, username: str, password: str) -> str | None:
    """Exchange username/password for a JWT at the auth manager's own ``POST /token`` (in process)."""
    import httpx
    from starlette.routing import Mount

    app = scope.get("app")
    auth_app = next((r.app for r in getattr(app, "routes", ()) if isinstance(r, Mount) and r.path == "/auth"), None)
    if auth_app is None:
        raise Denied(401, "Basic authentication is not available (no auth manager login endpoint)")
    transport = httpx.ASGITransport(app=auth_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://auth.internal") as client:
        response = await client.post("/token", json={"username": username, "password": password})
    if response.status_code not in (200, 201):
        return None
    try:
        return response.json()["access_token"]
    except (ValueError, KeyError, TypeError):
        return None


def _username(user: Any) -> str:
    for attr in ("get_name", "get_id"):
        fn = getattr(user, attr, None)
        if callable(fn):
            try:
                return str(fn())
            except Exception:  # pragma: no cover - a user object without a name
                continue
    return str(user)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _respond(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail, "guard": "datakit_managed_apis_guard"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="airflow", Basic realm="airflow"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
