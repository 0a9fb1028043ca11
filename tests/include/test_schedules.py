"""The schedule config: validation, FQN patterns -> SDK filters, run scope, the critical DAG's checks."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from include.catalog import schedules
from include.errors import ConfigError
from include.settings import get_settings
from include.sources.common import MetadataOptions


def plan_with(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value if isinstance(value, str) else json.dumps(value))
    return schedules.refresh_plan()


def test_defaults_are_one_typed_config():
    plan = schedules.refresh_plan()
    assert (plan.nightly, plan.critical, plan.timezone) == ("0 2 * * *", "0 */4 * * *", "UTC")
    assert schedules.health_cron() == "15 * * * *"
    assert plan.critical_subset == {"pagila": ("pagila_postgres.pagila.public.payment*",
                                               "pagila_postgres.pagila.public.rental")}
    assert [s.dag_id for s in plan.sources.values()] == ["catalog_pagila", "catalog_mssql", "catalog_airflow"]
    assert plan.source_of_dag("catalog_mssql").conn_id == "mssql_corp"
    assert plan.source_of_conn("airflow_metadata_db").key == "airflow"


def test_environment_overrides_every_field(monkeypatch):
    plan = plan_with(monkeypatch, DATAKIT_SCHEDULE_NIGHTLY="30 1 * * *", DATAKIT_SCHEDULE_CRITICAL="0 */2 * * *",
                     DATAKIT_SCHEDULE_HEALTH="@hourly", DATAKIT_SCHEDULE_TIMEZONE="Europe/Paris",
                     DATAKIT_CRITICAL_SUBSET={"mssql": ["mssql_corp.Sales.dbo.*"], "airflow": []})
    assert (plan.nightly, plan.critical, plan.timezone) == ("30 1 * * *", "0 */2 * * *", "Europe/Paris")
    assert schedules.health_cron() == "@hourly"
    assert plan.critical_subset == {"mssql": ("mssql_corp.Sales.dbo.*",), "airflow": ()}
    assert [s.key for s in plan.critical_sources()] == ["mssql", "airflow"]
    assert plan_with(monkeypatch, DATAKIT_CRITICAL_SUBSET="{}").critical_subset == {}


@pytest.mark.parametrize("env, value, message", [
    ("DATAKIT_SCHEDULE_CRITICAL", "every 4 hours", r"DATAKIT_SCHEDULE_CRITICAL: 'every 4 hours' is not a cron"),
    ("DATAKIT_SCHEDULE_NIGHTLY", "0 25 * * *", r"DATAKIT_SCHEDULE_NIGHTLY: '0 25 \* \* \*' is not a cron"),
    ("DATAKIT_SCHEDULE_TIMEZONE", "Mars/Olympus", r"'Mars/Olympus' is not a time zone"),
    ("DATAKIT_CRITICAL_SUBSET", {"oracle": []}, r"DATAKIT_CRITICAL_SUBSET.oracle: unknown source 'oracle'\. "
                                                r"Fix: use one of airflow, mssql, pagila"),
    ("DATAKIT_CRITICAL_SUBSET", ["pagila"], r"is not a JSON object"),
    ("DATAKIT_CRITICAL_SUBSET", {"pagila": "pagila_postgres.pagila"}, r"is not a list of FQN patterns"),
    ("DATAKIT_CRITICAL_SUBSET", {"pagila": ["pagila"]}, r"'pagila' is not service.database\[.schema\[.table\]\]"),
    ("DATAKIT_CRITICAL_SUBSET", {"pagila": ["other.pagila.public.x"]},
     r"starts with 'other', but the pagila source's OpenMetadata service is 'pagila_postgres'"),
    ("DATAKIT_CRITICAL_SUBSET", {"airflow": ["datakit_airflow.catalog_*"]}, r"the airflow source has no tables"),
])
def test_bad_config_names_the_setting_and_the_fix(monkeypatch, env, value, message):
    with pytest.raises(ConfigError, match=message) as err:
        plan_with(monkeypatch, **{env: value})
    assert "Fix:" in str(err.value)


def test_critical_subset_that_is_not_json_names_the_variable(monkeypatch):
    monkeypatch.setenv("DATAKIT_CRITICAL_SUBSET", "pagila")
    with pytest.raises(ValueError, match="DATAKIT_CRITICAL_SUBSET='pagila' is not valid JSON"):
        get_settings()


def test_fqn_patterns_become_sdk_fqn_filters():
    filters = schedules.fqn_filters(("svc.db.public.pay*", "svc.db.public.rental", "svc.other", "svc.db.sales"))
    assert filters.database_includes == (r"^svc\.db$", r"^svc\.other$")
    assert filters.schema_includes == (r"^svc\.db\.public$", r"^svc\.other\.[^.]+$", r"^svc\.db\.sales$")
    assert filters.table_includes == (r"^svc\.db\.public\.pay[^.]*$", r"^svc\.db\.public\.rental$",
                                      r"^svc\.other\.[^.]+\.[^.]+$", r"^svc\.db\.sales\.[^.]+$")

    def selected(fqn: str) -> bool:
        return any(re.match(p, fqn) for p in filters.table_includes)

    assert selected("svc.db.public.payment") and selected("svc.db.public.payment_p2022_01")
    assert selected("svc.db.public.rental") and not selected("svc.db.public.rental_2")
    assert not selected("svc.db.public.film") and not selected("svc.db.publicx.payment")
    assert selected("svc.other.any.table") and selected("svc.db.sales.orders")
    # Regex characters in names are literal; ? is one character.
    assert schedules.fqn_filters(("s.d.my$chema.t?",)).table_includes == (r"^s\.d\.my\$chema\.t[^.]$",)


def test_critical_options_narrow_and_never_soft_delete():
    options = schedules.critical_options(MetadataOptions(), ("pagila_postgres.pagila.public.rental",))
    assert options.use_fqn_for_filtering is True
    assert options.table_includes == (r"^pagila_postgres\.pagila\.public\.rental$",)
    assert options.mark_deleted_tables is False and options.mark_deleted_stored_procedures is False
    assert options.include_stored_procedures is False
    # System schemas stay excluded, now as FQN patterns.
    assert options.schema_excludes == (r"^[^.]+\.[^.]+\.information_schema$", r"^[^.]+\.[^.]+\.pg_catalog$",
                                       r"^[^.]+\.[^.]+\.pg_toast$")
    assert any(re.match(p, "pagila_postgres.pagila.pg_catalog") for p in options.schema_excludes)
    # [] = the whole source, still without soft deletes.
    whole = schedules.critical_options(MetadataOptions(), ())
    assert whole.use_fqn_for_filtering is False and whole.table_includes == ()
    assert whole.mark_deleted_tables is False and whole.include_stored_procedures is True


def run(conf=None, dag_id="catalog_pagila"):
    return SimpleNamespace(conf=conf or {}, dag_id=dag_id, run_id="r")


def test_run_scope_from_conf_or_param():
    assert schedules.run_scope(None, None) == "full"
    assert schedules.run_scope({"scope": "full"}, run()) == "full"
    assert schedules.run_scope({"scope": "full"}, run({"scope": "critical"})) == "critical"
    assert schedules.run_scope({"scope": "critical"}, run()) == "critical"
    with pytest.raises(ConfigError, match=r"params.scope: 'partial' is not a scope.*use full or critical"):
        schedules.run_scope({}, run({"scope": "partial"}))


def test_critical_scope_refuses_what_it_cannot_honour(monkeypatch):
    with pytest.raises(ConfigError, match=r"params.table_filter: filters and options do not combine with scope"):
        schedules.preflight_task("postgres", "pagila_postgres", {"scope": "critical", "table_filter": ["^film$"]},
                                 run({"scope": "critical"}))
    monkeypatch.setenv("DATAKIT_CRITICAL_SUBSET", "{}")
    with pytest.raises(ConfigError, match=r"params.scope: pagila_postgres has no critical subset.*"
                                          r"DATAKIT_CRITICAL_SUBSET"):
        schedules.ingest_task("postgres", "pagila_postgres", {"scope": "critical"}, run({"scope": "critical"}))


def test_without_scope_hides_it_from_the_catalog_tasks():
    stripped = schedules._without_scope(run({"scope": "critical", "include_views": False}))
    assert stripped.conf == {"include_views": False} and stripped.dag_id == "catalog_pagila"


class FakeTI:
    """``get_dag``/``get_dr_count`` as the Task SDK's RuntimeTaskInstance answers them."""

    def __init__(self, paused=False, running=0, queued=0):
        self.paused, self.counts, self.asked = paused, {"running": running, "queued": queued}, []

    def get_dag(self, dag_id):
        return SimpleNamespace(dag_id=dag_id, is_paused=self.paused)

    def get_dr_count(self, dag_id, states=None, **_):
        self.asked.append((dag_id, tuple(states)))
        return sum(self.counts[s] for s in states)


def test_should_trigger_skips_paused_and_already_queued_sources():
    assert schedules.should_trigger("catalog_pagila", FakeTI()) is True
    assert schedules.should_trigger("catalog_pagila", FakeTI(running=1)) is True  # it queues behind the nightly
    assert schedules.should_trigger("catalog_pagila", FakeTI(paused=True)) is False
    assert schedules.should_trigger("catalog_pagila", FakeTI(queued=1)) is False


def test_asset_refresh_waits_for_the_running_catalog_of_its_source(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PAGILA_POSTGRES", json.dumps(
        {"conn_type": "postgres", "host": "pagila-db", "port": 5432, "login": "u", "schema": "pagila"}))
    params = {"asset_uris": ["postgres://pagila-db:5432/pagila/analytics/film_revenue"]}
    assert schedules.catalog_dags_of_assets(None, params) == ["catalog_pagila"]
    busy = FakeTI(running=1)
    assert schedules.source_catalogs_idle(None, params, busy) is False
    assert busy.asked == [("catalog_pagila", ("running",))]
    assert schedules.source_catalogs_idle(None, params, FakeTI()) is True
    # Nothing to refresh, or Assets that map to no source: nothing to wait for.
    assert schedules.source_catalogs_idle(None, {}, busy) is True
    assert schedules.source_catalogs_idle(None, {"asset_uris": ["postgres://elsewhere:5432/db/s/t"]}, busy) is True
