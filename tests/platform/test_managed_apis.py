"""OpenMetadata's managed APIs (``/pluginsv2/api/v2/openmetadata/*``) need an authorised Airflow user.

``openmetadata-managed-apis`` 2.0.6 checks no permission on Airflow 3; the datakit's plugin
``plugins/datakit_managed_apis_guard.py`` (logic: ``include/managed_apis/guard.py``) puts Airflow's
own authentication and authorisation in front of the whole ``/pluginsv2`` mount.

Two layers of tests:

* the guard as an ASGI middleware in front of a recording app, with a fake auth manager (fast:
  every rule, how DAG ids are read, body replay, fail-closed);
* a real ``airflow standalone`` with the project's plugins and the stock plugin installed (shared
  with tests/ui through ``tests.support.standalone.project_stack``): no token and a wrong token
  get 401 and trigger nothing; a viewer gets 403 and triggers nothing; an authorised user's
  token (and OpenMetadata's Basic credentials) trigger a real run of a probe DAG.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path

import pytest

from include.managed_apis import guard, request_parts

API = "/pluginsv2/api/v2/openmetadata"


# ---------------------------------------------------------------------------- the guard, in process


class FakeUser:
    def __init__(self, name: str, role: str):
        self.name, self.role = name, role

    def get_name(self) -> str:
        return self.name


class FakeAuthManager:
    """Roles as the simple auth manager has them; ``secret_dag`` is admin-only."""

    TOKENS = {"admin-token": ("admin", "admin"), "user-token": ("user", "user"), "viewer-token": ("viewer", "viewer")}

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.dag_checks: list[tuple] = []

    async def get_user_from_token(self, token: str):
        import jwt

        if self.fail:
            raise RuntimeError("auth manager is down")
        if token == "expired-token":
            raise jwt.ExpiredSignatureError("Signature has expired")
        if token not in self.TOKENS:
            raise jwt.InvalidTokenError("Not enough segments")
        return FakeUser(*self.TOKENS[token])

    def is_authorized_dag(self, *, method, user, access_entity=None, details=None):
        dag_id = details.id if details else None
        self.dag_checks.append((method, access_entity.name if access_entity else None, dag_id, user.name))
        if user.role == "admin":
            return True
        if dag_id == "secret_dag":
            return False
        return method == "GET" or user.role == "user"

    def is_authorized_connection(self, *, method, user, details=None):
        return user.role == "admin"

    def is_authorized_view(self, *, access_view, user):
        return True


def make_app(auth_manager: FakeAuthManager, logins: list | None = None):
    """Starlette app: the guard in front of an echo endpoint and a fake ``/auth/token``."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    async def echo(request: Request):
        body = await request.body()
        return JSONResponse({"reached": True, "path": request.url.path, "body": body.decode("latin-1")})

    async def token(request: Request):
        body = await request.json()
        if logins is not None:
            logins.append(body["username"])
        if (body.get("username"), body.get("password")) == ("admin", "s3cret"):
            return JSONResponse({"access_token": "admin-token"}, status_code=201)
        return JSONResponse({"detail": "Invalid credentials"}, status_code=401)

    auth_app = Starlette(routes=[Route("/token", token, methods=["POST"])])
    return Starlette(
        routes=[Mount("/auth", app=auth_app), Route("/{path:path}", echo, methods=["GET", "POST", "DELETE", "PUT"])],
        middleware=[Middleware(guard.ManagedApisGuard, auth_manager=auth_manager)],
    )


def call(app, method: str, path: str, *, token: str | None = None, basic: tuple[str, str] | None = None,
         cookie: str | None = None, **kwargs):
    import httpx

    headers = dict(kwargs.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
    if cookie:
        headers["Cookie"] = f"_token={cookie}"

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://airflow") as client:
            return await client.request(method, path, headers=headers, **kwargs)

    return asyncio.run(go())


def stock_endpoints() -> set[str]:
    import openmetadata_managed_apis

    routes = Path(openmetadata_managed_apis.__file__).parent / "api" / "routes"
    found = set()
    for path in routes.glob("*.py"):
        found |= set(re.findall(r'@blueprint\.route\(\s*"/([^"]+)"', path.read_text()))
    return found


def test_every_stock_endpoint_has_a_rule_and_nothing_else():
    # A release that adds an endpoint fails here (and the guard denies it until it has a rule).
    assert stock_endpoints() == set(guard.RULES)


def test_dag_ids_are_cleaned_like_the_stock_routes():
    # Read from the stock source (importing openmetadata_managed_apis.api.utils costs ~20 s).
    import openmetadata_managed_apis

    source = (Path(openmetadata_managed_apis.__file__).parent / "api" / "utils.py").read_text()
    body = source[source.index("def clean_dag_id("):]
    stock_pattern, replacement = re.search(r're\.sub\("([^"]+)", "([^"]*)", raw_dag_id\)', body).groups()
    for raw in ("catalog_pagila", "a.b", "x/../y", "secret dag", "secret.dag", "ünï", "a-b_c", "1;drop"):
        assert request_parts.clean_dag_id(raw) == re.sub(stock_pattern, replacement, raw)


@pytest.mark.parametrize("path,guarded", [
    (f"{API}/trigger", True), ("/pluginsv2", True), ("/pluginsv2/restapiview/", True),
    ("//pluginsv2/api/v2/openmetadata/trigger", True), ("/PluginsV2/x", True),
    ("/api/v2/dags", False), ("/pluginsv2x", False), ("/ui/dags", False), ("/", False),
])
def test_what_is_guarded(path, guarded):
    assert request_parts.is_guarded(path) is guarded


def test_endpoint_names_and_canonical_paths():
    assert request_parts.endpoint_of(f"{API}/trigger") == "trigger"
    assert request_parts.endpoint_of(f"{API}/trigger/") == "trigger"
    assert request_parts.endpoint_of("/pluginsv2/API/V2/OpenMetadata/Trigger") == "trigger"
    assert request_parts.endpoint_of("/pluginsv2/restapiview/") is None
    for bad in (f"{API}//trigger", f"{API}/./trigger", f"/pluginsv2/x/..{API}/trigger", f"{API}/trig%67er"):
        assert not request_parts.is_canonical(bad)


def test_no_credentials_is_401_for_every_endpoint_and_nothing_reaches_the_app():
    app = make_app(FakeAuthManager())
    for endpoint in [*guard.RULES, "not-an-endpoint", ""]:
        for method in ("GET", "POST"):
            response = call(app, method, f"{API}/{endpoint}", json={"dag_id": "catalog_pagila"})
            assert response.status_code == 401, (method, endpoint, response.text)
            assert "reached" not in response.text
            assert "Bearer" in response.headers["www-authenticate"]
    assert call(app, "GET", "/pluginsv2/restapiview/").status_code == 401


def test_wrong_or_expired_token_and_unknown_schemes_are_401():
    app = make_app(FakeAuthManager())
    assert call(app, "POST", f"{API}/trigger", token="forged", json={"dag_id": "x"}).json()["detail"] == "invalid token"
    assert call(app, "GET", f"{API}/health", token="expired-token").json()["detail"] == "token expired"
    response = call(app, "GET", f"{API}/health", headers={"Authorization": "Digest abc"})
    assert response.status_code == 401


def test_viewer_reads_but_cannot_change_anything():
    fake = FakeAuthManager()
    app = make_app(fake)
    assert call(app, "GET", f"{API}/status?dag_id=catalog_pagila", token="viewer-token").json()["reached"]
    assert ("GET", "RUN", "catalog_pagila", "viewer") in fake.dag_checks
    for endpoint in ("trigger", "kill", "enable", "disable"):
        response = call(app, "POST", f"{API}/{endpoint}", token="viewer-token", json={"dag_id": "catalog_pagila"})
        assert response.status_code == 403, endpoint
    assert call(app, "DELETE", f"{API}/delete?dag_id=catalog_pagila", token="viewer-token").status_code == 403


def test_authorised_user_reaches_the_app_with_the_body_unchanged():
    fake = FakeAuthManager()
    app = make_app(fake)
    payload = json.dumps({"dag_id": "catalog_pagila", "conf": {"x": "é" * 5000}})
    response = call(app, "POST", f"{API}/trigger", token="user-token", content=payload,
                    headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json()["body"] == payload.encode().decode("latin-1")
    assert fake.dag_checks == [("POST", "RUN", "catalog_pagila", "user")]


def test_every_dag_the_request_names_is_authorised():
    app = make_app(FakeAuthManager())
    user = "user-token"
    # The stock route cleans ids: "secret.dag" acts on secret_dag.
    assert call(app, "POST", f"{API}/trigger", token=user, json={"dag_id": "secret.dag"}).status_code == 403
    # Duplicate JSON keys: Flask takes the last one.
    body = '{"dag_id": "catalog_pagila", "dag_id": "secret_dag"}'
    assert call(app, "POST", f"{API}/trigger", token=user, content=body,
                headers={"Content-Type": "application/json"}).status_code == 403
    # Query string and form body (the stock helper reads args, then form).
    assert call(app, "GET", f"{API}/status?dag_id=catalog_pagila&dag_id=secret_dag", token=user).status_code == 403
    assert call(app, "DELETE", f"{API}/delete", token=user, data={"dag_id": "secret_dag"}).status_code == 403
    # JSON sent with another content type is still read.
    assert call(app, "POST", f"{API}/enable", token=user, content='{"dag_id": "secret_dag"}',
                headers={"Content-Type": "text/plain"}).status_code == 403
    assert call(app, "POST", f"{API}/enable", token=user, json={"dag_id": "catalog_pagila"}).status_code == 200


def test_deploy_and_automations_need_connection_rights():
    app = make_app(FakeAuthManager())
    pipeline = {"name": "my.pipeline", "pipelineType": "metadata"}
    assert call(app, "POST", f"{API}/deploy", token="user-token", json=pipeline).status_code == 403
    assert call(app, "POST", f"{API}/run_automation", token="user-token", json={}).status_code == 403
    assert call(app, "POST", f"{API}/deploy", token="admin-token", json=pipeline).status_code == 200


def test_cookie_counts_for_reads_only():
    app = make_app(FakeAuthManager())
    assert call(app, "GET", f"{API}/health", cookie="viewer-token").status_code == 200
    # The stock routes are CSRF-exempt: a browser's cookie must never trigger anything.
    assert call(app, "POST", f"{API}/trigger", cookie="admin-token", json={"dag_id": "x"}).status_code == 401


def test_basic_credentials_are_checked_by_the_auth_manager_login_and_cached():
    logins: list[str] = []
    app = make_app(FakeAuthManager(), logins)
    for _ in range(2):
        assert call(app, "GET", f"{API}/health-auth", basic=("admin", "s3cret")).status_code == 200
    assert logins == ["admin"]  # the second request used the cached exchange
    assert call(app, "GET", f"{API}/health-auth", basic=("admin", "wrong")).status_code == 401
    assert call(app, "GET", f"{API}/health-auth", headers={"Authorization": "Basic !!!"}).status_code == 401


def test_odd_requests_are_refused():
    app = make_app(FakeAuthManager())
    assert call(app, "GET", f"{API}/nope", token="admin-token").status_code == 403  # unknown: deny by default
    assert call(app, "GET", f"{API}/..%2Fhealth", token="admin-token").status_code in (400, 403)
    files = {"file": ("a.json", b"{}", "application/json")}
    assert call(app, "POST", f"{API}/deploy", token="admin-token", files=files).status_code == 415
    big = b"x" * (guard.MAX_BODY_BYTES + 1)
    assert call(app, "POST", f"{API}/trigger", token="admin-token", content=big).status_code == 413


def test_guard_fails_closed():
    app = make_app(FakeAuthManager(fail=True))
    response = call(app, "POST", f"{API}/trigger", token="admin-token", json={"dag_id": "x"})
    assert response.status_code == 500 and "reached" not in response.text


def test_other_paths_pass_untouched():
    app = make_app(FakeAuthManager())
    response = call(app, "POST", "/api/v2/dags/x/dagRuns", content=b'{"a": 1}')
    assert response.json() == {"reached": True, "path": "/api/v2/dags/x/dagRuns", "body": '{"a": 1}'}


def test_plugin_registers_the_guard_as_root_middleware():
    import importlib.util

    from tests.support.airflow_run import REPO

    spec = importlib.util.spec_from_file_location("datakit_managed_apis_guard", REPO / "plugins" / "datakit_managed_apis_guard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (entry,) = module.DatakitManagedApisGuardPlugin.fastapi_root_middlewares
    assert entry["middleware"] is guard.ManagedApisGuard


# ---------------------------------------------------------------------------- a running Airflow


@pytest.fixture(scope="module")
def stack(request):
    from tests.support.standalone import project_stack

    try:  # pagila is for the UI test sharing this Airflow; these tests work without it
        pg = request.getfixturevalue("pg_cluster")
    except pytest.skip.Exception:
        pg = None
    return project_stack(pg)


@pytest.fixture(scope="module")
def airflow(stack):
    from tests.support.standalone import PROBE_DAG_ID

    stack.airflow.wait_for_dags([PROBE_DAG_ID], timeout=240)
    return stack.airflow


def probe_runs(airflow) -> list[str]:
    from tests.support.standalone import PROBE_DAG_ID

    return [r["dag_run_id"] for r in airflow.runs(PROBE_DAG_ID)]


def forged_token(airflow) -> str:
    """A well-formed JWT for user admin, signed with a key this Airflow does not have."""
    import jwt

    real = jwt.decode(airflow.token("admin"), options={"verify_signature": False})
    return jwt.encode(real, "not-the-secret-" * 5, algorithm="HS512")


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_running_airflow_refuses_unauthenticated_and_wrong_tokens(airflow):
    from tests.support.standalone import PROBE_DAG_ID

    before = probe_runs(airflow)
    trigger = {"dag_id": PROBE_DAG_ID}
    # No token at all: the hole this guard closes.
    for method, path, body in [("POST", f"{API}/trigger", trigger), ("GET", f"{API}/health", None),
                               ("GET", f"{API}/status?dag_id={PROBE_DAG_ID}", None),
                               ("POST", f"{API}/deploy", {"name": "x"}), ("DELETE", f"{API}/delete?dag_id=x", None),
                               ("GET", "/pluginsv2/restapiview/", None)]:
        response = airflow.request(method, path, user=None, json=body)
        assert response.status_code == 401, (method, path, response.status_code, response.text[:200])
        assert response.json()["guard"] == "datakit_managed_apis_guard"
    # Wrong tokens: garbage, and a real-looking JWT with a foreign signature.
    for token in ("not-a-jwt", forged_token(airflow)):
        response = airflow.request("POST", f"{API}/trigger", token=token, json=trigger)
        assert response.status_code == 401, response.text
    # Wrong password over Basic (what OpenMetadata's server sends).
    response = airflow.request("GET", f"{API}/health-auth", user=None, auth=("admin", "wrong-password"))
    assert response.status_code == 401
    # A viewer is authenticated but may not trigger.
    response = airflow.request("POST", f"{API}/trigger", user="viewer", json=trigger)
    assert response.status_code == 403, response.text
    assert probe_runs(airflow) == before, "a refused request created a DAG run"


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_running_airflow_serves_authorised_users(airflow):
    from tests.support.standalone import PROBE_DAG_ID

    before = set(probe_runs(airflow))
    # OpenMetadata's pipeline service client: Basic credentials of an Airflow user.
    response = airflow.request("GET", f"{API}/health-auth", user=None, auth=("admin", airflow.passwords()["admin"]))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "healthy"
    # A viewer reads statuses.
    assert airflow.request("GET", f"{API}/status?dag_id={PROBE_DAG_ID}", user="viewer").status_code == 200
    # A user's JWT (POST /auth/token) triggers: the stock route really creates a run.
    response = airflow.request("POST", f"{API}/trigger", user="user", json={"dag_id": PROBE_DAG_ID})
    assert response.status_code == 200, response.text
    new = set(probe_runs(airflow)) - before
    assert len(new) == 1, new
    # ... and a user may not deploy DAG code (that needs the right to create connections: op/admin).
    response = airflow.request("POST", f"{API}/deploy", user="user", json={"name": "x"})
    assert response.status_code == 403
