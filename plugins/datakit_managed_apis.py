"""Registers OpenMetadata's managed APIs lazily: imported only where served (the API server).

The package's own entry point is neutralised at install time (``make setup``, the Dockerfile),
because it imports the OpenMetadata SDK in every Airflow process, each task included.
Registration only; why and how: include/managed_apis/entry_point.py and lazy.py.
"""

from airflow.plugins_manager import AirflowPlugin

from include.managed_apis.lazy import APPBUILDER_VIEWS, FLASK_BLUEPRINTS


class DatakitManagedApisPlugin(AirflowPlugin):
    # Not the stock plugin's name: the Task SDK stops registering a batch of plugins at a
    # duplicate name, which would drop entry-point plugins loaded after it.
    name = "datakit_openmetadata_managed_apis"
    flask_blueprints = FLASK_BLUEPRINTS
    appbuilder_views = APPBUILDER_VIEWS
