"""Helpers of the package's tests (a module name no other test suite of the repository uses)."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

SERVICE = "warehouse"
TABLES = ("raw_orders", "customers", "orders")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def set_openmetadata_connection(monkeypatch: pytest.MonkeyPatch, url_or_port: str | int,
                                conn_id: str = "openmetadata_default") -> None:
    """``conn_id`` (an env connection) pointing at an emulator URL, or a port on 127.0.0.1."""
    if isinstance(url_or_port, int):
        host, port = "127.0.0.1", url_or_port
    else:
        parts = urlsplit(url_or_port)
        host, port = parts.hostname, parts.port
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(
        {"conn_type": "http", "schema": "http", "host": host, "port": port, "password": "jwt-listener-secret"}))


def seed_tables(api: str, tables: tuple[str, ...] = TABLES) -> None:
    """A database service ``warehouse`` with tables in ``dw.public``, created over REST like the SDK would."""
    import requests

    def put(path: str, body: dict[str, Any]) -> None:
        requests.put(f"{api}/v1/{path}", json=body, headers={"Authorization": "Bearer t"}, timeout=5).raise_for_status()

    put("services/databaseServices", {"name": SERVICE, "serviceType": "Postgres", "connection": {
        "config": {"type": "Postgres", "username": "u", "hostPort": "db:5432", "database": "dw"}}})
    put("databases", {"name": "dw", "service": SERVICE})
    put("databaseSchemas", {"name": "public", "database": f"{SERVICE}.dw"})
    for table in tables:
        put("tables", {"name": table, "databaseSchema": f"{SERVICE}.dw.public",
                       "columns": [{"name": "id", "dataType": "INT"}]})
