"""airflow_metadata_db + options -> the SDK's OpenMetadataWorkflowConfig (Airflow pipeline connector), field by field."""

from __future__ import annotations

import json
import sqlite3
from types import SimpleNamespace

import pytest
from airflow.sdk.definitions.connection import Connection

from include.errors import ConfigError, PreflightError
from include.openmetadata.server import server_from_connection
from include.sources import airflow as af
from include.sources import airflow_db as af_db
from include.sources import airflow_tasks as af_tasks
from include.sources.common import options_with_params

SERVER = server_from_connection(
    Connection(conn_id="openmetadata_default", conn_type="http", schema="http", host="om", port=8585,
               password="jwt-secret")
)
ASTRO = {"conn_id": "airflow_metadata_db", "conn_type": "postgres", "host": "postgres", "port": 5432,
         "login": "postgres", "password": "pg-secret", "schema": "postgres"}


def conn(**kwargs):
    base = dict(ASTRO)
    base.update(kwargs)
    if isinstance(base.get("extra"), dict):
        base["extra"] = json.dumps(base["extra"])
    return Connection(**{k: v for k, v in base.items() if v is not None})


def sqlite_conn(path, **kwargs):
    fields = {"conn_type": "sqlite", "host": str(path), "port": None, "login": None, "password": None,
              "schema": None, "extra": {"number_of_status": 0}}
    return conn(**{**fields, **kwargs})


def build(options=None, *, base_url="http://airflow.example:8080", **conn_kwargs):
    return af.build_airflow_workflow(af.airflow_db_from_connection(conn(**conn_kwargs)), SERVER, options,
                                     base_url=base_url)


def airflow_of(config):
    return config.source.serviceConnection.root.config


@pytest.fixture(autouse=True)
def _no_lineage_env(monkeypatch):
    for name in ("OPENMETADATA_LINEAGE_PIPELINE_SERVICE", "AIRFLOW__OPENMETADATA_LINEAGE__PIPELINE_SERVICE",
                 "DATAKIT_LINEAGE_PIPELINE_SERVICE", "AIRFLOW__DATAKIT_LINEAGE__PIPELINE_SERVICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AIRFLOW__API__BASE_URL", raising=False)


# ---------------------------------------------------------------------------- the config


def test_astro_postgres_lands_where_the_sdk_expects_it():
    config = build()
    assert config.source.type == "airflow"
    assert config.source.serviceName == "datakit_airflow"  # the lineage listener's pipeline service
    airflow = airflow_of(config)
    assert type(airflow).__name__ == "AirflowConnection"
    assert str(airflow.hostPort) == "http://airflow.example:8080/"
    assert airflow.numberOfStatus == 10
    assert airflow.pipelineFilterPattern is None  # the SDK's DB source filters with sourceConfig's
    pg = airflow.connection
    assert type(pg).__name__ == "PostgresConnection"
    assert pg.hostPort == "postgres:5432"
    assert pg.username == "postgres"
    assert pg.authType.password.get_secret_value() == "pg-secret"
    assert pg.database == "postgres"
    assert pg.sslMode.value == "disable"
    assert config.sink.type == "metadata-rest"
    om = config.workflowConfig.openMetadataServerConfig
    assert om.hostPort == "http://om:8585/api"
    assert om.securityConfig.jwtToken.get_secret_value() == "jwt-secret"


def test_default_source_config_is_deliberate():
    sc = build().source.sourceConfig.config
    assert type(sc).__name__ == "PipelineServiceMetadataPipeline"
    assert (sc.includeLineage, sc.includeTags, sc.includeOwners) == (True, True, True)
    assert sc.markDeletedPipelines is True
    assert sc.includeUnDeployedPipelines is True  # paused DAGs are pipelines too (state Inactive)
    assert sc.overrideMetadata is False
    assert sc.pipelineFilterPattern is None  # every DAG


def test_the_config_survives_the_sdks_own_parsing():
    """The workflow re-validates the source (``WorkflowSource.model_validate``): the union must keep Postgres."""
    from metadata.generated.schema.metadataIngestion.workflow import OpenMetadataWorkflowConfig

    config = build()
    again = OpenMetadataWorkflowConfig.model_validate(config.model_dump())
    assert type(airflow_of(again).connection).__name__ == "PostgresConnection"
    assert type(again.source.sourceConfig.config).__name__ == "PipelineServiceMetadataPipeline"


def test_extras_land_in_the_source_config():
    extra = {"number_of_status": "3", "pipeline_filter": ["^catalog_"], "pipeline_exclude": "_test$",
             "include_owners": "false", "include_tags": False, "sslmode": "require"}
    config = build(extra=extra)
    assert airflow_of(config).numberOfStatus == 3
    assert airflow_of(config).connection.sslMode.value == "require"
    sc = config.source.sourceConfig.config
    assert sc.pipelineFilterPattern.includes == ["^catalog_"]
    assert sc.pipelineFilterPattern.excludes == ["_test$"]
    assert (sc.includeOwners, sc.includeTags) == (False, False)


def test_every_option_lands_where_the_sdk_expects_it():
    options = af.PipelineOptions(number_of_status=0, pipeline_includes=("^a",), pipeline_excludes=("^b",),
                                 include_tags=False, include_owners=False, include_lineage=False,
                                 mark_deleted_pipelines=False, include_paused=False, override_metadata=True)
    config = build(options)
    assert airflow_of(config).numberOfStatus == 0
    sc = config.source.sourceConfig.config
    assert (sc.pipelineFilterPattern.includes, sc.pipelineFilterPattern.excludes) == (["^a"], ["^b"])
    assert (sc.includeTags, sc.includeOwners, sc.includeLineage) == (False, False, False)
    assert (sc.markDeletedPipelines, sc.includeUnDeployedPipelines, sc.overrideMetadata) == (False, False, True)


def test_service_name_follows_the_lineage_listener(monkeypatch):
    monkeypatch.setenv("OPENMETADATA_LINEAGE_PIPELINE_SERVICE", "airflow_prod")
    assert build().source.serviceName == "airflow_prod"
    config = af.build_airflow_workflow(af.airflow_db_from_connection(conn()), SERVER, service_name="other")
    assert config.source.serviceName == "other"


def test_host_port_is_the_airflow_ui(monkeypatch):
    source = af.airflow_db_from_connection(conn())
    assert str(airflow_of(af.build_airflow_workflow(source, SERVER)).hostPort) == "http://localhost:8080/"
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.corp.example/")
    assert af.airflow_base_url() == "https://airflow.corp.example"
    assert str(airflow_of(af.build_airflow_workflow(source, SERVER)).hostPort) == "https://airflow.corp.example/"


def test_bad_base_url_names_the_setting():
    with pytest.raises(ConfigError, match=r"^\[api\] base_url: 'localhost:8080' is not an http\(s\) URL"):
        build(base_url="localhost:8080")


def test_mysql():
    config = build(conn_type="mysql", host="mysql", port=None, schema="airflow", login="af")
    my = airflow_of(config).connection
    assert type(my).__name__ == "MysqlConnection"
    assert (my.hostPort, my.username, my.databaseSchema) == ("mysql:3306", "af", "airflow")
    assert my.authType.password.get_secret_value() == "pg-secret"


@pytest.mark.parametrize("form", ["host", "schema"])
def test_sqlite_file(tmp_path, form):
    from metadata.ingestion.source.database.sqlite.connection import SQLiteConnection

    path = tmp_path / "airflow.db"
    kwargs = {"host": str(path)} if form == "host" else {"host": None, "schema": str(path)}  # JSON / URI form
    source = af.airflow_db_from_connection(sqlite_conn(path, **kwargs))
    assert (source.backend, source.path, source.where) == ("sqlite", str(path), f"SQLite file {path}")
    lite = airflow_of(af.build_airflow_workflow(source, SERVER, base_url="http://x:1")).connection
    assert type(lite).__name__ == "SQLiteConnection"
    assert SQLiteConnection.get_connection_url(lite) == f"sqlite+pysqlite:///{path}"  # four slashes: absolute
    assert source.options.number_of_status == 0


def test_postgres_uri_form_is_accepted():
    source = af.airflow_db_from_connection(
        Connection(conn_id="airflow_metadata_db", uri="postgresql://postgres:postgres@postgres:5432/postgres"))
    assert (source.backend, source.host, source.port, source.database) == ("postgres", "postgres", 5432, "postgres")
    assert "postgres@" not in repr(source) and "pg-secret" not in repr(source)


# ---------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"conn_type": "http"}, "airflow_metadata_db.conn_type", "'http' is not a database type"),
        ({"host": ""}, "airflow_metadata_db.host", "the metadata database host is empty"),
        ({"host": "postgres:5432"}, "airflow_metadata_db.host", "'postgres:5432' is not a host name"),
        ({"schema": ""}, "airflow_metadata_db.schema", "the database name is empty"),
        ({"login": ""}, "airflow_metadata_db.login", "the user name is empty"),
        ({"extra": {"sslmode": "on"}}, "airflow_metadata_db.extra.sslmode", "'on' is not an sslmode"),
        ({"conn_type": "mysql", "extra": {"sslmode": "require"}}, "airflow_metadata_db.extra.sslmode",
         "sslmode is a PostgreSQL setting"),
        ({"extra": {"number_of_status": 0.5}}, "airflow_metadata_db.extra.number_of_status",
         "0.5 is not a whole number"),
        ({"extra": {"number_of_status": "ten"}}, "airflow_metadata_db.extra.number_of_status",
         "'ten' is not a whole number"),
        ({"extra": {"number_of_status": 5000}}, "airflow_metadata_db.extra.number_of_status",
         "5000 is out of range"),
        ({"extra": {"pipeline_filter": ["("]}}, "airflow_metadata_db.extra.pipeline_filter",
         "'(' is not a valid regular expression"),
        ({"extra": {"pipeline_exclude": {"a": 1}}}, "airflow_metadata_db.extra.pipeline_exclude",
         "is not a list of regular expressions"),
        ({"extra": {"include_owners": "maybe"}}, "airflow_metadata_db.extra.include_owners",
         "'maybe' is not a boolean"),
        ({"extra": {"schema_filter": ["x"]}}, "airflow_metadata_db.extra.schema_filter", "unknown extra"),
    ],
)
def test_invalid_connection_names_the_field(changes, field, message):
    with pytest.raises(ConfigError) as info:
        af.airflow_db_from_connection(conn(**changes))
    assert info.value.field == field
    assert message in info.value.problem
    assert info.value.fix


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"host": None}, "airflow_metadata_db.host", "the SQLite file path is empty"),
        ({"host": "airflow.db"}, "airflow_metadata_db.host", "'airflow.db' is not an absolute file path"),
        ({"host": ":memory:"}, "airflow_metadata_db.host", "':memory:' is not an absolute file path"),
        ({"host": "/a.db", "schema": "/b.db"}, "airflow_metadata_db.host", "both Host"),
        ({"extra": {"number_of_status": 0, "sslmode": "require"}}, "airflow_metadata_db.extra.sslmode",
         "sslmode means nothing for SQLite"),
    ],
)
def test_invalid_sqlite_connection_names_the_field(kwargs, field, message):
    with pytest.raises(ConfigError) as info:
        af.airflow_db_from_connection(sqlite_conn("/x/airflow.db", **kwargs))
    assert info.value.field == field
    assert message in info.value.problem


def test_sqlite_with_run_statuses_is_refused_with_the_reason():
    """SDK 2.0.6 reads dag_run.logical_date untyped: text on SQLite, every DAG with runs fails."""
    with pytest.raises(ConfigError) as info:
        af.airflow_db_from_connection(sqlite_conn("/x/airflow.db", extra=None))  # default: 10 statuses
    assert info.value.field == "airflow_metadata_db.extra.number_of_status"
    assert "cannot read run statuses from a SQLite metadata DB" in info.value.problem
    assert '{"number_of_status": 0}' in info.value.fix


# ---------------------------------------------------------------------------- params and trigger conf


def test_empty_params_and_conf_pass_the_generic_param_check():
    options = af.PipelineOptions(number_of_status=3)
    assert options_with_params(options, {}, {}) == options
    assert options_with_params(options, None, None) == options


def test_trigger_conf_is_refused_by_name():
    af_tasks.reject_trigger_conf(SimpleNamespace(conf={}, dag_id="catalog_airflow"))
    af_tasks.reject_trigger_conf(None)
    with pytest.raises(ConfigError) as info:
        af_tasks.reject_trigger_conf(SimpleNamespace(conf={"schema_filter": ["^public$"]}, dag_id="catalog_airflow"))
    assert info.value.field == "params.schema_filter"
    assert "catalog_airflow takes no trigger configuration" in info.value.problem
    assert "number_of_status" in info.value.fix


def test_registered_as_a_source_kind():
    from include.catalog.tasks import source_kind

    kind = source_kind("airflow")
    source = kind.from_connection(conn(extra={"number_of_status": 4}))
    assert kind.default_options(source).number_of_status == 4
    assert kind.build(source, SERVER, kind.default_options(source), service_name=None).source.type == "airflow"


# ---------------------------------------------------------------------------- preflight


def make_sqlite(path, tables=("dag", "serialized_dag"), dags=2):
    with sqlite3.connect(path) as db:
        for table in tables:
            db.execute(f"create table {table} (dag_id text)")
        if "dag" in tables:
            db.executemany("insert into dag values (?)", [(f"d{i}",) for i in range(dags)])
    return path


def test_sqlite_preflight_ok(tmp_path):
    source = af.airflow_db_from_connection(sqlite_conn(make_sqlite(tmp_path / "airflow.db")))
    assert af_db.check_metadata_db(source) == {"where": source.where, "backend": "sqlite", "dags": 2}


def test_sqlite_preflight_missing_file(tmp_path):
    source = af.airflow_db_from_connection(sqlite_conn(tmp_path / "nope.db"))
    with pytest.raises(PreflightError, match=r"airflow_metadata_db: the SQLite file .*nope.db does not exist"):
        af_db.check_metadata_db(source)
    assert not (tmp_path / "nope.db").exists()  # read-only: the check never creates it


def test_sqlite_preflight_not_an_airflow_db(tmp_path):
    source = af.airflow_db_from_connection(sqlite_conn(make_sqlite(tmp_path / "other.db", tables=("dag",))))
    with pytest.raises(PreflightError, match="is not an Airflow metadata database \\(no table serialized_dag\\)"):
        af_db.check_metadata_db(source)
    (tmp_path / "garbage.db").write_text("not sqlite at all, " * 100)
    source = af.airflow_db_from_connection(sqlite_conn(tmp_path / "garbage.db"))
    with pytest.raises(PreflightError, match="cannot read the SQLite file"):
        af_db.check_metadata_db(source)


@pytest.mark.integration
def test_postgres_preflight(pg_cluster):
    pg_cluster.drop_database("airflow_probe")
    pg_cluster.create_database("airflow_probe")
    source = af.airflow_db_from_connection(
        conn(host=pg_cluster.host, port=pg_cluster.port, password=pg_cluster.password, schema="airflow_probe"))
    with pytest.raises(PreflightError, match="database 'airflow_probe' .* has no table dag, serialized_dag: "
                                             "it is not Airflow's metadata database"):
        af_db.check_metadata_db(source)
    pg_cluster.psql("create table dag (dag_id text); create table serialized_dag (dag_id text); "
                    "insert into dag values ('a')", database="airflow_probe")
    found = af_db.check_metadata_db(source)
    assert (found["backend"], found["dags"]) == ("postgres", 1) and found["version"]
    with pytest.raises(PreflightError, match="password authentication failed"):
        af_db.check_metadata_db(af.airflow_db_from_connection(
            conn(host=pg_cluster.host, port=pg_cluster.port, password="wrong", schema="airflow_probe")))
    pg_cluster.drop_database("airflow_probe")


# ---------------------------------------------------------------------------- the DAG


def test_catalog_airflow_dag_shape():
    from tests.support.airflow_run import load_dag

    dag = load_dag("catalog_airflow")
    assert dict(dag.params) == {}  # the database params mean nothing here
    assert dag.schedule == "0 2 * * *"
    assert dag.catchup is False and dag.max_active_runs == 1
    assert {"airflow", "pipelines", "datakit"} <= set(dag.tags)
    assert dag.task_dict["ingest_metadata"].upstream_task_ids == {"preflight"}
    assert dag.task_dict["preflight"].retries == 0
    assert dag.task_dict["ingest_metadata"].retries == 2
    assert dag.task_dict["preflight"].op_kwargs == {"conn_id": "airflow_metadata_db"}
    assert "airflow_metadata_db" in dag.doc_md and "postgres" in dag.doc_md


# ---------------------------------------------------------------------------- stale DAGs


def test_excluding_adds_exact_patterns():
    options = af.PipelineOptions(pipeline_excludes=("_test$",)).excluding(["old.dag", "gone"])
    assert options.pipeline_excludes == ("_test$", r"^old\.dag$", "^gone$")
    sc = options.validated().to_sdk()
    assert sc.pipelineFilterPattern.excludes == ["_test$", r"^old\.dag$", "^gone$"]
    assert af.PipelineOptions().excluding([]) == af.PipelineOptions()


def test_stale_dag_ids_from_sqlite(tmp_path, caplog):
    path = tmp_path / "airflow.db"
    with sqlite3.connect(path) as db:
        db.execute("create table dag (dag_id text, is_stale boolean)")
        db.executemany("insert into dag values (?, ?)", [("live", 0), ("gone_b", 1), ("gone_a", 1)])
    assert af_db.stale_dag_ids(af.airflow_db_from_connection(sqlite_conn(path))) == ["gone_a", "gone_b"]

    old = make_sqlite(tmp_path / "airflow2.db")  # no is_stale column (Airflow 2)
    assert af_db.stale_dag_ids(af.airflow_db_from_connection(sqlite_conn(old))) == []
    assert "could not list stale DAGs" in caplog.text and "deleted DAGs stay in the catalog" in caplog.text
