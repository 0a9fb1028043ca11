"""Fault suite helpers: OpenMetadata connections with short client limits, task durations,
and the catalog read back over HTTP, as a user reads it."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

from openmetadata_emulator.client import Catalog as BaseCatalog

SERVICE = "pagila_postgres"
SCHEMA_FQN = f"{SERVICE}.pagila.public"
JWT = "jwt-reliability-Xq7-not-a-real-token"
# Client limits of the fault runs: our read_timeout (not the SDK's 300 s), one retry, 1 s wait.
FAST_CLIENT = {"connect_timeout": 1, "read_timeout": 2, "retries": 1, "retry_wait": 1}


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def set_om_connection(monkeypatch, url_or_port: str | int, *, password: str = JWT, **extra: Any) -> str:
    """``openmetadata_default`` -> the emulator (or a closed port); returns the API URL."""
    if isinstance(url_or_port, int):
        host, port = "127.0.0.1", url_or_port
    else:
        parts = urlsplit(url_or_port)
        host, port = parts.hostname, parts.port
    monkeypatch.setenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", json.dumps(
        {"conn_type": "http", "schema": "http", "host": host, "port": port, "password": password,
         "extra": {**FAST_CLIENT, **extra}}))
    return f"http://{host}:{port}/api"


class DagRun:
    """A dag_run as the task callables see it (``dag_id``, ``conf``)."""

    def __init__(self, dag_id: str = "catalog_pagila", conf: dict | None = None) -> None:
        self.dag_id, self.conf = dag_id, conf or {}


def task_durations(dag_id: str) -> dict[str, float]:
    """Seconds each task of ``dag_id``'s latest run took, from the Airflow metadata DB."""
    from airflow.models.dagrun import DagRun as DagRunModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run_id = session.scalar(select(DagRunModel.run_id).where(DagRunModel.dag_id == dag_id)
                                .order_by(DagRunModel.id.desc()).limit(1))
        rows = session.execute(select(TaskInstance.task_id, TaskInstance.start_date, TaskInstance.end_date)
                               .where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)).all()
    return {task: (end - start).total_seconds() for task, start, end in rows if start and end}


class Catalog(BaseCatalog):
    """The OpenMetadata REST API read back as a user would (here: the emulator's)."""

    def __init__(self, api_url: str, token: str = JWT) -> None:
        super().__init__(api_url, token)

    def tables(self, **params) -> dict[str, dict]:
        tables = self.list_all("tables", databaseSchema=SCHEMA_FQN, fields="columns,tableConstraints", **params)
        names = [t["name"] for t in tables]
        assert len(names) == len(set(names)), f"duplicate tables: {sorted(names)}"
        return {t["name"]: t for t in tables}

    def snapshot(self) -> dict[str, Any]:
        """Everything the pagila ingestion writes, without ids/versions/timestamps."""
        def constraints(table):
            return sorted((c["constraintType"], tuple(c.get("columns") or ()), tuple(c.get("referredColumns") or ()))
                          for c in table.get("tableConstraints") or [])

        return {
            "services": sorted(s["name"] for s in self.list_all("services/databaseServices")),
            "databases": sorted(d["fullyQualifiedName"] for d in self.list_all("databases", service=SERVICE)),
            "schemas": sorted(s["fullyQualifiedName"] for s in self.list_all("databaseSchemas",
                                                                            database=f"{SERVICE}.pagila")),
            "procedures": sorted(p["fullyQualifiedName"] for p in self.list_all(
                "storedProcedures", databaseSchema=SCHEMA_FQN)),
            "tables": {
                name: {"type": t["tableType"],
                       "columns": [(c["name"], c["dataType"]) for c in t["columns"]],
                       "constraints": constraints(t)}
                for name, t in self.tables().items()
            },
        }

    def ids(self) -> dict[str, str]:
        return {name: t["id"] for name, t in self.tables().items()}
