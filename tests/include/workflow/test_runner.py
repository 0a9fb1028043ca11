"""The runner: our client limits reach the SDK; failures fail with the SDK's verdict and a table."""

from __future__ import annotations

import pytest

from include.workflow.runner import WorkflowFailed, client_limits, format_summary


def test_format_summary_is_a_readable_table():
    text = format_summary({
        "workflow": "catalog_pagila: pagila_postgres", "status": "success", "success_percent": 100.0,
        "duration_seconds": 2.5, "failures": [],
        "steps": [{"step": "Postgres", "records": 42, "updated": 0, "warnings": 1, "errors": 0, "filtered": 3}],
    })
    lines = text.splitlines()
    assert lines[0] == "catalog_pagila: pagila_postgres: success in 2.5 s (100.0 % of records succeeded)"
    assert lines[2].split(" | ")[:3] == ["step    ", "records", "updated"]
    assert lines[4].startswith("Postgres | 42")


def test_client_limits_reach_the_sdk_client(om_emulator):
    import metadata.workflow.base as base
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.generated.schema.security.client.openMetadataJWTClientConfig import OpenMetadataJWTClientConfig

    original = base.create_ometa_client
    config = OpenMetadataConnection(hostPort=om_emulator.url, authProvider="openmetadata",
                                    securityConfig=OpenMetadataJWTClientConfig(jwtToken="t"))
    from airflow.sdk.definitions.connection import Connection

    from include.openmetadata.server import server_from_connection

    server = server_from_connection(Connection(
        conn_id="openmetadata_default", conn_type="http", schema="http", host="om", port=1, password="t",
        extra='{"connect_timeout": 1.5, "read_timeout": 7, "retries": 1, "retry_wait": 0.5}'))
    with client_limits(server.client_arguments()):
        client = base.create_ometa_client(config)
    assert base.create_ometa_client is original
    assert client.client._timeout == (2, 7)
    assert (client.client._retry, client.client._retry_wait) == (1, 1)


@pytest.mark.integration
def test_sink_failures_fail_the_run_with_the_sdk_verdict(pagila_db, om_connection, monkeypatch):
    from include.catalog.tasks import run_ingestion
    from include.sources.common import MetadataOptions

    om_connection.faults.add("PUT", r"/v1/tables/bulk", status=500)
    with pytest.raises(WorkflowFailed) as err:
        run_ingestion("postgres", "pagila_postgres", MetadataOptions(schema_includes=("^public$",)),
                      label="catalog_pagila")
    message = str(err.value)
    assert message.startswith("catalog_pagila: pagila_postgres at 127.0.0.1:")
    assert "reported errors" in message  # the SDK's own verdict
    assert "| errors |" in message or "errors" in message.splitlines()[3]
    summary = err.value.summary
    assert summary["status"] == "failed"
    assert sum(step["errors"] for step in summary["steps"]) > 0
    assert summary["failures"], "the first failures are kept for the message"


def test_frozen_heap_keeps_older_objects_out_of_full_collections_and_unfreezes():
    import gc

    from include.workflow.runner import frozen_heap

    gc.unfreeze()  # a known start, whatever ran before in this process
    with frozen_heap():
        assert gc.get_freeze_count() > 1000  # the test process's heap: pytest, the SDK, ...
    assert gc.get_freeze_count() == 0


def test_frozen_heap_leaves_a_heap_frozen_by_someone_else_frozen():
    import gc

    from include.workflow.runner import frozen_heap

    gc.freeze()
    try:
        with frozen_heap():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_workflow_runs_in_a_frozen_heap(monkeypatch):
    import gc
    from types import SimpleNamespace

    from include.workflow import runner

    seen = []

    def fake_start(config, **kwargs):
        seen.append(gc.get_freeze_count())
        raise runner.DatakitError("stop here")

    monkeypatch.setattr(runner, "start_workflow", fake_start)
    gc.unfreeze()
    with pytest.raises(runner.DatakitError, match="stop here"):
        config = SimpleNamespace(workflowConfig=SimpleNamespace(
            openMetadataServerConfig=SimpleNamespace(hostPort="http://127.0.0.1:1/api")))
        runner.run_workflow(config, label="t", client_arguments={})
    assert seen and seen[0] > 0
    assert gc.get_freeze_count() == 0
