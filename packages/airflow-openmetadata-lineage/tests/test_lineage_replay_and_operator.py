"""``send_task_lineage`` (lineage on demand) and the explicit operator's SDK connection."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airflow_openmetadata_lineage import om_table, send_task_lineage
from airflow_openmetadata_lineage.client import OpenMetadataUnavailable
from airflow_openmetadata_lineage.connection import OpenMetadataEndpoint
from lineage_testing import SERVICE, closed_port, set_openmetadata_connection


def a_task(outlet_table: str = "orders"):
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    with DAG("replayed", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
        return EmptyOperator(task_id="load", inlets=[om_table(f"{SERVICE}.dw.public.raw_orders"), {"lost": 1}],
                             outlets=[om_table(f"{SERVICE}.dw.public.{outlet_table}")])


def test_send_task_lineage_sends_and_reports(openmetadata):
    report = send_task_lineage(a_task(), run_id="manual__x")
    assert report.edges == [(f"{SERVICE}.dw.public.raw_orders", f"{SERVICE}.dw.public.orders")]
    assert report.pipeline_fqn == "datakit_airflow.replayed"
    assert [u.split(":")[0] for u in report.unresolved] == ["replayed.load.inlets[1]"]
    assert len(openmetadata.store.lineage) == 1
    # No run status: it is not a run of the task.
    assert not [r for r in openmetadata.requests_log if r[1].endswith("/status") and r[0] == "PUT"]


def test_send_task_lineage_reports_a_missing_table(openmetadata):
    report = send_task_lineage(a_task("not_catalogued"))
    assert report.edges == [] and report.missing_tables == [f"{SERVICE}.dw.public.not_catalogued"]


def test_send_task_lineage_raises_when_openmetadata_is_down(monkeypatch):
    set_openmetadata_connection(monkeypatch, closed_port())
    with pytest.raises(OpenMetadataUnavailable, match="is not reachable"):
        send_task_lineage(a_task())


@pytest.mark.parametrize("verify, expected", [(True, "no-ssl"), (False, "ignore"), ("/etc/ca.pem", "validate")])
def test_the_explicit_operator_builds_the_sdk_connection(verify, expected):
    from airflow_openmetadata_lineage.operator import to_sdk_connection

    sdk = to_sdk_connection(OpenMetadataEndpoint(conn_id="om", api_url="https://om.example:8585/api", jwt="t",
                                                 verify_ssl=verify))
    assert sdk.hostPort == "https://om.example:8585/api"
    assert sdk.verifySSL.value == expected
    assert sdk.securityConfig.jwtToken.get_secret_value() == "t"
