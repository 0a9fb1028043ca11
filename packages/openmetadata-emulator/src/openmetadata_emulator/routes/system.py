"""System routes (version, status, settings) and the test connection definitions."""

from __future__ import annotations

import uuid

from .. import sdk
from .base import SEG, route


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
