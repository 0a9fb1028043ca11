"""Exact row counts for PostgreSQL tables under the sampling threshold (an SDK behaviour fix).

The SDK's PostgreSQL profiler (2.0.6, ``PostgresTableMetricComputer``) reports a table's row
count from ``pg_class.reltuples``: PostgreSQL's *estimate*, as fresh as the last ANALYZE or
autovacuum, and ``-1`` for a table never analyzed (pagila freshly loaded: every table showed
``rowCount -1``). A catalog whose row counts are wrong is worse than none. The datakit's rule:

* estimate under ``ProfilerOptions.sample_from_rows`` (1,000,000), or no estimate (``-1``):
  the exact ``count(*)`` (one scan of a small table);
* from there: the estimate, as the SDK does (a ``count(*)`` of a huge table is the cost the
  sampling rule avoids). The task log states the rule.

Everything else of the SDK's answer (size in bytes, column count and names) is kept. Applied
by ``apply(exact_below)`` before the profiler workflow starts; it checks the SDK still has the
shape it patches and otherwise leaves it alone (logging why).
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_STATE = {"exact_below": 1_000_000, "applied": False}


def apply(exact_below: int) -> bool:
    """Register the exact-count computer for PostgreSQL; idempotent. Returns whether it is active."""
    with _LOCK:
        _STATE["exact_below"] = int(exact_below)
        if _STATE["applied"]:
            return True
        try:
            from sqlalchemy import func, select

            from metadata.profiler.orm.functions import table_metric_computer as computers
            from metadata.profiler.orm.registry import Dialects

            base = computers.PostgresTableMetricComputer
            factory = computers.table_metric_computer_factory
            assert callable(getattr(base, "compute", None)) and hasattr(factory, "register")
        except (ImportError, AttributeError, AssertionError) as exc:  # another SDK version
            log.warning("exact row counts not applied (the SDK changed: %s); row counts are estimates", exc)
            return False

        class ExactSmallTableCounts(base):
            """``PostgresTableMetricComputer`` with ``count(*)`` below the threshold (module docstring)."""

            def compute(self):
                row = super().compute()
                if row is None or not hasattr(row, "_asdict"):
                    return row
                values = row._asdict()
                estimate = values.get("rowCount")
                if estimate is not None and estimate >= _STATE["exact_below"]:
                    return row
                session = self.runner._session
                exact = session.execute(select(func.count()).select_from(self.runner.table)).scalar()
                values["rowCount"] = int(exact)
                return _Row(values)

        factory.register(Dialects.Postgres, ExactSmallTableCounts)
        _STATE["applied"] = True
        return True


class _Row(tuple):
    """A result row the SDK reads with ``_asdict()`` and attribute access."""

    def __new__(cls, values: dict):
        row = super().__new__(cls, tuple(values.values()))
        row._values = dict(values)
        return row

    def _asdict(self) -> dict:
        return dict(self._values)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None
