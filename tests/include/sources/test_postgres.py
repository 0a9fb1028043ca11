"""pagila_postgres + options -> the SDK's OpenMetadataWorkflowConfig, field by field."""

import json

import pytest
from airflow.sdk.definitions.connection import Connection

from include.errors import ConfigError
from include.openmetadata.server import server_from_connection
from include.sources.common import MetadataOptions, options_with_params
from include.sources.postgres import build_postgres_workflow, postgres_from_connection

SERVER = server_from_connection(
    Connection(conn_id="openmetadata_default", conn_type="http", schema="http", host="om", port=8585,
               password="jwt-secret")
)


def pg_conn(**kwargs):
    base = {"conn_id": "pagila_postgres", "conn_type": "postgres", "host": "db.internal", "port": 5433,
            "login": "reader", "password": "pg-secret", "schema": "pagila"}
    base.update(kwargs)
    return Connection(**base)


def build(options=None, **conn_kwargs):
    return build_postgres_workflow(postgres_from_connection(pg_conn(**conn_kwargs)), SERVER, options)


def test_connection_fields_land_in_the_sdk_model():
    config = build()
    source = config.source
    assert source.type == "postgres"
    assert source.serviceName == "pagila_postgres"
    pg = source.serviceConnection.root.config if hasattr(source.serviceConnection, "root") else source.serviceConnection.config
    assert pg.hostPort == "db.internal:5433"
    assert pg.username == "reader"
    assert pg.database == "pagila"
    assert pg.authType.password.get_secret_value() == "pg-secret"
    assert pg.ingestAllDatabases is False
    assert pg.sslMode.value == "disable"
    assert config.sink.type == "metadata-rest"
    om = config.workflowConfig.openMetadataServerConfig
    assert om.hostPort == "http://om:8585/api"
    assert om.securityConfig.jwtToken.get_secret_value() == "jwt-secret"


def test_default_source_config_is_deliberate():
    sc = build().source.sourceConfig.config
    assert type(sc).__name__ == "DatabaseServiceMetadataPipeline"
    assert (sc.includeTables, sc.includeViews, sc.includeStoredProcedures) == (True, True, True)
    assert (sc.markDeletedTables, sc.markDeletedStoredProcedures) == (True, True)
    assert (sc.includeTags, sc.includeOwners, sc.overrideMetadata) == (True, False, False)
    assert sc.schemaFilterPattern.includes is None
    assert sc.schemaFilterPattern.excludes == ["^information_schema$", "^pg_catalog$", "^pg_toast$"]
    assert sc.tableFilterPattern is None


def test_every_option_lands_where_the_sdk_expects_it():
    options = MetadataOptions(
        database_includes=("^pagila$",), schema_includes=("^public$",), schema_excludes=(),
        table_includes=("^film",), table_excludes=("_old$",), include_tables=False, include_views=False,
        include_stored_procedures=False, mark_deleted_tables=False, mark_deleted_stored_procedures=False,
        include_tags=False, include_owners=True, override_metadata=True, threads=4,
    )
    sc = build(options).source.sourceConfig.config
    assert sc.databaseFilterPattern.includes == ["^pagila$"]
    assert sc.schemaFilterPattern.includes == ["^public$"] and sc.schemaFilterPattern.excludes is None
    assert sc.tableFilterPattern.includes == ["^film"] and sc.tableFilterPattern.excludes == ["_old$"]
    assert (sc.includeTables, sc.includeViews, sc.includeStoredProcedures) == (False, False, False)
    assert (sc.markDeletedTables, sc.markDeletedStoredProcedures) == (False, False)
    assert (sc.includeTags, sc.includeOwners, sc.overrideMetadata, sc.threads) == (False, True, True, 4)


def test_extras_sslmode_and_all_databases():
    pg = build(extra=json.dumps({"sslmode": "verify-full", "ingest_all_databases": "true"})).source.serviceConnection
    pg = pg.root.config if hasattr(pg, "root") else pg.config
    assert pg.sslMode.value == "verify-full"
    assert pg.ingestAllDatabases is True


def test_config_round_trips_through_the_sdk_parser():
    """What we build is what the SDK's own parser accepts from JSON (the CLI's path)."""
    from metadata.generated.schema.metadataIngestion.workflow import OpenMetadataWorkflowConfig

    config = build(MetadataOptions(schema_includes=("^public$",)))
    dumped = json.loads(config.model_dump_json(exclude_none=True))
    # Secrets are masked in dumps; the re-parse only checks the shape.
    reparsed = OpenMetadataWorkflowConfig.model_validate(dumped)
    assert reparsed.source.sourceConfig.config.schemaFilterPattern.includes == ["^public$"]


def test_secrets_are_masked_in_dumps_and_repr():
    config = build()
    text = config.model_dump_json() + repr(config) + str(config)
    assert "pg-secret" not in text and "jwt-secret" not in text
    assert "pg-secret" not in repr(postgres_from_connection(pg_conn()))


@pytest.mark.parametrize(
    ("kwargs", "field", "phrase"),
    [
        ({"schema": ""}, "pagila_postgres.schema", "the database name is empty"),
        ({"schema": None}, "pagila_postgres.schema", "the database name is empty"),
        ({"host": None}, "pagila_postgres.host", "the PostgreSQL host is empty"),
        ({"login": None}, "pagila_postgres.login", "the user name is empty"),
        ({"extra": json.dumps({"sslmode": "sometimes"})}, "pagila_postgres.extra.sslmode", "is not an sslmode"),
    ],
)
def test_invalid_connection(kwargs, field, phrase):
    with pytest.raises(ConfigError) as err:
        postgres_from_connection(pg_conn(**kwargs))
    assert err.value.field == field
    assert phrase in str(err.value) and "Fix:" in str(err.value)


def test_bad_regex_in_options_names_the_field():
    with pytest.raises(ConfigError) as err:
        build(MetadataOptions(table_includes=("film(",)))
    assert err.value.field == "options.table_includes"
    assert "'film(' is not a valid regular expression" in str(err.value)


class TestParams:
    def test_params_override_defaults(self):
        opts = options_with_params(
            MetadataOptions(),
            {"schema_filter": ["^public$", " "], "table_filter": "^film$\n^actor$", "include_views": False,
             "mark_deleted_tables": None},
        )
        assert opts.schema_includes == ("^public$",)
        assert opts.table_includes == ("^film$", "^actor$")
        assert opts.include_views is False
        assert opts.mark_deleted_tables is True

    def test_empty_params_keep_defaults(self):
        assert options_with_params(MetadataOptions(), {"schema_filter": [], "include_views": None}) == (
            MetadataOptions().validated()
        )

    def test_bad_regex_param(self):
        with pytest.raises(ConfigError) as err:
            options_with_params(MetadataOptions(), {"schema_filter": ["[public"]})
        assert err.value.field == "params.schema_filter"
        assert "'[public' is not a valid regular expression" in str(err.value)

    def test_unknown_option_in_conf(self):
        with pytest.raises(ConfigError) as err:
            options_with_params(MetadataOptions(), {}, {"include_view": True})
        assert err.value.field == "params.include_view"
        assert "unknown option 'include_view'" in str(err.value)
        assert "include_views" in err.value.fix

    def test_non_boolean(self):
        with pytest.raises(ConfigError) as err:
            options_with_params(MetadataOptions(), {"include_views": "yes"})
        assert err.value.field == "params.include_views"
