"""include.workflow.sdk_fixes: the SDK's per-statement version lookup is done once, same header."""

from __future__ import annotations

from importlib.metadata import version

import pytest


def test_query_header_version_is_looked_up_once_and_unchanged(monkeypatch):
    from metadata.ingestion.connections import headers

    from include.workflow import sdk_fixes

    calls = []

    def counting(name):
        calls.append(name)
        return version(name)

    monkeypatch.setattr(headers, "_pkg_version", counting)
    sdk_fixes.apply()
    sdk_fixes.apply()  # idempotent: not wrapped twice

    statements = [headers.inject_query_header(None, None, f"SELECT {i}", {"p": i}, None, False) for i in range(50)]

    assert calls == ["openmetadata-ingestion"]
    expected = headers.render_query_header(version("openmetadata-ingestion"))
    assert statements[7] == (f"{expected}\nSELECT 7", {"p": 7})


def test_apply_tolerates_an_sdk_without_the_lookup(monkeypatch):
    from metadata.ingestion.connections import headers

    from include.workflow import sdk_fixes

    monkeypatch.delattr(headers, "_pkg_version")
    sdk_fixes.apply()  # nothing to fix: no error


@pytest.mark.integration
def test_postgres_fixes_same_answers_fewer_catalog_queries(pagila_db):
    """Domains/enums are read once per inspector; the partition query runs only for partitioned tables."""
    from sqlalchemy import create_engine, event, inspect

    from include.workflow import sdk_fixes

    sdk_fixes.apply("postgres")
    from metadata.ingestion.source.database.postgres.metadata import PostgresSource

    cluster = pagila_db
    engine = create_engine(f"postgresql+psycopg2://{cluster.user}:{cluster.password}@{cluster.host}:{cluster.port}/pagila")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cur, stmt, *a: statements.append(stmt))
    try:
        inspector = inspect(engine)
        film = {c["name"]: c for c in inspector.get_columns("film", "public")}
        actor = [c["name"] for c in inspector.get_columns("actor", "public")]
        inspector.get_columns("customer", "public")
        domain_reads = [s for s in statements if "pg_catalog.pg_type.typbasetype" in s]
        enum_reads = [s for s in statements if "lbl_agg" in s]
        assert len(domain_reads) == 1 and len(enum_reads) == 1, (len(domain_reads), len(enum_reads))
        assert actor == ["actor_id", "first_name", "last_name", "last_update"]
        assert film["rating"]["system_data_type"] == "mpaa_rating"  # the enum still resolves
        assert film["rating"]["type"].__class__.__name__ == "ENUM"

        source = PostgresSource.__new__(PostgresSource)  # only .engine is used by the fixed method
        source.engine = engine
        statements.clear()
        assert source.get_table_partition_details("actor", "public", inspector) == (False, None)
        assert source.get_table_partition_details("film", "public", inspector) == (False, None)
        partitioned, details = source.get_table_partition_details("payment", "public", inspector)
        assert partitioned and details.columns[0].columnName == "payment_date"
        sdk_queries = [s for s in statements if "information_schema.columns" in s]
        assert len(sdk_queries) == 1  # only for payment; the partitioned set was read once
    finally:
        engine.dispose()


def test_the_profilers_full_gc_runs_at_most_once_per_interval(monkeypatch):
    """Fix 4: the SDK's profiler interface calls gc.collect() after every metric; it now gets a
    gc whose collect() runs a full pass at most every FULL_GC_EVERY_SECONDS, the rest unchanged."""
    import gc

    from metadata.profiler.interface.sqlalchemy import profiler_interface

    from include.workflow import sdk_fixes

    monkeypatch.setattr(profiler_interface, "gc", gc)
    sdk_fixes.apply("postgres")  # not a profiler workflow: left alone
    assert profiler_interface.gc is gc
    sdk_fixes.apply("postgres", "profiler")
    throttled = profiler_interface.gc
    assert isinstance(throttled, sdk_fixes.ThrottledGc)
    sdk_fixes.apply("mssql", "profiler")  # idempotent: not wrapped twice
    assert profiler_interface.gc is throttled
    assert throttled.isenabled() is gc.isenabled() and throttled.get_threshold() == gc.get_threshold()

    passes = []
    monkeypatch.setattr(throttled, "_module", type("FakeGc", (), {"collect": staticmethod(
        lambda generation=2: passes.append(generation) or 0)}))
    for _ in range(500):  # one table's worth of metrics and more, within the interval
        throttled.collect()
    assert passes == [2] and throttled.skipped == 499
    throttled._next = 0.0  # the interval has passed
    throttled.collect()
    assert passes == [2, 2]


def test_the_gc_fix_leaves_an_sdk_that_changed_alone(monkeypatch):
    from metadata.profiler.interface.sqlalchemy import profiler_interface

    from include.workflow import sdk_fixes

    monkeypatch.delattr(profiler_interface, "gc")
    sdk_fixes.apply(None, "profiler")  # nothing to fix: no error
    assert not hasattr(profiler_interface, "gc")
