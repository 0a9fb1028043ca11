"""PostgreSQL writes for real (a throwaway cluster with pagila): quoting, one transaction per object,
an object dropped between the read and the write, a lock held by another session.

These call the module directly (no OpenMetadata): the plan is built from what the test wants,
so names OpenMetadata itself cannot hold (a double quote in a name) are covered too.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from include.descriptions import postgres
from include.descriptions.plan import COLUMN, SCHEMA, TABLE, Change, Current, ObjectKey
from include.descriptions.pool import apply_changes
from include.sources.postgres import PostgresSource

pytestmark = pytest.mark.integration

NASTY = ["'); DROP TABLE public.actor; --", "a\\b \\n $$ $x$ ; -- /* */ \"q\" 'q'\n\r\t end", "日本語 ✓ ß",
         "E'\\x41'", ""]


@pytest.fixture
def source(pagila_db):
    cluster = pagila_db
    return PostgresSource(conn_id="pagila_postgres", host=cluster.host, port=cluster.port, database="pagila",
                          username=cluster.user, password=cluster.password)


def read(source, schemas=None):
    with postgres.connect(source, lock_timeout_ms=1000, autocommit=True) as conn:
        return postgres.read_comments(conn, schemas)


def test_statements_quote_every_identifier_and_text():
    statement = postgres.comment_statement(Change(COLUMN, ObjectKey('a "b".c', "select", "x y"), None, "it's"), "db")
    assert statement.as_string() == 'COMMENT ON COLUMN "a ""b"".c"."select"."x y" IS \'it\'\'s\''
    cleared = postgres.comment_statement(Change(SCHEMA, ObjectKey("s"), "old", None), "db")
    assert cleared.as_string() == 'COMMENT ON SCHEMA "s" IS NULL'


def test_nasty_names_and_texts_arrive_exactly(source, pagila_db):
    pagila_db.psql('CREATE SCHEMA "we ""quote"".dots"; CREATE TABLE "we ""quote"".dots"."from" ("a;b" int, '
                   '"ünï ""c""" text)', database="pagila")
    schema, table = 'we "quote".dots', "from"
    changes = [Change(SCHEMA, ObjectKey(schema), None, NASTY[0]),
               Change(TABLE, ObjectKey(schema, table), None, NASTY[1]),
               Change(COLUMN, ObjectKey(schema, table, "a;b"), None, NASTY[2]),
               Change(COLUMN, ObjectKey(schema, table, 'ünï "c"'), None, NASTY[3]),
               Change(TABLE, ObjectKey("public", "actor"), None, NASTY[4])]
    outcome = apply_changes(changes, postgres.driver(source, "pagila", lock_timeout_ms=1000), workers=3)
    assert outcome.failed == [] and len(outcome.written) == 5 and outcome.connections <= 3
    current = read(source, [schema, "public"])
    assert [current[c.key].comment for c in changes] == NASTY[:4] + [None]  # '' is no comment in PostgreSQL
    assert pagila_db.psql("SELECT count(*) FROM public.actor", database="pagila") == "200"
    assert current[ObjectKey(schema, table)].kind == TABLE


def test_one_catalog_query_reads_every_kind(source):
    current = read(source)
    assert current[ObjectKey()].kind == "database"
    assert current[ObjectKey("public", "actor_info")].kind == "view"
    assert current[ObjectKey("public", "rental_by_category")].kind == "materialized view"
    assert current[ObjectKey("public", "payment")].kind == TABLE  # partitioned
    assert current[ObjectKey("public", "film", "title")] == Current(COLUMN, None)
    assert not any(k.schema in ("pg_catalog", "information_schema") for k in current)
    assert set(read(source, ["public"])) == {k for k in current if k.schema in (None, "public")}


def test_an_object_dropped_between_the_read_and_the_write_is_reported_and_the_rest_written(source, pagila_db):
    current = read(source, ["public"])
    assert ObjectKey("public", "film_category") in current
    changes = [Change(TABLE, ObjectKey("public", "film_category"), None, "gone by then"),
               Change(COLUMN, ObjectKey("public", "film_category", "film_id"), None, "gone too"),
               Change(TABLE, ObjectKey("public", "actor"), None, "written")]
    pagila_db.psql("DROP TABLE public.film_category CASCADE", database="pagila")
    outcome = apply_changes(changes, postgres.driver(source, "pagila", lock_timeout_ms=1000), workers=2)
    assert [c.key.table for c in outcome.written] == ["actor"]
    assert [(c.key, reason) for c, reason, _ in outcome.failed] == [
        (ObjectKey("public", "film_category"), "dropped"), (ObjectKey("public", "film_category", "film_id"), "dropped")]
    assert 'relation "public.film_category" does not exist' in outcome.failed[0][2]
    assert read(source, ["public"])[ObjectKey("public", "actor")].comment == "written"


def test_a_locked_table_times_out_alone_and_quickly(source, pagila_db):
    holder = psycopg.connect(host=pagila_db.host, port=pagila_db.port, dbname="pagila", user=pagila_db.user,
                             password=pagila_db.password)
    try:
        holder.execute("LOCK TABLE public.film IN ACCESS EXCLUSIVE MODE")  # a long-running migration, say
        changes = [Change(TABLE, ObjectKey("public", "film"), None, "waits"),
                   Change(TABLE, ObjectKey("public", "actor"), None, "not blocked")]
        started = time.monotonic()
        outcome = apply_changes(changes, postgres.driver(source, "pagila", lock_timeout_ms=300), workers=1)
        elapsed = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert [(c.key.table, reason) for c, reason, _ in outcome.failed] == [("film", "lock timeout")]
    assert [c.key.table for c in outcome.written] == ["actor"]  # same worker, same connection, next object
    assert elapsed < 5, f"{elapsed:.1f} s"


def test_workers_are_bounded(source):
    changes = [Change(COLUMN, ObjectKey("public", "film", col), None, f"c{i}") for i, col in enumerate(
        ["film_id", "title", "description", "release_year", "language_id", "rental_duration", "rental_rate"])]
    seen = set()
    lock = threading.Lock()
    driver = postgres.driver(source, "pagila", lock_timeout_ms=1000)
    original = driver.write

    def write(conn, change):
        with lock:
            seen.add(id(conn))
        original(conn, change)

    outcome = apply_changes(changes, driver.__class__(driver.connect, write, driver.classify, driver.usable),
                            workers=2)
    assert len(outcome.written) == 7 and outcome.connections <= 2 and len(seen) <= 2
