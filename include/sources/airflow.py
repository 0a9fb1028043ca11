"""Airflow pipeline source: this Airflow's metadata DB + options -> the SDK's ``OpenMetadataWorkflowConfig``.

The SDK's Airflow connector (source type ``airflow``) reads the DAGs of this Airflow from its
metadata database (tables ``serialized_dag``, ``dag``, ``dag_tag``, ``dag_run``,
``task_instance``) and upserts, under one OpenMetadata *pipeline service*:

- one pipeline per DAG (schedule, start date, file, state Active/Inactive = unpaused/
  paused, concurrency, links to the Airflow UI), with its tasks (type, downstream tasks,
  owner, doc_md). Not the DAG's description: SDK 2.0.6 reads the serialized key
  ``_description`` of Airflow 2, Airflow 3 writes ``description``;
- the last ``number_of_status`` runs of each DAG as pipeline statuses, per task;
- DAG tags as tags of the classification ``AirflowTags``; owners when the Airflow owner
  names an existing OpenMetadata user or team (the SDK never creates users);
- lineage table -> table through the pipeline, from task ``inlets``/``outlets`` given as
  ``airflow_openmetadata_lineage.om_table(...)`` (or the SDK's ``OMEntity``); both tables must
  already be in the catalog;
- pipelines of DAGs that are gone are soft-deleted. Airflow 3 keeps a deleted DAG's
  ``serialized_dag`` rows and only flags it ``dag.is_stale``, which the SDK (2.0.6) does not
  read; ``ingest_task`` therefore excludes stale DAGs explicitly (see ``stale_dag_ids``).

The metadata-DB reads of the preflight and of stale DAGs are in ``include.sources.airflow_db``,
the task callables and tasks of ``catalog_airflow`` in ``include.sources.airflow_tasks``.

The service name defaults to the lineage listener's ``pipeline_service``
(``airflow_openmetadata_lineage.LineageConfig``, default ``datakit_airflow``): the listener and this
connector describe the same DAGs, so they must write to the same pipelines.
The pipelines' links point at the Airflow UI, Airflow's ``[api] base_url``
(``AIRFLOW__API__BASE_URL``), or ``http://localhost:8080`` when it is not set.

Connection ``airflow_metadata_db`` (the SDK's ``Backend`` type would read ``DB_*``
environment variables on Airflow 3; an explicit connection is clearer and testable):

=============  ===============================================  ==========================
conn_type      fields                                            SDK connection
=============  ===============================================  ==========================
``postgres``   host, port (5432), login, password,               ``PostgresConnection``
               schema = database; extra ``sslmode``
``mysql``      host, port (3306), login, password,               ``MysqlConnection``
               schema = database
``sqlite``     host (or schema) = absolute path of the DB file   ``SQLiteConnection``
=============  ===============================================  ==========================

Extras (any conn_type): ``number_of_status`` (runs per DAG, default 10; 0 for none,
which SQLite requires: the SDK 2.0.6 reads ``dag_run.logical_date`` through an untyped
column that SQLite returns as text, and fails every DAG with runs),
``pipeline_filter`` / ``pipeline_exclude`` (JSON lists of regular expressions on DAG
ids; default: every DAG), ``include_owners`` (default true), ``include_tags``
(default true). Note that with a filter, pipelines of filtered-out DAGs in the service
are soft-deleted too (the service is this Airflow's, the listener's included).

Astro local (``astro dev start``): the metadata DB is
``postgresql://postgres:postgres@postgres:5432`` (database ``postgres``), i.e.
conn_type postgres, host ``postgres``, port 5432, login ``postgres``, password
``postgres``, schema ``postgres``. In ``airflow_settings.yaml``::

    - conn_id: airflow_metadata_db
      conn_type: postgres
      conn_host: postgres
      conn_port: 5432
      conn_login: postgres
      conn_password: postgres
      conn_schema: postgres

or ``AIRFLOW_CONN_AIRFLOW_METADATA_DB='{"conn_type": "postgres", "host": "postgres",
"port": 5432, "login": "postgres", "password": "postgres", "schema": "postgres"}'``.

Nothing here imports the SDK at module level (the DAG file imports this module).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from include.connections import as_bool, extra_of, extra_patterns, pg_sslmode, required
from include.errors import ConfigError
from include.params import regex_patterns
from include.sources.common import build_workflow_config


SOURCE_TYPE = "airflow"
DEFAULT_BASE_URL = "http://localhost:8080"
_DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}
_CONN_TYPES = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}
# openmetadata-ingestion 2.0.6, AirflowSource.get_pipeline_status: it selects
# ``column("logical_date")`` untyped, so SQLite returns text, and datetime_to_ts(text) fails
# for every DAG with a run (PostgreSQL and MySQL drivers return datetimes: no problem).
SQLITE_STATUS_BUG = (
    "the SDK (openmetadata-ingestion 2.0.6) cannot read run statuses from a SQLite metadata DB: "
    "it reads dag_run.logical_date as text there and fails every DAG that has runs with "
    "\"'str' object has no attribute 'timestamp'\""
)


@dataclass(frozen=True)
class PipelineOptions:
    """The datakit's choices for the SDK's ``PipelineServiceMetadataPipeline`` (+ ``numberOfStatus``)."""

    # Runs per DAG sent as pipeline statuses (newest first), each with its task states;
    # 0 sends none (required for a SQLite metadata DB, see ``SQLITE_STATUS_BUG``).
    number_of_status: int = 10
    # Regular expressions on DAG ids; empty: every DAG of this Airflow.
    pipeline_includes: tuple[str, ...] = ()
    pipeline_excludes: tuple[str, ...] = ()
    # DAG tags are facts of the DAG: keep them (classification ``AirflowTags``).
    include_tags: bool = True
    # An Airflow owner is a deliberate declaration; the SDK sets it only when it names
    # an existing OpenMetadata user or team.
    include_owners: bool = True
    # Table lineage from om_table inlets/outlets.
    include_lineage: bool = True
    # A DAG that is gone must disappear from the catalog (soft delete, restorable).
    mark_deleted_pipelines: bool = True
    # Paused DAGs are pipelines too (state Inactive). False would also soft-delete them.
    include_paused: bool = True
    # Never overwrite what data stewards edited in the OpenMetadata UI.
    override_metadata: bool = False

    def validated(self, prefix: str = "options") -> "PipelineOptions":
        """A copy whose patterns and numbers are checked; errors name ``{prefix}.{field}``."""
        number = self.number_of_status
        if isinstance(number, str) and number.strip().isdigit():
            number = int(number.strip())
        if isinstance(number, bool) or not isinstance(number, int):
            raise ConfigError(f"{prefix}.number_of_status", f"{self.number_of_status!r} is not a whole number",
                              "give the number of recent runs per DAG to send, e.g. 10")
        if not 0 <= number <= 1000:
            raise ConfigError(f"{prefix}.number_of_status", f"{number} is out of range",
                              "use a whole number from 0 (no run statuses) to 1000 (default 10)")
        return replace(
            self,
            number_of_status=number,
            pipeline_includes=regex_patterns(self.pipeline_includes, f"{prefix}.pipeline_filter"),
            pipeline_excludes=regex_patterns(self.pipeline_excludes, f"{prefix}.pipeline_exclude"),
        )

    def excluding(self, dag_ids) -> "PipelineOptions":
        """A copy that also excludes these DAG ids (exact matches)."""
        import re

        extra = tuple(f"^{re.escape(dag_id)}$" for dag_id in dag_ids)
        return replace(self, pipeline_excludes=self.pipeline_excludes + extra) if extra else self

    def to_sdk(self):
        """The SDK's ``PipelineServiceMetadataPipeline`` (imports the SDK)."""
        from metadata.generated.schema.metadataIngestion.pipelineServiceMetadataPipeline import (
            PipelineServiceMetadataPipeline,
        )
        from metadata.generated.schema.type.filterPattern import FilterPattern

        pattern = None
        if self.pipeline_includes or self.pipeline_excludes:
            pattern = FilterPattern(includes=list(self.pipeline_includes) or None,
                                    excludes=list(self.pipeline_excludes) or None)
        return PipelineServiceMetadataPipeline(
            includeLineage=self.include_lineage,
            includeOwners=self.include_owners,
            includeTags=self.include_tags,
            markDeletedPipelines=self.mark_deleted_pipelines,
            includeUnDeployedPipelines=self.include_paused,
            overrideMetadata=self.override_metadata,
            pipelineFilterPattern=pattern,
        )


@dataclass(frozen=True)
class AirflowMetadataDb:
    """The validated, secret-holding view of the ``airflow_metadata_db`` connection."""

    conn_id: str
    backend: str  # postgres | mysql | sqlite
    host: str = ""
    port: int = 0
    database: str = ""
    username: str = ""
    password: str | None = field(default=None, repr=False)
    sslmode: str = "disable"
    path: str = ""  # sqlite only
    options: PipelineOptions = field(default_factory=PipelineOptions)

    def __repr__(self) -> str:  # never show the password
        return f"AirflowMetadataDb({self.conn_id}: {self.backend} {self.where})"

    @property
    def where(self) -> str:
        """Where the metadata DB is, for messages."""
        if self.backend == "sqlite":
            return f"SQLite file {self.path}"
        return f"{self.host}:{self.port}, database {self.database!r}"

    def pipeline_options(self) -> PipelineOptions:
        return self.options

    def postgres_source(self):
        """This connection as ``include.sources.postgres.PostgresSource`` (for its reachability check)."""
        from include.sources.postgres import PostgresSource

        return PostgresSource(conn_id=self.conn_id, host=self.host, port=self.port, database=self.database,
                              username=self.username, password=self.password, sslmode=self.sslmode)


def options_from_extra(extra: Mapping[str, Any], conn_id: str) -> PipelineOptions:
    """``PipelineOptions`` from the connection's extras; errors name ``{conn_id}.extra.<key>``."""
    known = {"number_of_status", "pipeline_filter", "pipeline_exclude", "include_owners", "include_tags", "sslmode"}
    unknown = sorted(set(extra) - known)
    if unknown:
        raise ConfigError(f"{conn_id}.extra.{unknown[0]}", f"unknown extra {unknown[0]!r}",
                          f"use only {', '.join(sorted(known))}")
    base = PipelineOptions()
    options = replace(
        base,
        number_of_status=extra.get("number_of_status", base.number_of_status),
        pipeline_includes=extra_patterns(extra, "pipeline_filter", conn_id, '["^catalog_"]'),
        pipeline_excludes=extra_patterns(extra, "pipeline_exclude", conn_id, '["^catalog_"]'),
        include_owners=as_bool(extra.get("include_owners", base.include_owners), f"{conn_id}.extra.include_owners"),
        include_tags=as_bool(extra.get("include_tags", base.include_tags), f"{conn_id}.extra.include_tags"),
    )
    return options.validated(prefix=f"{conn_id}.extra")


def airflow_db_from_connection(conn: Any) -> AirflowMetadataDb:
    """Validate the ``airflow_metadata_db`` Airflow Connection; errors name ``<conn_id>.<field>``."""
    conn_id = conn.conn_id or "airflow_metadata_db"
    conn_type = (conn.conn_type or "").strip().lower()
    backend = _CONN_TYPES.get(conn_type)
    if backend is None:
        raise ConfigError(
            f"{conn_id}.conn_type",
            f"{conn.conn_type!r} is not a database type the SDK's Airflow connector reads",
            "use postgres (Astro and most deployments), mysql or sqlite, the type of Airflow's "
            "metadata database ([database] sql_alchemy_conn)",
        )
    extra = extra_of(conn)
    options = options_from_extra(extra, conn_id)

    if backend == "sqlite":
        host, schema = (conn.host or "").strip(), (conn.schema or "").strip()
        if host and schema and host != schema:
            raise ConfigError(f"{conn_id}.host", f"both Host ({host!r}) and Schema ({schema!r}) are set",
                              "put the path of the SQLite file in Host only")
        path = host or schema
        if not path:
            raise ConfigError(f"{conn_id}.host", "the SQLite file path is empty",
                              "set Host to the absolute path of Airflow's SQLite file, "
                              "e.g. /usr/local/airflow/airflow.db")
        if path == ":memory:" or not Path(path).is_absolute():
            raise ConfigError(f"{conn_id}.host", f"{path!r} is not an absolute file path",
                              "give the absolute path of Airflow's SQLite file (see [database] sql_alchemy_conn)")
        if "sslmode" in extra:
            raise ConfigError(f"{conn_id}.extra.sslmode", "sslmode means nothing for SQLite", "remove it")
        if options.number_of_status:
            raise ConfigError(f"{conn_id}.extra.number_of_status", SQLITE_STATUS_BUG,
                              'set the extra {"number_of_status": 0} (pipelines, tasks, tags and lineage are '
                              "still ingested), or use a PostgreSQL metadata DB as Astro does")
        return AirflowMetadataDb(conn_id=conn_id, backend=backend, path=path, options=options)

    host = required(conn, conn_id, "host", "the metadata database host is empty",
                    "set Host to the database server, e.g. postgres (astro dev start)")
    if "/" in host or ":" in host:
        raise ConfigError(f"{conn_id}.host", f"{host!r} is not a host name",
                          "put the port in Port and only the server name in Host")
    database = required(conn, conn_id, "schema", "the database name is empty",
                        "set Schema to the metadata database's name, e.g. postgres (astro dev start) or airflow")
    username = required(conn, conn_id, "login", "the user name is empty",
                        "set Login to a user that can read Airflow's tables, e.g. postgres (astro dev start)")
    sslmode = "disable"
    if backend == "postgres":
        sslmode = pg_sslmode(extra, conn_id)
    elif "sslmode" in extra:
        raise ConfigError(f"{conn_id}.extra.sslmode", "sslmode is a PostgreSQL setting", "remove it for MySQL")
    try:
        port = int(conn.port or _DEFAULT_PORTS[backend])
    except (TypeError, ValueError):
        raise ConfigError(f"{conn_id}.port", f"{conn.port!r} is not a port", "give a number") from None
    return AirflowMetadataDb(conn_id=conn_id, backend=backend, host=host, port=port, database=database,
                             username=username, password=conn.password or None, sslmode=sslmode, options=options)


def default_service_name() -> str:
    """The pipeline service of this Airflow: the lineage listener's (``datakit_airflow``)."""
    from airflow_openmetadata_lineage import LineageConfig

    return LineageConfig.load().pipeline_service


def airflow_base_url() -> str:
    """The Airflow UI URL for the pipelines' links: ``[api] base_url``, else http://localhost:8080."""
    try:
        from airflow.configuration import conf

        value = conf.get("api", "base_url", fallback=None)
    except Exception:  # pragma: no cover - no Airflow config (a plain script)
        value = None
    return (value or "").strip().rstrip("/") or DEFAULT_BASE_URL


def _check_base_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("[api] base_url", f"{url!r} is not an http(s) URL",
                          "set AIRFLOW__API__BASE_URL to the Airflow UI, e.g. http://localhost:8080")
    return url


def _sdk_db_connection(source: AirflowMetadataDb):
    """The SDK's connection model for the metadata DB (imports the SDK)."""
    if source.backend == "postgres":
        from metadata.generated.schema.entity.services.connections.database.common.basicAuth import BasicAuth
        from metadata.generated.schema.entity.services.connections.database.postgresConnection import (
            PostgresConnection,
        )
        from metadata.generated.schema.security.ssl.verifySSLConfig import SslMode

        return PostgresConnection(
            hostPort=f"{source.host}:{source.port}",
            username=source.username,
            authType=BasicAuth(password=source.password),
            database=source.database,
            sslMode=SslMode(source.sslmode),
        )
    if source.backend == "mysql":
        from metadata.generated.schema.entity.services.connections.database.common.basicAuth import BasicAuth
        from metadata.generated.schema.entity.services.connections.database.mysqlConnection import MysqlConnection

        return MysqlConnection(
            hostPort=f"{source.host}:{source.port}",
            username=source.username,
            authType=BasicAuth(password=source.password),
            databaseSchema=source.database,
        )
    from metadata.generated.schema.entity.services.connections.database.sqliteConnection import SQLiteConnection

    # The SDK's URL is f"{scheme}:///{databaseMode}": an absolute path gives sqlite:////path.
    return SQLiteConnection(databaseMode=source.path)


def build_airflow_workflow(
    source: AirflowMetadataDb,
    server,
    options: PipelineOptions | None = None,
    *,
    service_name: str | None = None,
    base_url: str | None = None,
):
    """The SDK's ``OpenMetadataWorkflowConfig`` for this Airflow's DAGs (imports the SDK).

    ``service_name`` defaults to the lineage listener's pipeline service
    (``datakit_airflow``); ``base_url`` to ``[api] base_url`` or http://localhost:8080.
    """
    from metadata.generated.schema.entity.services.connections.pipeline.airflowConnection import (
        AirflowConnection,
    )
    from metadata.generated.schema.entity.services.pipelineService import PipelineConnection

    options = (options or source.options).validated()
    connection = AirflowConnection(
        hostPort=_check_base_url(base_url or airflow_base_url()),
        numberOfStatus=options.number_of_status,
        connection=_sdk_db_connection(source),
    )
    return build_workflow_config(
        source_type=SOURCE_TYPE,
        service_name=service_name or default_service_name(),
        service_connection=PipelineConnection(config=connection),
        source_config=options.to_sdk(),
        server=server,
    )
