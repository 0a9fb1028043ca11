"""Security for the OpenMetadata managed APIs (``openmetadata-managed-apis``) on Airflow 3: see ``guard``."""
