"""The Airflow plugin that registers the lineage listener (Airflow 3's replacement for a lineage backend).

Loaded through the ``airflow.plugins`` entry point of this distribution, by every Airflow
component: registration only. ``listener`` imports nothing heavy (never the OpenMetadata SDK).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from airflow_openmetadata_lineage import listener


class OpenMetadataLineagePlugin(AirflowPlugin):
    name = "openmetadata_lineage"
    listeners = [listener]
