"""Puts authentication and authorisation in front of OpenMetadata's managed APIs (``/pluginsv2``).

``openmetadata-managed-apis`` 2.0.6 serves ``/pluginsv2/api/v2/openmetadata/*`` (deploy, trigger,
delete, ...) with no permission check on Airflow 3. This plugin registers a FastAPI root
middleware in the API server that requires an authenticated, authorised Airflow user (JWT from
``POST /auth/token``, or Basic credentials checked by the auth manager) for every request under
``/pluginsv2``. Registration only; design and permission table: include/managed_apis/guard.py.
"""

from airflow.plugins_manager import AirflowPlugin

from include.managed_apis.guard import ManagedApisGuard


class DatakitManagedApisGuardPlugin(AirflowPlugin):
    name = "datakit_managed_apis_guard"
    fastapi_root_middlewares = [
        {"name": "openmetadata_managed_apis_guard", "middleware": ManagedApisGuard, "args": [], "kwargs": {}},
    ]
