"""The runner's own traffic stays far below the OpenMetadata request-size limit.

The SDK PUTs an ``IngestionStatus`` to ``/services/ingestionPipelines/{fqn}/pipelineStatus`` only
when the workflow config names an ``ingestionPipelineFQN``
(metadata/workflow/workflow_status_mixin.py ``set_ingestion_pipeline_status``); that payload
holds every step's failures (each stack trace up to 1,000,000 characters, the list itself
unbounded: metadata/ingestion/api/status.py), so it could outgrow the server's body limit (the
emulator answers 413 above 64 MiB). The datakit's configs name no ingestion pipeline, so its runs
send no pipeline status at all: pinned here, with a run that fails many records.
"""

from __future__ import annotations

import pytest


@pytest.mark.integration
def test_a_failing_run_sends_no_pipeline_status(pagila_db, om_connection):
    from include.catalog.tasks import run_ingestion
    from include.sources.common import MetadataOptions
    from include.workflow.runner import WorkflowFailed

    om_connection.faults.add("PUT", r"/v1/tables/bulk", status=500)
    with pytest.raises(WorkflowFailed) as err:
        run_ingestion("postgres", "pagila_postgres", MetadataOptions(schema_includes=("^public$",)),
                      label="catalog_pagila")
    assert sum(step["errors"] for step in err.value.summary["steps"]) > 0
    sent = [(method, path) for method, path, _ in om_connection.requests_log]
    assert sent and not [p for _, p in sent if "pipelineStatus" in p or "ingestionPipelines" in p]
    assert not [s for _, _, s in om_connection.requests_log if s == 413]
