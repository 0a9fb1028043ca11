"""What every database source shares: metadata options, manual-trigger params, the workflow.

``MetadataOptions`` holds the datakit's defaults for the SDK's ``DatabaseMetadata``
source config, each chosen on purpose (see the field comments). A source's builder
combines them with its own ``serviceConnection`` into the SDK's typed
``OpenMetadataWorkflowConfig`` through ``build_workflow_config``.

Validation happens here, before the SDK is imported or anything runs, so a bad
regex or an unknown param fails in a second with the field's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Mapping

from include.errors import ConfigError
from include.params import dag_params as params_of, regex_patterns, reject_unknown, require_bool

if TYPE_CHECKING:  # pragma: no cover
    from include.openmetadata.server import OpenMetadataServer


def filter_pattern(includes: tuple[str, ...], excludes: tuple[str, ...]):
    """The SDK's ``FilterPattern`` for ``includes``/``excludes``, or ``None`` for no filter (imports the SDK)."""
    from metadata.generated.schema.type.filterPattern import FilterPattern

    if not includes and not excludes:
        return None
    return FilterPattern(includes=list(includes) or None, excludes=list(excludes) or None)


@dataclass(frozen=True)
class MetadataOptions:
    """The datakit's choices for the SDK's ``DatabaseServiceMetadataPipeline``."""

    # Filters are regular expressions matched by the SDK against names.
    database_includes: tuple[str, ...] = ()
    database_excludes: tuple[str, ...] = ()
    schema_includes: tuple[str, ...] = ()
    # System schemas are not data: the catalog is for what people query.
    schema_excludes: tuple[str, ...] = ("^information_schema$", "^pg_catalog$", "^pg_toast$")
    table_includes: tuple[str, ...] = ()
    table_excludes: tuple[str, ...] = ()
    include_tables: bool = True
    include_views: bool = True
    include_stored_procedures: bool = True
    # A dropped table must disappear from the catalog (soft delete, restorable).
    mark_deleted_tables: bool = True
    mark_deleted_stored_procedures: bool = True
    # Source-side tags/policies are facts of the source: keep them.
    include_tags: bool = True
    # Database roles are not people or teams: ownership is curated in OpenMetadata.
    include_owners: bool = False
    # Never overwrite what data stewards edited in the OpenMetadata UI.
    override_metadata: bool = False
    # Filters match full FQNs (service.database.schema[.table]) instead of bare names:
    # how the asset refresh picks exactly the tables it was told about.
    use_fqn_for_filtering: bool = False
    threads: int = 1

    def validated(self, prefix: str = "options") -> "MetadataOptions":
        """A copy whose patterns are checked; errors name ``{prefix}.{field}``."""
        checked = {
            name: regex_patterns(getattr(self, name), f"{prefix}.{name}")
            for name in (
                "database_includes",
                "database_excludes",
                "schema_includes",
                "schema_excludes",
                "table_includes",
                "table_excludes",
            )
        }
        if not 1 <= int(self.threads) <= 32:
            raise ConfigError(f"{prefix}.threads", f"{self.threads} is out of range", "use 1 to 32")
        return replace(self, **checked)

    def to_sdk(self):
        """The SDK's ``DatabaseServiceMetadataPipeline`` (imports the SDK)."""
        from metadata.generated.schema.metadataIngestion.databaseServiceMetadataPipeline import (
            DatabaseServiceMetadataPipeline,
        )

        return DatabaseServiceMetadataPipeline(
            markDeletedTables=self.mark_deleted_tables,
            markDeletedStoredProcedures=self.mark_deleted_stored_procedures,
            includeTables=self.include_tables,
            includeViews=self.include_views,
            includeStoredProcedures=self.include_stored_procedures,
            includeTags=self.include_tags,
            includeOwners=self.include_owners,
            overrideMetadata=self.override_metadata,
            useFqnForFiltering=self.use_fqn_for_filtering,
            databaseFilterPattern=filter_pattern(self.database_includes, self.database_excludes),
            schemaFilterPattern=filter_pattern(self.schema_includes, self.schema_excludes),
            tableFilterPattern=filter_pattern(self.table_includes, self.table_excludes),
            threads=self.threads,
        )


# Manual-trigger params of every database catalog DAG: name -> (option field, JSON schema).
# Defaults of ``None`` mean "use the DAG's configured options".
PARAM_SPECS: dict[str, dict[str, Any]] = {
    "schema_filter": {
        "option": "schema_includes",
        "schema": {"type": ["null", "array"], "items": {"type": "string"}},
        "title": "Schema filter",
        "description": "Regular expressions of schemas to ingest, one per line (empty: all).",
    },
    "table_filter": {
        "option": "table_includes",
        "schema": {"type": ["null", "array"], "items": {"type": "string"}},
        "title": "Table filter",
        "description": "Regular expressions of tables to ingest, one per line (empty: all).",
    },
    "include_views": {
        "option": "include_views",
        "schema": {"type": ["null", "boolean"]},
        "title": "Include views",
        "description": "Ingest views and materialized views (empty: the DAG's default).",
    },
    "mark_deleted_tables": {
        "option": "mark_deleted_tables",
        "schema": {"type": ["null", "boolean"]},
        "title": "Mark deleted tables",
        "description": "Soft-delete catalog tables that no longer exist in the source.",
    },
}


def dag_params() -> dict[str, Any]:
    """``params`` for a database catalog DAG (Airflow validates types at trigger time)."""
    return params_of(PARAM_SPECS)


def options_with_params(
    base: MetadataOptions, params: Mapping[str, Any] | None, conf: Mapping[str, Any] | None = None
) -> MetadataOptions:
    """Apply manual-trigger params to ``base``; reject unknown keys and bad values by name."""
    reject_unknown(conf, sorted(PARAM_SPECS))
    changes: dict[str, Any] = {}
    for name, spec in PARAM_SPECS.items():
        value = (params or {}).get(name)
        if value is None or value == [] or value == "":
            continue
        field_name = f"params.{name}"
        if "boolean" in spec["schema"]["type"]:
            changes[spec["option"]] = require_bool(value, name)
        else:
            changes[spec["option"]] = regex_patterns(value, field_name)
    return replace(base, **changes).validated()


def build_workflow_config(
    *,
    source_type: str,
    service_name: str,
    service_connection: Any,
    source_config: Any,
    server: "OpenMetadataServer",
    logger_level: str = "INFO",
):
    """The SDK's ``OpenMetadataWorkflowConfig`` with sink ``metadata-rest``."""
    from metadata.generated.schema.metadataIngestion.workflow import (
        LogLevels,
        OpenMetadataWorkflowConfig,
        Sink,
        Source,
        SourceConfig,
        WorkflowConfig,
    )
    from metadata.generated.schema.type.basic import ComponentConfig

    return OpenMetadataWorkflowConfig(
        source=Source(
            type=source_type,
            serviceName=service_name,
            serviceConnection=service_connection,
            sourceConfig=SourceConfig(config=source_config),
        ),
        sink=Sink(type="metadata-rest", config=ComponentConfig({})),
        workflowConfig=WorkflowConfig(
            loggerLevel=LogLevels(logger_level),
            openMetadataServerConfig=server.to_sdk_connection(),
        ),
    )


@dataclass(frozen=True)
class SourceSpec:
    """One catalog source: which connection, which service name, which options."""

    conn_id: str
    service_name: str
    options: MetadataOptions = field(default_factory=MetadataOptions)
