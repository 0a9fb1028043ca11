"""Writing changes in parallel: a bounded thread pool, one database connection per worker.

Each change is its own short transaction (the driver module decides the statement and the lock
timeout); a change that fails is recorded with its reason and the others go on. A worker whose
connection broke opens a new one for its next change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from include.descriptions.plan import Change

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    written: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, str, str]] = field(default_factory=list)  # change, reason, error text
    connections: int = 0


@dataclass(frozen=True)
class Driver:
    """How one database kind writes: ``connect() -> conn``, ``write(conn, change)`` (one
    transaction), ``classify(exc) -> (reason, message)``, ``usable(conn) -> bool``."""

    connect: Callable[[], Any]
    write: Callable[[Any, Change], None]
    classify: Callable[[BaseException], tuple[str, str]]
    usable: Callable[[Any], bool]


def apply_changes(changes: Sequence[Change], driver: Driver, *, workers: int) -> Outcome:
    """Write ``changes`` with at most ``workers`` connections; never raises for one change."""
    outcome = Outcome()
    if not changes:
        return outcome
    local = threading.local()
    opened: list[Any] = []
    lock = threading.Lock()

    def connection() -> Any:
        conn = getattr(local, "conn", None)
        if conn is not None and driver.usable(conn):
            return conn
        conn = driver.connect()
        local.conn = conn
        with lock:
            opened.append(conn)
            outcome.connections += 1
        return conn

    def one(change: Change) -> None:
        try:
            driver.write(connection(), change)
        except Exception as exc:  # noqa: BLE001 - one object's failure is reported, not raised
            reason, message = driver.classify(exc)
            with lock:
                outcome.failed.append((change, reason, message))
            return
        with lock:
            outcome.written.append(change)

    size = max(1, min(int(workers), len(changes)))
    try:
        with ThreadPoolExecutor(max_workers=size, thread_name_prefix="sync-descriptions") as pool:
            list(pool.map(one, changes))
    finally:
        for conn in opened:
            try:
                conn.close()
            except Exception as exc:  # noqa: BLE001 - closing is best effort
                log.debug("closing a writer connection failed: %s", exc)
    order = {id(c): i for i, c in enumerate(changes)}
    outcome.written.sort(key=lambda c: order[id(c)])
    outcome.failed.sort(key=lambda f: order[id(f[0])])
    return outcome
