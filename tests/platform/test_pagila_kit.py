"""docker/pagila: the pinned checksums, the fetcher of pagila-fetch, the init script of pagila-db.

The init script runs against a real PostgreSQL (the suite's throwaway cluster): it is the very
file the pagila-db container executes from /docker-entrypoint-initdb.d.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.platform.compose_model import REPO
from tests.support.postgres import PAGILA_DIR, PAGILA_SHA256

KIT = REPO / "docker" / "pagila"
INIT_SCRIPT = KIT / "initdb" / "10-load-pagila.sh"


def _load_fetcher():
    spec = importlib.util.spec_from_file_location("fetch_pagila", KIT / "fetch_pagila.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fetch_pagila = _load_fetcher()


@pytest.fixture(scope="module")
def pagila_files():
    if not all((PAGILA_DIR / name).is_file() for name in PAGILA_SHA256):
        from tests.support import prereq

        prereq.missing(f"pagila files not found at {PAGILA_DIR} (../shared must be beside the repo)")
    return PAGILA_DIR


@pytest.fixture
def mirror(tmp_path, pagila_files):
    """A loopback HTTP server standing in for the upstream raw-file URL (or a corporate mirror)."""
    root = tmp_path / "mirror"
    root.mkdir()
    for name in PAGILA_SHA256:
        shutil.copy(pagila_files / name, root / name)
    handler = partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    server.root = root
    server.url = f"http://127.0.0.1:{server.server_address[1]}/pagila"
    (root / "pagila").mkdir()
    for name in PAGILA_SHA256:
        os.link(root / name, root / "pagila" / name)
    yield server
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_pins_match_the_suites_pins():
    assert fetch_pagila.read_sums(KIT / "SHA256SUMS") == PAGILA_SHA256


def test_copies_from_a_local_source_and_is_idempotent(tmp_path, pagila_files):
    dest = tmp_path / "dest"
    messages: list[str] = []
    files = fetch_pagila.ensure_pagila(dest, PAGILA_SHA256, [pagila_files], base_url=None, log=messages.append)
    assert set(files) == set(PAGILA_SHA256)
    for name, digest in PAGILA_SHA256.items():
        assert hashlib.sha256((dest / name).read_bytes()).hexdigest() == digest
    assert all("copied" in m for m in messages)
    messages.clear()
    fetch_pagila.ensure_pagila(dest, PAGILA_SHA256, [pagila_files], base_url=None, log=messages.append)
    assert all("already" in m for m in messages)


def test_a_tampered_local_copy_is_refused_and_the_download_used(tmp_path, pagila_files, mirror):
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in PAGILA_SHA256:
        shutil.copy(pagila_files / name, bad / name)
    with open(bad / "pagila-data.sql", "ab") as handle:
        handle.write(b"\n-- tampered\n")
    dest = tmp_path / "dest"
    messages: list[str] = []
    fetch_pagila.ensure_pagila(dest, PAGILA_SHA256, [bad], base_url=mirror.url, log=messages.append)
    assert any("refused" in m and "pagila-data.sql" in m for m in messages)
    assert any("downloaded" in m for m in messages)
    assert hashlib.sha256((dest / "pagila-data.sql").read_bytes()).hexdigest() == PAGILA_SHA256["pagila-data.sql"]


def test_a_download_with_the_wrong_checksum_is_never_installed(tmp_path, mirror):
    with open(mirror.root / "pagila" / "pagila-schema.sql", "ab") as handle:
        handle.write(b"-- changed upstream\n")
    dest = tmp_path / "dest"
    with pytest.raises(fetch_pagila.PagilaError, match="pagila-schema.sql.*sha256"):
        fetch_pagila.ensure_pagila(dest, PAGILA_SHA256, [], base_url=mirror.url)
    assert not (dest / "pagila-schema.sql").exists()
    assert not list(dest.glob(".*")), "no temp file left behind"


def test_cli_offline_without_files_says_how_to_fix(tmp_path):
    result = subprocess.run([sys.executable, str(KIT / "fetch_pagila.py"), "--dest", str(tmp_path / "d"),
                             "--source", str(tmp_path / "empty"), "--offline"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "make pagila-data" in result.stderr and "PAGILA_BASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_downloads_from_the_base_url_variable(tmp_path, mirror):
    env = {**os.environ, "PAGILA_BASE_URL": mirror.url}
    result = subprocess.run([sys.executable, str(KIT / "fetch_pagila.py"), "--dest", str(tmp_path / "d")],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted(PAGILA_SHA256)


def test_make_pagila_data(tmp_path, pagila_files):
    dest = tmp_path / "data"
    result = subprocess.run(["make", "-s", "pagila-data", f"PAGILA_SOURCE_DIR={pagila_files}",
                             f"PAGILA_DATA_DIR={dest}", "PAGILA_OFFLINE=1"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in dest.iterdir()) == sorted(PAGILA_SHA256)


# --- the init script, on a real PostgreSQL ----------------------------------------------------------


def _run_init(cluster, database: str, data_dir: Path) -> subprocess.CompletedProcess:
    from tests.support.postgres import pg_bin

    env = {**cluster.env(), "PGHOST": cluster.host, "PGPORT": str(cluster.port),
           "POSTGRES_USER": cluster.user, "POSTGRES_DB": database, "PAGILA_DATA_DIR": str(data_dir),
           "PAGILA_SHA256SUMS": str(KIT / "SHA256SUMS"),
           "PATH": f"{Path(pg_bin('psql')).parent}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.integration
def test_init_script_loads_pagila(pg_cluster, pagila_files):
    database = "pagila_init_check"
    pg_cluster.drop_database(database)
    pg_cluster.create_database(database)
    try:
        result = _run_init(pg_cluster, database, pagila_files)
        assert result.returncode == 0, result.stderr
        assert "pagila-schema.sql: OK" in result.stdout and "pagila-data.sql: OK" in result.stdout
        counts = pg_cluster.psql(
            "select (select count(*) from public.rental), (select count(*) from public.payment), "
            "(select count(*) from public.film), "
            "(select ispopulated from pg_matviews where matviewname = 'rental_by_category')",
            database=database)
        assert counts == "16044|16049|1000|t"
        # The pagila-db health check's query, verbatim from the compose file.
        assert pg_cluster.psql("select 1 from pg_matviews where matviewname = 'rental_by_category' "
                               "and ispopulated", database=database) == "1"
    finally:
        pg_cluster.drop_database(database)


@pytest.mark.integration
def test_init_script_refuses_files_that_differ_from_the_pins(pg_cluster, pagila_files, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in PAGILA_SHA256:
        shutil.copy(pagila_files / name, bad / name)
    (bad / "pagila-schema.sql").write_text((bad / "pagila-schema.sql").read_text() + "\nDROP TABLE x;\n")
    database = "pagila_init_refused"
    pg_cluster.drop_database(database)
    pg_cluster.create_database(database)
    try:
        result = _run_init(pg_cluster, database, bad)
        assert result.returncode != 0
        assert "pagila-schema.sql: FAILED" in result.stdout
        assert "refusing to load" in result.stderr
        assert pg_cluster.psql("select count(*) from pg_tables where schemaname = 'public'", database=database) == "0"
    finally:
        pg_cluster.drop_database(database)
