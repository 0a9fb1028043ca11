"""catalog_airflow end to end: real DAG runs -> real Airflow metadata DB -> the SDK's Airflow connector -> emulator.

The test session's Airflow metadata DB (SQLite, ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN``)
is the source: ``catalog_pagila`` runs for real (once successfully, once failing its
preflight), ``dag.test()`` serializes the project's DAGs into that DB, and a tiny probe
DAG with ``om_table`` inlets/outlets is serialized next to them with Airflow's own
``sync_bag_to_db`` and run once. Then ``catalog_airflow`` runs three times and the
catalog is read back over HTTP:

1. on the SQLite file (conn_type sqlite, ``number_of_status`` 0: SDK 2.0.6 cannot read run
   statuses from SQLite): pipelines, tasks, tags, owners, lineage;
2. on a row-for-row copy of that DB in PostgreSQL (conn_type postgres, as under
   ``astro dev start``): the same pipelines, plus the real runs' statuses per task;
3. after the probe's DAG is flagged stale (its file deleted): its pipeline is soft-deleted.

The lineage listener is switched off (``OPENMETADATA_LINEAGE_ENABLED=false``) so that every
pipeline, status and edge checked here comes from the SDK's connector alone.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from openmetadata_emulator.client import Catalog
from tests.support.airflow_run import REPO, load_dag, run_dag

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICE = "datakit_airflow"
PROBE_DAG = "datakit_e2e_lineage_probe"
PROBE_BUNDLE = "datakit-e2e-probe"
FILM = "pagila_postgres.pagila.public.film"
ACTOR = "pagila_postgres.pagila.public.actor"

PROBE_SOURCE = textwrap.dedent(
    f'''
    """A probe of the Airflow connector's lineage: film -> (transform) -> actor."""
    from datetime import datetime, timezone

    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    from airflow_openmetadata_lineage import om_table

    with DAG("{PROBE_DAG}", schedule="@daily", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
             catchup=False, tags=["e2e", "lineage"], description="lineage probe",
             default_args={{"owner": "probe-team"}}):
        extract = EmptyOperator(task_id="extract", doc_md="Reads film.")
        transform = EmptyOperator(task_id="transform", inlets=[om_table("{FILM}")],
                                  outlets=[om_table("{ACTOR}")])
        extract >> transform
    '''
)


def serialize_probe_dag(folder: Path):
    """Write the probe DAG file and store it in the metadata DB as the DAG processor would.

    Returns the DAG and its serialized form as stored in ``serialized_dag``.
    """
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dagbundle import DagBundleModel
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.utils.session import create_session

    (folder / "lineage_probe.py").write_text(PROBE_SOURCE)
    bag = BundleDagBag(dag_folder=str(folder), bundle_path=folder, bundle_name=PROBE_BUNDLE)
    assert not bag.import_errors, bag.import_errors
    with create_session() as session:
        if session.get(DagBundleModel, PROBE_BUNDLE) is None:
            session.add(DagBundleModel(name=PROBE_BUNDLE))
    sync_bag_to_db(bag, PROBE_BUNDLE, None)
    with create_session() as session:
        stored = SerializedDagModel.get(PROBE_DAG, session=session)
        return bag.dags[PROBE_DAG], stored.data


def dag_ids_in_metadata_db() -> set[str]:
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return set(session.scalars(select(SerializedDagModel.dag_id).distinct()))


def sqlite_path() -> str:
    import os

    url = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert url.startswith("sqlite:///"), url
    return url[len("sqlite:///"):]


def copy_metadata_db_to_postgres(cluster, database: str) -> str:
    """Copy the session's SQLite metadata DB, row for row, into a PostgreSQL database.

    The schema comes from Airflow's own ORM metadata, the rows are read and written
    through the same typed tables: PostgreSQL then holds what Astro's metadata DB would
    after these runs. Returns the ``airflow_metadata_db`` connection JSON.
    """
    from airflow import settings
    from airflow.models import import_all_models
    from airflow.models.base import Base
    from sqlalchemy import create_engine

    import_all_models()
    cluster.drop_database(database)
    cluster.create_database(database)
    target = create_engine(
        f"postgresql+psycopg2://{cluster.user}:{cluster.password}@{cluster.host}:{cluster.port}/{database}"
    )
    try:
        Base.metadata.create_all(target)
        with settings.engine.connect() as source, target.begin() as sink:
            for table in Base.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in source.execute(table.select())]
                if rows:
                    sink.execute(table.insert(), rows)
    finally:
        target.dispose()
    return cluster.airflow_conn_json(database)


def run_catalog_airflow(monkeypatch):
    """``catalog_airflow`` as a worker runs it: with the SDK's per-process state fresh.

    SDK 2.0.6 keeps the FQNs a run has seen (what ``markDeletedPipelines`` keeps) in
    ``PipelineServiceSource.pipeline_source_state``, a *class* attribute: in one process,
    every later run also "sees" the pipelines of the earlier ones and never soft-deletes
    them. Airflow runs each task in its own process; ``dag.test()`` runs them all in this one.
    """
    from metadata.ingestion.source.pipeline.pipeline_service import PipelineServiceSource

    monkeypatch.setattr(PipelineServiceSource, "pipeline_source_state", set())
    return run_dag("catalog_airflow")


def statuses_of(catalog: Catalog, pipeline_fqn: str) -> list[tuple[str, dict[str, str]]]:
    from urllib.parse import quote

    page = catalog.get(f"pipelines/{quote(pipeline_fqn, safe='')}/status", startTs=0,
                       endTs=int(time.time() * 1000) + 3_600_000, limit=100)
    return sorted(
        (s["executionStatus"], {t["name"]: t["executionStatus"] for t in s["taskStatus"]}) for s in page["data"]
    )


def test_catalog_airflow_end_to_end(airflow_db, pagila_db, om_connection, monkeypatch, tmp_path):
    started = time.monotonic()
    monkeypatch.setenv("OPENMETADATA_LINEAGE_ENABLED", "false")
    catalog = Catalog(om_connection.url)

    # Real runs: pagila catalogued (the tables the lineage needs), then a run that fails.
    ok = run_dag("catalog_pagila")
    assert ok.state == "success", ok.task_states
    bad = run_dag("catalog_pagila", conf={"schema_filter": ["("]})
    assert bad.state == "failed", bad.task_states
    assert bad.task_states == {"wait_for_depth": "success", "preflight": "failed", "ingest_metadata": "upstream_failed"}

    # How Airflow 3 serializes om_table xlets: str(obj) (its default serialization), i.e.
    # the JSON string the SDK's OMEntity produces; the key is "inlets" (not "_inlets").
    probe_dag, probe = serialize_probe_dag(tmp_path)
    task = next(t["__var"] for t in probe["dag"]["tasks"] if t["__var"]["task_id"] == "transform")
    assert [json.loads(x) for x in task["inlets"]] == [
        {"entity": "metadata.generated.schema.entity.data.table.Table", "fqn": FILM, "key": "default"}]
    assert [json.loads(x) for x in task["outlets"]] == [
        {"entity": "metadata.generated.schema.entity.data.table.Table", "fqn": ACTOR, "key": "default"}]

    # One real run of the probe (its tasks touch no table; the listener is off).
    assert str(probe_dag.test().state) == "success"

    # An OpenMetadata user named like the probe's Airflow owner: the SDK links existing users.
    response = catalog.session.put(f"{catalog.api}/v1/users",
                                   json={"name": "probe-team", "email": "probe-team@example.com"}, timeout=10)
    assert response.status_code in (200, 201), response.text

    # Nothing so far sent lineage (the listener is off): every edge below is the connector's.
    assert not [r for r in om_connection.requests_log if r[1].startswith("/api/v1/lineage")]

    # Leg 1: the SQLite file itself (no run statuses: the SDK cannot read them from SQLite).
    monkeypatch.setenv("AIRFLOW_CONN_AIRFLOW_METADATA_DB", json.dumps(
        {"conn_type": "sqlite", "host": sqlite_path(), "extra": {"number_of_status": 0}}))
    first = run_catalog_airflow(monkeypatch)
    assert first.state == "success", first.task_states
    summary = first.xcoms["ingest_metadata"]
    assert summary["status"] == "success", summary
    assert summary["source"]["service"] == SERVICE
    assert summary["stale_dags"] == []
    preflight = first.xcoms["preflight"]["source"]
    assert preflight["backend"] == "sqlite" and preflight["dags"] >= 4
    assert not om_connection.unknown_routes, om_connection.unknown_routes

    # One pipeline service, one pipeline per DAG of the metadata DB.
    services = catalog.list_all("services/pipelineServices")
    assert [(s["name"], s["serviceType"]) for s in services] == [(SERVICE, "Airflow")]
    pipelines = {p["name"]: p for p in catalog.list_all("pipelines", service=SERVICE, fields="tasks,owners,tags")}
    dag_ids = dag_ids_in_metadata_db()
    assert {"catalog_pagila", "catalog_airflow", PROBE_DAG} <= dag_ids
    assert set(pipelines) == dag_ids
    assert statuses_of(catalog, f"{SERVICE}.catalog_pagila") == []

    pagila = catalog.by_name("pipelines", f"{SERVICE}.catalog_pagila", fields="tasks,owners,tags,scheduleInterval")
    assert pagila["id"] == pipelines["catalog_pagila"]["id"]
    assert pagila["serviceType"] == "Airflow"
    assert pagila["sourceUrl"] == "http://localhost:8080/dags/catalog_pagila"
    assert pagila["scheduleInterval"] == "0 2 * * *"
    assert pagila["startDate"].startswith("2026-01-01T00:00:00")
    assert pagila["concurrency"] == 1  # max_active_runs
    assert pagila["state"] == "Inactive"  # dag.test() leaves DAGs paused, as new DAGs are
    assert pagila["pipelineLocation"] == str(REPO / "dags" / "catalog_pagila.py")
    assert {t["tagFQN"] for t in pagila["tags"]} == {f"AirflowTags.{tag}" for tag in load_dag("catalog_pagila").tags}
    assert "AirflowTags.pagila" in {t["tagFQN"] for t in pagila["tags"]}
    assert pagila["owners"] == []  # its owner "data-platform" is no OpenMetadata user or team here
    tasks = {t["name"]: t for t in pagila["tasks"]}
    assert set(tasks) == {"wait_for_depth", "preflight", "ingest_metadata"}
    assert tasks["wait_for_depth"]["downstreamTasks"] == ["preflight"]
    assert tasks["preflight"]["downstreamTasks"] == ["ingest_metadata"]
    assert tasks["ingest_metadata"]["downstreamTasks"] == []
    assert tasks["preflight"]["taskType"] == "PythonOperator"
    assert tasks["preflight"]["fullyQualifiedName"] == f"{SERVICE}.catalog_pagila.preflight"
    assert tasks["preflight"]["sourceUrl"] == "http://localhost:8080/dags/catalog_pagila/tasks/preflight"

    probe_pipeline = catalog.by_name("pipelines", f"{SERVICE}.{PROBE_DAG}", fields="tasks,owners,tags,scheduleInterval")
    probe_tasks = {t["name"]: t for t in probe_pipeline["tasks"]}
    assert probe_tasks["extract"]["downstreamTasks"] == ["transform"]
    assert probe_tasks["extract"]["description"] == "Reads film."  # task doc_md
    assert {n: [o["name"] for o in t["owners"]] for n, t in probe_tasks.items()} == {
        "extract": ["probe-team"], "transform": ["probe-team"]}
    assert probe_pipeline["scheduleInterval"] == "0 0 * * *"  # @daily, as its timetable's cron
    assert {t["tagFQN"] for t in probe_pipeline["tags"]} == {"AirflowTags.e2e", "AirflowTags.lineage"}
    assert [(o["type"], o["name"]) for o in probe_pipeline["owners"]] == [("user", "probe-team")]
    # SDK 2.0.6 reads the DAG description from the serialized key "_description" (Airflow 2);
    # Airflow 3 writes "description", so DAG descriptions do not reach OpenMetadata.
    assert probe["dag"]["description"] == "lineage probe" and "_description" not in probe["dag"]
    assert not probe_pipeline.get("description")

    # Lineage from the probe's om_table inlets/outlets, through its pipeline.
    graph = catalog.get(f"lineage/table/name/{FILM}", upstreamDepth=1, downstreamDepth=1)
    actor = catalog.by_name("tables", ACTOR)
    edges = [e for e in graph["downstreamEdges"] if e["fromEntity"] == graph["entity"]["id"]
             and e["toEntity"] == actor["id"]]
    assert len(edges) == 1, graph
    details = edges[0]["lineageDetails"]
    assert details["source"] == "PipelineLineage"
    assert details["pipeline"]["id"] == probe_pipeline["id"]
    assert details["pipeline"]["type"] == "pipeline"
    ids = {name: p["id"] for name, p in pipelines.items()}

    # Leg 2: the same metadata in PostgreSQL, as under `astro dev start`: run statuses too.
    monkeypatch.setenv("AIRFLOW_CONN_AIRFLOW_METADATA_DB", copy_metadata_db_to_postgres(pagila_db, "airflow_meta"))
    second = run_catalog_airflow(monkeypatch)
    assert second.state == "success", second.task_states
    assert second.xcoms["preflight"]["source"]["backend"] == "postgres"
    assert not om_connection.unknown_routes, om_connection.unknown_routes
    again = {p["name"]: p["id"] for p in catalog.list_all("pipelines", service=SERVICE)}
    assert again == ids  # same pipelines, same ids
    assert statuses_of(catalog, f"{SERVICE}.catalog_pagila") == [
        ("Failed", {"wait_for_depth": "Successful", "preflight": "Failed", "ingest_metadata": "Failed"}),
        ("Successful", {"wait_for_depth": "Successful", "preflight": "Successful", "ingest_metadata": "Successful"}),
    ]
    # catalog_airflow's own first run (leg 1) was in the copied DB.
    assert statuses_of(catalog, f"{SERVICE}.catalog_airflow") == [
        ("Successful", {"preflight": "Successful", "ingest_metadata": "Successful"})]
    assert statuses_of(catalog, f"{SERVICE}.{PROBE_DAG}") == [
        ("Successful", {"extract": "Successful", "transform": "Successful"})]
    # The probe ran, so the connector also sent the lineage tables' pipeline observability.
    assert any(path.endswith("/pipelineObservability") for method, path, status in om_connection.requests_log
               if method == "PUT" and status == 200)

    assert second.xcoms["ingest_metadata"]["stale_dags"] == []

    # Leg 3: the probe's file is deleted. Airflow 3 keeps its serialized_dag rows and flags
    # the DAG stale (DagModel.deactivate_deleted_dags); the SDK does not read that flag, the
    # datakit excludes stale DAGs, so the SDK soft-deletes the probe's pipeline.
    pagila_db.psql(f"update dag set is_stale = true where dag_id = '{PROBE_DAG}'", database="airflow_meta")
    third = run_catalog_airflow(monkeypatch)
    assert third.state == "success", third.task_states
    assert third.xcoms["ingest_metadata"]["stale_dags"] == [PROBE_DAG]
    assert catalog.by_name("pipelines", f"{SERVICE}.{PROBE_DAG}") is None
    gone = catalog.by_name("pipelines", f"{SERVICE}.{PROBE_DAG}", include="deleted")
    assert gone["deleted"] is True and gone["id"] == ids[PROBE_DAG]
    assert {p["name"]: p["id"] for p in catalog.list_all("pipelines", service=SERVICE)} == {
        name: pid for name, pid in ids.items() if name != PROBE_DAG}

    print(f"\ne2e: catalog_airflow in {first.seconds:.1f} s (sqlite) / {second.seconds:.1f} s / "
          f"{third.seconds:.1f} s (postgres), "
          f"whole test {time.monotonic() - started:.1f} s; pipelines {sorted(pipelines)}")
