"""Typed SDK workflow configs for the profiler and the PII auto-classification (imports the SDK).

Both reuse the source's own ``serviceConnection`` (built by ``include.sources``, the same one
the metadata ingestion uses), so a profile run reads the database exactly as the catalog
run does; only ``sourceConfig`` and the processor differ.
"""

from __future__ import annotations

from typing import Any

from include.profiling.options import ClassificationOptions, ProfilerOptions
from include.sources.common import filter_pattern


def sample_config(options: ProfilerOptions):
    """The SDK's ``ProfileSampleConfig`` for the datakit's sampling rule (``ProfilerOptions.sampling_rule``)."""
    from metadata.generated.schema.type.basic import ProfileSampleType
    from metadata.generated.schema.type.dynamicSamplingConfig import DynamicSamplingConfig, Threshold
    from metadata.generated.schema.type.samplingConfig import ProfileSampleConfig, SampleConfigType
    from metadata.generated.schema.type.staticSamplingConfig import StaticSamplingConfig

    if options.sample_percent is not None or options.sample_rows is not None:
        rows = options.sample_rows is not None
        return ProfileSampleConfig(
            sampleConfigType=SampleConfigType.STATIC,
            config=StaticSamplingConfig(
                profileSample=float(options.sample_rows if rows else options.sample_percent),
                profileSampleType=ProfileSampleType.ROWS if rows else ProfileSampleType.PERCENTAGE,
            ),
        )
    # Thresholds from the highest down, as the SDK evaluates them; below the lowest: 100 %.
    return ProfileSampleConfig(
        sampleConfigType=SampleConfigType.DYNAMIC,
        config=DynamicSamplingConfig(smartSampling=False, thresholds=[
            Threshold(rowCountThreshold=options.sample_from_rows * 100,
                      profileSample=options.sample_percent_large / 10),
            Threshold(rowCountThreshold=options.sample_from_rows, profileSample=options.sample_percent_large),
        ]),
    )


def profiler_source_config(options: ProfilerOptions):
    from metadata.generated.schema.metadataIngestion.databaseServiceProfilerPipeline import (
        DatabaseServiceProfilerPipeline,
    )

    options = options.validated()
    return DatabaseServiceProfilerPipeline(
        schemaFilterPattern=filter_pattern(options.schema_includes, options.schema_excludes),
        tableFilterPattern=filter_pattern(options.table_includes, options.table_excludes),
        includeViews=options.include_views,
        computeTableMetrics=options.compute_table_metrics,
        computeColumnMetrics=options.compute_column_metrics,
        profileSampleConfig=sample_config(options),
        threadCount=options.threads,
        timeoutSeconds=options.timeout_seconds,
    )


def classification_source_config(options: ClassificationOptions, profiler: ProfilerOptions):
    """Auto-classification over the same tables as the profiler (its filters)."""
    from metadata.generated.schema.metadataIngestion.databaseServiceAutoClassificationPipeline import (
        DatabaseServiceAutoClassificationPipeline,
    )

    options = options.validated()
    return DatabaseServiceAutoClassificationPipeline(
        schemaFilterPattern=filter_pattern(profiler.schema_includes, profiler.schema_excludes),
        tableFilterPattern=filter_pattern(profiler.table_includes, profiler.table_excludes),
        includeViews=options.include_views,
        storeSampleData=options.store_sample_data,
        enableAutoClassification=options.enabled,
        confidence=options.confidence,
        sampleDataCount=options.sample_rows,
    )


def derived_config(base, source_config: Any, *, processor: str | None = "orm-profiler",
                   statement_timeout_seconds: int | None = None):
    """``base`` (a source's metadata ``OpenMetadataWorkflowConfig``) with another ``sourceConfig``
    and the processor the profiler workflows expect."""
    from metadata.generated.schema.metadataIngestion.workflow import (
        OpenMetadataWorkflowConfig,
        Processor,
        Source,
        SourceConfig,
    )
    from metadata.generated.schema.entity.services.databaseService import DatabaseConnection
    from metadata.generated.schema.type.basic import ComponentConfig

    # The profiler workflows re-read the config from ``model_dump(exclude_unset=True)``: a
    # connection whose ``type`` was left at its default then re-validates as the first union
    # member that fits (a PostgresConnection came back as a RedshiftConnection). Mark it set.
    connection = base.source.serviceConnection.root.config
    update: dict[str, Any] = {"type": connection.type}
    if statement_timeout_seconds and base.source.type == "postgres":
        # The SDK's per-table timeout stops waiting but leaves the statement running (a table
        # locked by another session held the run until the lock went). PostgreSQL cuts it.
        from metadata.generated.schema.entity.services.connections.connectionBasicType import ConnectionArguments

        arguments = dict(connection.connectionArguments.root if connection.connectionArguments else {})
        arguments["options"] = f"-c statement_timeout={int(statement_timeout_seconds) * 1000}"
        update["connectionArguments"] = ConnectionArguments(arguments)
    connection = connection.model_copy(update=update)
    return OpenMetadataWorkflowConfig(
        source=Source(type=base.source.type, serviceName=base.source.serviceName,
                      serviceConnection=DatabaseConnection(config=connection),
                      sourceConfig=SourceConfig(config=source_config)),
        processor=Processor(type=processor, config=ComponentConfig({})) if processor else None,
        sink=base.sink,
        workflowConfig=base.workflowConfig,
    )


def build_profiler_config(base, options: ProfilerOptions):
    return derived_config(base, profiler_source_config(options), statement_timeout_seconds=options.timeout_seconds)


def build_classification_config(base, options: ClassificationOptions, profiler: ProfilerOptions):
    return derived_config(base, classification_source_config(options, profiler))
