"""Profiling/classification/query-log options, configs, the spaCy check and the catalog sensor."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from include.errors import ConfigError, PreflightError
from include.profiling.options import ClassificationOptions, ProfilerOptions, options_with_params
from include.querylog.options import QueryLogOptions
from include.querylog.options import options_with_params as query_log_params


def test_defaults_are_the_documented_ones(monkeypatch):
    for name in ("DATAKIT_PROFILER_TIMEOUT_SECONDS", "DATAKIT_PROFILER_THREADS", "DATAKIT_PII_CONFIDENCE"):
        monkeypatch.delenv(name, raising=False)
    profiler, classification = ProfilerOptions(), ClassificationOptions()
    assert (profiler.timeout_seconds, profiler.threads, profiler.include_views) == (600, 2, False)
    assert profiler.compute_table_metrics and profiler.compute_column_metrics
    assert (classification.confidence, classification.store_sample_data, classification.enabled) == (80.0, False, True)
    assert profiler.sampling_rule() == ("tables under 1,000,000 rows whole; from 1,000,000 rows a 10 % sample; "
                                        "from 100,000,000 rows 1 %")


def test_settings_come_from_the_environment_and_are_checked(monkeypatch):
    monkeypatch.setenv("DATAKIT_PROFILER_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("DATAKIT_PROFILER_THREADS", "4")
    assert (ProfilerOptions().timeout_seconds, ProfilerOptions().threads) == (30, 4)
    monkeypatch.setenv("DATAKIT_PROFILER_THREADS", "many")
    with pytest.raises(ConfigError, match="DATAKIT_PROFILER_THREADS: 'many' is not an integer"):
        ProfilerOptions()
    monkeypatch.setenv("DATAKIT_PII_CONFIDENCE", "120")
    with pytest.raises(ConfigError, match="DATAKIT_PII_CONFIDENCE: 120.0 is out of range"):
        ClassificationOptions()


def test_params_apply_and_fail_by_name():
    profiler, classification = options_with_params(
        ProfilerOptions(), ClassificationOptions(),
        {"table_filter": ["^payment$"], "sample_percent": 5, "classification": False, "store_sample_data": True})
    assert profiler.table_includes == ("^payment$",) and profiler.sample_percent == 5.0
    assert "5 % sample" in profiler.sampling_rule()
    assert classification.enabled is False and classification.store_sample_data is True
    with pytest.raises(ConfigError, match=r"params.table_filter: '\(' is not a valid regular expression"):
        options_with_params(ProfilerOptions(), ClassificationOptions(), {"table_filter": ["("]})
    with pytest.raises(ConfigError, match="both sample_percent and sample_rows are set"):
        options_with_params(ProfilerOptions(), ClassificationOptions(), {"sample_percent": 5, "sample_rows": 10})
    with pytest.raises(ConfigError, match="params.bogus: unknown option 'bogus'"):
        options_with_params(ProfilerOptions(), ClassificationOptions(), {}, {"bogus": 1})
    with pytest.raises(ConfigError, match="params.classification: 'yes' is not true or false"):
        options_with_params(ProfilerOptions(), ClassificationOptions(), {"classification": "yes"})


def test_query_log_options_and_filter():
    options = QueryLogOptions()
    condition = options.filter_condition("postgres")
    assert condition.startswith("query !~* ") and "pg_catalog" in condition  # the SDK prefixes "s."
    assert query_log_params(options, {"usage": False}).usage is False
    with pytest.raises(ConfigError, match="both lineage and usage are off"):
        query_log_params(options, {"usage": False, "lineage": False})
    with pytest.raises(ConfigError, match="params.days"):
        query_log_params(options, {"days": 0})


def test_sdk_configs_are_typed_and_carry_the_rule():
    from include.openmetadata.server import OpenMetadataServer
    from include.profiling.config import build_classification_config, build_profiler_config
    from include.querylog.config import build_lineage_config, build_usage_config
    from include.sources.postgres import PostgresSource, build_postgres_workflow

    server = OpenMetadataServer(conn_id="openmetadata_default", api_url="http://127.0.0.1:1/api", jwt="x")
    base = build_postgres_workflow(PostgresSource("pg", "db.example", 5432, "pagila", "u", "p"), server)
    profiler = build_profiler_config(base, ProfilerOptions(timeout_seconds=30))
    source = profiler.source.sourceConfig.config
    assert profiler.processor.type == "orm-profiler" and source.timeoutSeconds == 30 and source.includeViews is False
    thresholds = source.profileSampleConfig.config.thresholds
    assert [(t.rowCountThreshold, t.profileSample) for t in thresholds] == [(100_000_000, 1.0), (1_000_000, 10.0)]
    connection = profiler.source.serviceConnection.root.config
    assert connection.connectionArguments.root["options"] == "-c statement_timeout=30000"
    assert "type" in connection.model_fields_set  # survives the SDK's model_dump(exclude_unset=True)
    classify = build_classification_config(base, ClassificationOptions(), ProfilerOptions())
    assert classify.source.sourceConfig.config.storeSampleData is False
    assert classify.source.sourceConfig.config.confidence == 80
    lineage = build_lineage_config(base, "postgres", QueryLogOptions())
    assert lineage.source.type == "postgres-lineage"
    usage = build_usage_config(base, "postgres", QueryLogOptions(), "/tmp/stage")
    assert (usage.source.type, usage.processor.type, usage.stage.type, usage.bulkSink.type) == (
        "postgres-usage", "query-parser", "table-usage", "metadata-usage")


def test_missing_spacy_model_fails_fast_by_name():
    from include.profiling.spacy_model import check_spacy_model

    with pytest.raises(PreflightError) as missing:
        check_spacy_model("en_core_web_nonexistent_md")
    assert "spaCy model 'en_core_web_nonexistent_md', which is not installed" in str(missing.value)
    assert "SPACY_MODEL_URL" in str(missing.value) and "classification=false" in str(missing.value)


class FakeTI:
    def __init__(self, running: int, success: int):
        self.running, self.success, self.asked = running, success, []

    def get_dr_count(self, dag_id, logical_dates=None, states=None, **_):
        self.asked.append((dag_id, logical_dates, tuple(states or ())))
        return self.running if "running" in (states or ()) else self.success


def test_wait_for_catalog(monkeypatch):
    from include.profiling.tasks import wait_for_catalog

    monkeypatch.setenv("DATAKIT_SCHEDULE_NIGHTLY", "0 2 * * *")
    manual = SimpleNamespace(run_type="manual")
    assert wait_for_catalog("catalog_pagila", ti=FakeTI(1, 0), dag_run=manual) is False
    assert wait_for_catalog("catalog_pagila", ti=FakeTI(0, 0), dag_run=manual) is True
    scheduled = SimpleNamespace(run_type="scheduled", run_after=datetime(2026, 11, 30, 2, 30, tzinfo=timezone.utc))
    ti = FakeTI(0, 0)
    assert wait_for_catalog("catalog_pagila", ti=ti, dag_run=scheduled) is False
    assert ti.asked[-1][1] == [datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)]
    assert wait_for_catalog("catalog_pagila", ti=FakeTI(0, 1), dag_run=scheduled) is True


def test_failed_tables_are_named_on_the_first_line():
    from include.profiling.tasks import _name_failed_tables

    summary = {"failures": [
        {"step": "Profiler", "name": "svc.db.public.big",
         "error": "Unexpected exception processing entity svc.db.public.big:"},
        {"step": "Profiler", "name": "svc.db.public.secret",
         "error": "Unexpected exception processing entity svc.db.public.secret: (psycopg2.errors.InsufficientPrivilege) "
                  "permission denied for table secret [SQL: SELECT count(*) FROM public.secret]"},
        {"step": "Profiler", "name": "Unhandled", "error": "not sent: OpenMetadata failed earlier in this run"},
    ]}
    first = _name_failed_tables("the runner's message", summary, 600).splitlines()[0]
    assert first.startswith("2 table(s) not profiled, the others were: svc.db.public.big (cut after the 600 s "
                            "per-table timeout); svc.db.public.secret ((psycopg2.errors.InsufficientPrivilege) "
                            "permission denied for table secret)"), first
    assert "DATAKIT_PROFILER_TIMEOUT_SECONDS" in summary["failures"][0]["error"]
    assert _name_failed_tables("as is", {"failures": summary["failures"][2:]}, 600) == "as is"
