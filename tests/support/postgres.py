"""Throwaway PostgreSQL clusters for tests (real servers, Debian ``postgresql``).

A cluster lives in a temp dir, listens on 127.0.0.1 on a free port, and has a
``postgres`` role with a random password. PostgreSQL refuses to run as root, so
as root the server runs as the ``postgres`` OS user.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PAGILA_DIR = Path(os.environ.get("DATAKIT_PAGILA_DIR", SHARED / "pagila"))
# Checksums from shared/pagila/SOURCE.txt: the data is the pinned upstream copy.
PAGILA_SHA256 = {
    "pagila-schema.sql": "8ce358e4c8014087b85296694a0893887bd7a4190e3ce407f2721b86b98e5707",
    "pagila-data.sql": "880580fb2cd4daaa99f290ced264988cdd657b3158be63cd281466f796f6dbf2",
}


def pg_bin(name: str) -> str | None:
    for directory in PG_BIN_DIRS:
        path = Path(directory) / name
        if path.is_file():
            return str(path)
    return shutil.which(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def verify_pagila(directory: Path = PAGILA_DIR) -> dict[str, Path]:
    """The pagila files, checked against their pinned sha256."""
    files = {}
    for name, expected in PAGILA_SHA256.items():
        path = directory / name
        if not path.is_file():
            raise FileNotFoundError(f"pagila file {path} is missing (is ../shared beside the repo?)")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected:
            raise ValueError(f"{path}: sha256 {digest} != pinned {expected}")
        files[name] = path
    return files


@dataclass
class PostgresCluster:
    root: Path
    port: int
    password: str = field(repr=False)
    host: str = "127.0.0.1"
    user: str = "postgres"
    _run_as: str | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "5"}

    def psql(self, sql: str | None = None, *, database: str = "postgres", file: Path | None = None) -> str:
        cmd = [pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port),
               "-U", self.user, "-d", database, "-At"]
        cmd += ["-f", str(file)] if file else ["-c", sql]
        result = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}): {result.stderr.strip()[:2000]}")
        return result.stdout.strip()

    def _as_owner(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", self._run_as, "--", *args] if self._run_as else args

    def start(self) -> "PostgresCluster":
        self.root.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            self._run_as = "postgres"
            pw = pwd.getpwnam("postgres")
            for path in (self.root, pwfile):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            self._as_owner([pg_bin("initdb"), "-D", str(self.data_dir), "-U", self.user, "-E", "UTF8",
                            "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
                            f"--pwfile={pwfile}"]),
            check=True, capture_output=True, timeout=120,
        )
        pwfile.unlink()
        options = (f"-c listen_addresses={self.host} -p {self.port} -k {self.root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   # The query-log DAGs read pg_stat_statements (a database still needs CREATE EXTENSION).
                   "-c shared_preload_libraries=pg_stat_statements")
        subprocess.run(
            self._as_owner([pg_bin("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.root / "server.log"),
                            "-o", options, "-w", "-t", "60", "start"]),
            check=True, capture_output=True, timeout=90,
        )
        return self

    def stop(self) -> None:
        if self.data_dir.exists():
            subprocess.run(
                self._as_owner([pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"]),
                capture_output=True, timeout=60,
            )

    def create_database(self, name: str, template: str | None = None) -> None:
        template_sql = f' TEMPLATE "{template}"' if template else ""
        self.psql(f'CREATE DATABASE "{name}"{template_sql} ENCODING \'UTF8\'')

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def load_pagila(self, database: str = "pagila") -> None:
        files = verify_pagila()
        self.create_database(database)
        self.psql(database=database, file=files["pagila-schema.sql"])
        self.psql(database=database, file=files["pagila-data.sql"])
        self.psql("REFRESH MATERIALIZED VIEW public.rental_by_category", database=database)

    def airflow_conn_json(self, conn_id_database: str) -> str:
        """The connection as ``AIRFLOW_CONN_*`` JSON."""
        import json

        return json.dumps({"conn_type": "postgres", "host": self.host, "port": self.port,
                           "login": self.user, "password": self.password, "schema": conn_id_database})


def start_cluster(root: Path | None = None) -> PostgresCluster:
    root = root or Path(tempfile.mkdtemp(prefix="datakit-pg-"))
    return PostgresCluster(root=root, port=free_port(), password=secrets.token_urlsafe(16)).start()
