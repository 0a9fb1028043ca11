"""System routes (version, status, settings) and the test connection definitions."""

from __future__ import annotations

import base64
import binascii
import json
import uuid

from .. import sdk
from ..store import ApiError, parse
from .base import SEG, route

# The first-start credentials of a server with basic authentication (the admin principal's
# e-mail on the principal domain, password ``admin``); the login API takes it base64-encoded.
ADMIN_PASSWORD = "admin"
INVALID_LOGIN = "You have entered an invalid username or password."


@route("GET", r"/system/version")
def system_version(emu, req):
    return 200, {"version": sdk.server_version(), "revision": "openmetadata-emulator", "timestamp": 0}


@route("GET", r"/system/status")
def system_status(emu, req):
    ok = {"passed": True, "message": "openmetadata-emulator", "description": "in-memory"}
    return 200, {"database": ok, "searchInstance": ok, "pipelineServiceClient": ok, "jwks": ok, "migrations": ok}


@route("GET", rf"/system/settings/(?P<name>{SEG})")
def get_setting(emu, req):
    return 200, emu.store.get_setting(req.params["name"])


@route("PUT", r"/system/settings", mutating=True)
def put_setting(emu, req):
    return 200, emu.store.put_setting(req.json())


# ---------------------------------------------------------------------------- login and bot tokens


def unsigned_jwt(sub: str) -> str:
    """A JWT naming ``sub`` (not signed: the emulator reads the user from tokens without verifying)."""

    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'sub': sub, 'iss': 'openmetadata-emulator'})}.unsigned"


def _token_for(emu, user: str) -> str:
    # With a shared token configured, that token is the only one the emulator accepts.
    return emu.token if emu.token is not None else unsigned_jwt(user)


@route("POST", r"/users/login")
def login(emu, req):
    """``POST /v1/users/login`` (basic auth): ``{email, password: base64(password)}`` -> a JWT.

    Answered without the bearer token, as the server's login is. Only the built-in admin has a
    password here (``admin``)."""
    request = parse(sdk.model("auth.basicLoginRequest.LoginRequest"), req.json() or {}).model_dump(mode="json")
    try:
        password = base64.b64decode(request["password"], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "Invalid LoginRequest: password must be base64-encoded") from None
    users = [u for u in emu.store.entities("users") if str(u.get("email", "")).lower() == request["email"].lower()]
    if not users or not users[0].get("isAdmin") or password != ADMIN_PASSWORD:
        raise ApiError(401, INVALID_LOGIN)
    return 200, {
        "tokenType": "Bearer",
        "accessToken": _token_for(emu, users[0]["name"]),
        "refreshToken": str(uuid.uuid4()),
        "expiryDuration": 3600,
    }


@route("GET", rf"/users/auth-mechanism/(?P<id>{SEG})")
def auth_mechanism(emu, req):
    """The JWT of a bot user (``AuthenticationMechanism``); 400 for a user who is not a bot."""
    user = emu.store.get_entity("users", entity_id=req.params["id"])
    if not user.get("isBot"):
        raise ApiError(400, f"User {user['name']} is not a bot: only bots have an authentication mechanism here")
    return 200, {"authType": "JWT", "config": {"JWTToken": _token_for(emu, user["name"]), "JWTTokenExpiry": "Unlimited"}}


# ---------------------------------------------------------------------------- test connection definitions

_STEP_TEXT = {
    "CheckAccess": "Validate that we can properly reach the service and authenticate with the given credentials.",
    "GetDatabases": "List all the databases available to the user.",
    "GetSchemas": "List all the schemas available to the user.",
    "GetTables": "From a given schema, list the tables belonging to that schema.",
    "GetViews": "From a given schema, list the views belonging to that schema.",
    "GetTags": "Check if we can access the policy tags attached to tables.",
    "GetQueries": "Check if we can access the query log used by the usage & lineage workflows.",
    "PipelineDetailsAccess": "Check if we can list the pipelines and read their details.",
    "TaskDetailAccess": "Check if we can read the tasks of a pipeline.",
}

# (step name, mandatory) per service type, as the real server's definitions declare them.
TEST_CONNECTION_STEPS: dict[str, list[tuple[str, bool]]] = {
    "Postgres": [
        ("CheckAccess", True),
        ("GetDatabases", True),
        ("GetSchemas", True),
        ("GetTables", True),
        ("GetViews", False),
        ("GetTags", False),
        ("GetQueries", False),
    ],
    "Mssql": [
        ("CheckAccess", True),
        ("GetDatabases", True),
        ("GetSchemas", True),
        ("GetTables", True),
        ("GetViews", False),
        ("GetQueries", False),
    ],
    "Airflow": [("CheckAccess", True), ("PipelineDetailsAccess", True), ("TaskDetailAccess", True)],
}
GENERIC_STEPS = [("CheckAccess", True)]


def test_connection_definition(service_type: str) -> dict:
    steps = []
    for name, mandatory in TEST_CONNECTION_STEPS.get(service_type, GENERIC_STEPS):
        step = {"name": name, "description": _STEP_TEXT.get(name, name), "mandatory": mandatory}
        step["category"] = "ConnectionGate" if name == "CheckAccess" else "Capability"
        if name == "CheckAccess":
            step["shortCircuit"] = True
        steps.append(step)
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "openmetadata-emulator/testConnection/" + service_type)),
        "name": service_type,
        "fullyQualifiedName": service_type,
        "displayName": f"{service_type} Test Connection",
        "description": f"Test connection steps for {service_type} (openmetadata-emulator).",
        "steps": steps,
        "version": 0.1,
        "deleted": False,
    }


@route("GET", rf"/services/testConnectionDefinitions/name/(?P<fqn>{SEG})")
def get_test_connection_definition(emu, req):
    fqn = req.params["fqn"]
    suffix = ".testConnectionDefinition"
    service_type = fqn[: -len(suffix)] if fqn.endswith(suffix) else fqn
    return 200, test_connection_definition(service_type)
