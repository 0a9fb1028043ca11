"""make backup / make restore on a REAL PostgreSQL (the suite's throwaway cluster, pagila loaded).

Each round trip: a database with pagila plus a table shaped like OpenMetadata's (JSON documents,
unicode, bytea, a sequence) is backed up with the real make target, dropped or changed, restored
with the real make target, and every table's row count and content checksum, and every
sequence, must be what they were.

Direct mode (PG* variables or DSN) runs the local pg_dump/pg_restore/psql. Compose mode (the
stack's openmetadata-db container) runs the same programs through a docker stand-in whose
`exec` reaches the same cluster: the script's commands, file copies and the stop/start of
openmetadata-server are the real ones.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from tests.platform.stack_fakes import FakeStack, clean_env, container, make
from tests.support import prereq
from tests.support.postgres import pg_bin

pytestmark = pytest.mark.integration

OM_LIKE_TABLE = """
CREATE TABLE public.entity_extension (
    id uuid PRIMARY KEY, extension text NOT NULL, json jsonb NOT NULL, blob bytea,
    updated_at timestamptz NOT NULL DEFAULT now(), seq bigserial);
INSERT INTO public.entity_extension (id, extension, json, blob)
SELECT md5(i::text)::uuid, 'table.columns.' || i,
       jsonb_build_object('name', 'colonne_' || i, 'description', 'Größe ✓ ' || repeat('x', i % 50), 'n', i),
       decode(md5(i::text), 'hex')
FROM generate_series(1, 500) AS i;
"""


@pytest.fixture(scope="module")
def pg_tools():
    for program in ("pg_dump", "pg_restore", "psql"):
        if not pg_bin(program):
            prereq.missing(f"PostgreSQL client program {program!r} not found (Debian package postgresql-client)")


def _new_database(cluster, name: str) -> None:
    cluster.drop_database(name)
    cluster.create_database(name, template="pagila_template")
    cluster.psql(OM_LIKE_TABLE, database=name)


def snapshot(cluster, database: str) -> dict[str, tuple]:
    """Row count and content checksum of every table, and every sequence's value."""
    tables = cluster.psql(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        database=database).splitlines()
    assert len(tables) >= 22, tables
    result: dict[str, tuple] = {}
    query = " UNION ALL ".join(
        f"SELECT {_literal(table)}, count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
        f"FROM {table} t" for table in tables)
    for row in cluster.psql(query, database=database).splitlines():
        table, count, digest = row.split("|")
        result[table] = (int(count), digest)
    assert set(result) == set(tables)
    for line in cluster.psql("SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences "
                             "ORDER BY 1", database=database).splitlines():
        name, value = line.split("|")
        result[f"sequence {name}"] = (value,)
    return result


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def pg_env(cluster, **extra: str) -> dict[str, str]:
    bindir = str(Path(pg_bin("pg_dump")).parent)
    return clean_env(PATH=f"{bindir}:{os.environ['PATH']}", PGHOST=cluster.host, PGPORT=str(cluster.port),
                     PGUSER=cluster.user, PGPASSWORD=cluster.password, **extra)


def only_backup(backup_dir: Path, pattern: str = "*.dump") -> Path:
    files = sorted(backup_dir.glob(pattern))
    assert len(files) == 1, files
    return files[0]


def test_round_trip_with_pg_variables(pg_cluster, pg_tools, tmp_path):
    database = "om_backup_roundtrip"
    _new_database(pg_cluster, database)
    before = snapshot(pg_cluster, database)
    backups = tmp_path / "backups"
    try:
        result = make("backup", pg_env(pg_cluster, PGDATABASE=database, BACKUP_DIR=str(backups)))
        assert result.returncode == 0, result.stdout + result.stderr
        archive = only_backup(backups)
        assert archive.name.startswith(f"{database}-") and archive.name.endswith("Z.dump")
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        digest, name = (archive.parent / (archive.name + ".sha256")).read_text().split()
        assert name == archive.name and digest == hashlib.sha256(archive.read_bytes()).hexdigest()
        assert "direct:" in result.stdout and "tables" in result.stdout
        assert pg_cluster.password not in result.stdout + result.stderr

        pg_cluster.drop_database(database)
        result = make("restore", pg_env(pg_cluster, BACKUP=str(archive), CONFIRM="yes", BACKUP_DIR=str(backups)))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "does not exist: it is created" in result.stdout
        assert snapshot(pg_cluster, database) == before
        assert pg_cluster.psql("SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_\\_restore'") == "0"
        assert len(list(backups.glob("*.dump"))) == 1, "nothing to save: the database did not exist"
    finally:
        pg_cluster.drop_database(database)


def test_round_trip_with_a_dsn_replaces_a_changed_database(pg_cluster, pg_tools, tmp_path):
    database = "om_backup_dsn"
    _new_database(pg_cluster, database)
    before = snapshot(pg_cluster, database)
    backups = tmp_path / "backups"
    dsn = f"postgresql://{pg_cluster.user}:{pg_cluster.password}@{pg_cluster.host}:{pg_cluster.port}/{database}"
    env = clean_env(PATH=pg_env(pg_cluster)["PATH"], DSN=dsn, BACKUP_DIR=str(backups))
    try:
        result = make("backup", env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert pg_cluster.password not in result.stdout + result.stderr, "the DSN's password is masked"
        archive = only_backup(backups)

        pg_cluster.psql("DELETE FROM public.entity_extension WHERE json->>'n' = '7'; "
                        "UPDATE public.actor SET first_name = 'CHANGED' WHERE actor_id = 1; "
                        "CREATE TABLE public.added_later (x int)", database=database)
        assert snapshot(pg_cluster, database) != before
        result = make("restore", {**env, "BACKUP": str(archive), "CONFIRM": "yes"})
        assert result.returncode == 0, result.stdout + result.stderr
        assert "exists and will be REPLACED" in result.stdout
        assert snapshot(pg_cluster, database) == before
        safety = only_backup(backups, "*-pre-restore.dump")
        assert safety.stat().st_size > 0 and (safety.parent / (safety.name + ".sha256")).is_file()
    finally:
        pg_cluster.drop_database(database)


def test_restore_into_another_database_leaves_the_original(pg_cluster, pg_tools, tmp_path):
    database, copy = "om_backup_source", "om_backup_copy"
    _new_database(pg_cluster, database)
    before = snapshot(pg_cluster, database)
    backups = tmp_path / "backups"
    try:
        assert make("backup", pg_env(pg_cluster, PGDATABASE=database, BACKUP_DIR=str(backups))).returncode == 0
        archive = only_backup(backups)
        result = make("restore", pg_env(pg_cluster, BACKUP=str(archive), CONFIRM="yes", RESTORE_DB=copy,
                                        BACKUP_DIR=str(backups)))
        assert result.returncode == 0, result.stdout + result.stderr
        assert snapshot(pg_cluster, copy) == before == snapshot(pg_cluster, database)
    finally:
        pg_cluster.drop_database(database)
        pg_cluster.drop_database(copy)


def test_restore_refuses_what_it_cannot_trust(pg_cluster, pg_tools, tmp_path):
    database = "om_backup_refusals"
    _new_database(pg_cluster, database)
    before = snapshot(pg_cluster, database)
    backups = tmp_path / "backups"
    try:
        assert make("backup", pg_env(pg_cluster, PGDATABASE=database, BACKUP_DIR=str(backups))).returncode == 0
        archive = only_backup(backups)
        base = pg_env(pg_cluster, BACKUP_DIR=str(backups))

        result = make("restore", base)
        assert result.returncode != 0 and "BACKUP=<file> is required" in result.stderr
        assert archive.name in result.stderr, "lists the latest backups"

        result = make("restore", {**base, "BACKUP": str(tmp_path / "missing.dump"), "CONFIRM": "yes"})
        assert result.returncode != 0 and "no such file" in result.stderr

        result = make("restore", {**base, "BACKUP": str(archive)})  # no CONFIRM, no terminal
        assert result.returncode != 0 and "CONFIRM=yes" in result.stderr

        changed = tmp_path / "changed.dump"
        changed.write_bytes(archive.read_bytes()[:-100] + b"x" * 100)
        (tmp_path / "changed.dump.sha256").write_text((archive.parent / (archive.name + ".sha256")).read_text())
        result = make("restore", {**base, "BACKUP": str(changed), "CONFIRM": "yes"})
        assert result.returncode != 0 and "differs" in result.stderr

        truncated = tmp_path / "truncated.dump"
        truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 3])
        result = make("restore", {**base, "BACKUP": str(truncated), "CONFIRM": "yes"})
        assert result.returncode != 0
        assert "reading the whole archive" in result.stderr, result.stderr
        assert "CONFIRM=yes given" not in result.stdout, "refused before anything was done"
        assert "Traceback" not in result.stderr
        assert snapshot(pg_cluster, database) == before, "a refused restore changes nothing"
        assert pg_cluster.psql("SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_\\_restore'") == "0"
    finally:
        pg_cluster.drop_database(database)


def test_backup_of_a_missing_database_fails_cleanly(pg_cluster, pg_tools, tmp_path):
    backups = tmp_path / "backups"
    result = make("backup", pg_env(pg_cluster, PGDATABASE="no_such_database", BACKUP_DIR=str(backups)))
    assert result.returncode != 0 and "pg_dump failed" in result.stderr and "no_such_database" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(backups.glob("*")) if backups.exists() else True


def test_round_trip_in_the_stack_container(pg_cluster, pg_tools, tmp_path):
    """Compose mode: docker exec/cp into openmetadata-db; openmetadata-server stopped and restarted."""
    database = "openmetadata_db"
    _new_database(pg_cluster, database)
    before = snapshot(pg_cluster, database)
    backups = tmp_path / "backups"
    stack = FakeStack(root=tmp_path)
    stack.containers = [container("c-omdb", "openmetadata-db"), container("c-om", "openmetadata-server"),
                        container("c-api", "api-server")]
    stack.exec_env = {"PGHOST": pg_cluster.host, "PGPORT": str(pg_cluster.port),
                      "PGPASSWORD": pg_cluster.password, "POSTGRES_USER": pg_cluster.user,
                      "PATH": f"{Path(pg_bin('pg_dump')).parent}:{os.environ['PATH']}"}
    try:
        result = make("backup", stack.env(BACKUP_DIR=str(backups)))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "compose: container openmetadata-db" in result.stdout
        archive = only_backup(backups)
        calls = stack.docker_calls()
        assert any(c[:2] == ["exec", "c-omdb"] and "pg_dump" in " ".join(c) for c in calls)
        assert any(c[0] == "cp" and c[1].startswith("c-omdb:/tmp/") for c in calls)

        pg_cluster.drop_database(database)
        result = make("restore", stack.env(BACKUP=str(archive), CONFIRM="yes", BACKUP_DIR=str(backups)))
        assert result.returncode == 0, result.stdout + result.stderr
        assert snapshot(pg_cluster, database) == before
        calls = stack.docker_calls()
        stop = calls.index(["stop", "c-om"])
        start = calls.index(["start", "c-om"])
        restore = next(i for i, c in enumerate(calls) if c[:1] == ["exec"] and "--single-transaction" in c)
        assert stop < restore < start, "the server is down while its database is replaced"
        assert any(c[0] == "exec" and c[2:4] == ["rm", "-f"] for c in calls), "temp files removed"
        assert "Search Indexing" in result.stdout, "tells to rebuild the search index"
    finally:
        pg_cluster.drop_database(database)


def test_compose_mode_needs_the_running_container(tmp_path):
    stack = FakeStack(root=tmp_path)
    stack.containers = [container("c-omdb", "openmetadata-db", "exited", "Exited (0) 1 hour ago")]
    result = make("backup", stack.env(BACKUP_DIR=str(tmp_path / "b")))
    assert result.returncode != 0
    assert "openmetadata-db container is not running" in result.stderr and "DSN=" in result.stderr
