"""Typed SDK configs of the query-log workflows: lineage (``<type>-lineage``, ``MetadataWorkflow``)
and usage (``<type>-usage``, ``UsageWorkflow``: query parser -> table-usage stage -> metadata-usage
bulk sink). Both reuse the source's own ``serviceConnection`` (imports the SDK)."""

from __future__ import annotations

from include.querylog.options import QueryLogOptions


def _connection(base):
    from metadata.generated.schema.entity.services.databaseService import DatabaseConnection

    # Mark ``type`` as set: the SDK re-reads configs through model_dump(exclude_unset=True)
    # (see include.profiling.config.derived_config).
    connection = base.source.serviceConnection.root.config
    return DatabaseConnection(config=connection.model_copy(update={"type": connection.type}))


def build_lineage_config(base, kind: str, options: QueryLogOptions):
    from metadata.generated.schema.metadataIngestion.databaseServiceQueryLineagePipeline import (
        DatabaseServiceQueryLineagePipeline,
    )
    from metadata.generated.schema.metadataIngestion.workflow import OpenMetadataWorkflowConfig, Source, SourceConfig

    source_config = DatabaseServiceQueryLineagePipeline(
        queryLogDuration=options.days,
        resultLimit=options.result_limit,
        parsingTimeoutLimit=options.parse_timeout,
        filterCondition=options.filter_condition(kind),
        processQueryLineage=True,
        # Views and stored procedures: the metadata ingestion already declares their lineage.
        processViewLineage=False,
        processStoredProcedureLineage=False,
    )
    return OpenMetadataWorkflowConfig(
        source=Source(type=f"{base.source.type}-lineage", serviceName=base.source.serviceName,
                      serviceConnection=_connection(base), sourceConfig=SourceConfig(config=source_config)),
        sink=base.sink,
        workflowConfig=base.workflowConfig,
    )


def build_usage_config(base, kind: str, options: QueryLogOptions, stage_dir: str):
    """``stage_dir``: a directory of this run where the SDK's stage writes and its bulk sink reads."""
    from metadata.generated.schema.metadataIngestion.databaseServiceQueryUsagePipeline import (
        DatabaseServiceQueryUsagePipeline,
    )
    from metadata.generated.schema.metadataIngestion.workflow import (
        BulkSink,
        OpenMetadataWorkflowConfig,
        Processor,
        Source,
        SourceConfig,
        Stage,
    )
    from metadata.generated.schema.type.basic import ComponentConfig

    source_config = DatabaseServiceQueryUsagePipeline(
        queryLogDuration=options.days,
        resultLimit=options.result_limit,
        filterCondition=options.filter_condition(kind),
        stageFileLocation=stage_dir,
    )
    return OpenMetadataWorkflowConfig(
        source=Source(type=f"{base.source.type}-usage", serviceName=base.source.serviceName,
                      serviceConnection=_connection(base), sourceConfig=SourceConfig(config=source_config)),
        processor=Processor(type="query-parser", config=ComponentConfig({})),
        stage=Stage(type="table-usage", config=ComponentConfig({"filename": stage_dir})),
        bulkSink=BulkSink(type="metadata-usage", config=ComponentConfig({"filename": stage_dir})),
        workflowConfig=base.workflowConfig,
    )
