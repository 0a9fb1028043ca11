"""Registers the datakit's lineage listener (Airflow 3's replacement for a lineage backend).

Registration only: the listener module imports nothing heavy (no OpenMetadata SDK), since
plugins load in every Airflow component. Logic and settings: include/lineage/.
"""

from airflow.plugins_manager import AirflowPlugin

from include.lineage import listener


class DatakitLineagePlugin(AirflowPlugin):
    name = "datakit_openmetadata_lineage"
    listeners = [listener]
