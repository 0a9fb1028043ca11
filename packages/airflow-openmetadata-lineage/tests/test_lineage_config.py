"""Settings: OPENMETADATA_LINEAGE_<NAME>, then [openmetadata_lineage], then the old datakit names
(deprecated, still read), then the defaults of LineageConfig; bad values never fail a task."""

from __future__ import annotations

import logging
import warnings

import pytest

from airflow_openmetadata_lineage import LineageConfig, settings_table
from airflow_openmetadata_lineage import config as config_module


@pytest.fixture(autouse=True)
def fresh_deprecation_log(monkeypatch):
    monkeypatch.setattr(config_module, "_deprecation_logged", set())


def test_defaults_in_one_place():
    config = LineageConfig.load()
    assert (config.enabled, config.timeout_seconds) == (True, 1.0)  # the suite sets 1 s
    assert LineageConfig() == LineageConfig(enabled=True, timeout_seconds=3.0, pipeline_service="datakit_airflow",
                                            openmetadata_conn_id="openmetadata_default", asset_services={},
                                            asset_connections=(), airflow_base_url=None)


def test_every_setting_is_in_the_table_with_its_default_and_meaning():
    rows = {name: (default, meaning) for name, default, meaning in settings_table()}
    assert set(rows) == {f"OPENMETADATA_LINEAGE_{f.upper()}" for f in LineageConfig.__dataclass_fields__}
    assert rows["OPENMETADATA_LINEAGE_ENABLED"][0] == "true"
    assert rows["OPENMETADATA_LINEAGE_TIMEOUT_SECONDS"][0] == "3.0"
    assert rows["OPENMETADATA_LINEAGE_ASSET_SERVICES"][0] == "{}"
    assert all(meaning for _, meaning in rows.values())


def test_environment_then_airflow_config_then_old_names_then_default(monkeypatch):
    monkeypatch.delenv("OPENMETADATA_LINEAGE_TIMEOUT_SECONDS")
    assert LineageConfig.load().timeout_seconds == 3.0
    monkeypatch.setenv("AIRFLOW__DATAKIT_LINEAGE__TIMEOUT_SECONDS", "5")
    with pytest.warns(DeprecationWarning, match=r"\[datakit_lineage\] timeout_seconds is deprecated; use "
                                                r"\[openmetadata_lineage\] timeout_seconds"):
        assert LineageConfig.load().timeout_seconds == 5.0
    monkeypatch.setenv("DATAKIT_LINEAGE_TIMEOUT_SECONDS", "6")
    with pytest.warns(DeprecationWarning, match="DATAKIT_LINEAGE_TIMEOUT_SECONDS is deprecated; use "
                                                "OPENMETADATA_LINEAGE_TIMEOUT_SECONDS"):
        assert LineageConfig.load().timeout_seconds == 6.0
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__TIMEOUT_SECONDS", "7")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new names win: no deprecation at all
        assert LineageConfig.load().timeout_seconds == 7.0
        monkeypatch.setenv("OPENMETADATA_LINEAGE_TIMEOUT_SECONDS", "8")
        assert LineageConfig.load().timeout_seconds == 8.0


@pytest.fixture
def airflow_cfg():
    """Sections as airflow.cfg would have them (set in Airflow's loaded config, removed after)."""
    from airflow.configuration import conf

    added = []

    def set_option(section: str, key: str, value: str) -> None:
        if not conf.has_section(section):
            conf.add_section(section)
            added.append(section)
        conf.set(section, key, value)

    yield set_option
    for section in added:
        conf.remove_section(section)


def test_airflow_cfg_sections_new_over_old(monkeypatch, airflow_cfg):
    monkeypatch.delenv("OPENMETADATA_LINEAGE_TIMEOUT_SECONDS")
    airflow_cfg("datakit_lineage", "pipeline_service", "from_old_cfg")
    with pytest.warns(DeprecationWarning, match=r"\[datakit_lineage\] pipeline_service is deprecated"):
        assert LineageConfig.load().pipeline_service == "from_old_cfg"
    airflow_cfg("openmetadata_lineage", "pipeline_service", "from_cfg")
    airflow_cfg("openmetadata_lineage", "timeout_seconds", "4.5")
    config = LineageConfig.load()
    assert (config.pipeline_service, config.timeout_seconds) == ("from_cfg", 4.5)
    # The environment form of the section wins over the file, as in Airflow.
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__PIPELINE_SERVICE", "from_env_section")
    assert LineageConfig.load().pipeline_service == "from_env_section"


def test_an_old_name_logs_one_line_naming_the_new_one(monkeypatch, caplog):
    monkeypatch.setenv("DATAKIT_LINEAGE_ENABLED", "false")
    with caplog.at_level(logging.WARNING, logger="airflow_openmetadata_lineage"), \
            pytest.warns(DeprecationWarning):
        assert LineageConfig.load().enabled is False
        assert LineageConfig.load().enabled is False
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["openmetadata lineage: DATAKIT_LINEAGE_ENABLED is deprecated and still read; "
                     "rename it to OPENMETADATA_LINEAGE_ENABLED"]


def test_parsing_of_each_kind(monkeypatch):
    monkeypatch.setenv("OPENMETADATA_LINEAGE_ENABLED", "off")
    monkeypatch.setenv("OPENMETADATA_LINEAGE_ASSET_SERVICES", '{"DB.Example:5432/dw": "warehouse"}')
    monkeypatch.setenv("OPENMETADATA_LINEAGE_ASSET_CONNECTIONS", " pg_main, ,mssql_corp ")
    monkeypatch.setenv("OPENMETADATA_LINEAGE_PIPELINE_SERVICE", "team_airflow")
    monkeypatch.setenv("OPENMETADATA_LINEAGE_AIRFLOW_BASE_URL", "https://airflow.example/")
    config = LineageConfig.load()
    assert config.enabled is False
    assert config.asset_services == {"db.example:5432/dw": "warehouse"}
    assert config.asset_connections == ("pg_main", "mssql_corp")
    assert config.pipeline_service == "team_airflow"
    assert config.airflow_base_url == "https://airflow.example"


def test_airflow_base_url_defaults_to_the_api_base_url(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.internal:8080/")
    assert LineageConfig.load().airflow_base_url == "http://airflow.internal:8080"


@pytest.mark.parametrize("name, raw", [("TIMEOUT_SECONDS", "abc"), ("TIMEOUT_SECONDS", "0"),
                                       ("ENABLED", "maybe"), ("ASSET_SERVICES", "[1]"),
                                       ("ASSET_SERVICES", "{not json")])
def test_a_bad_value_is_one_warning_naming_it_and_the_default_applies(monkeypatch, caplog, name, raw):
    monkeypatch.setenv(f"OPENMETADATA_LINEAGE_{name}", raw)
    with caplog.at_level(logging.WARNING, logger="airflow_openmetadata_lineage"):
        config = LineageConfig.load()
    field = name.lower()
    assert getattr(config, field) == getattr(LineageConfig(), field)
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"openmetadata lineage: setting OPENMETADATA_LINEAGE_{name}={raw!r} ignored")
    assert "Fix: set a valid value" in line
