"""Errors a user can act on: each names what is wrong (the DAG, task, field) and the fix."""

from __future__ import annotations


class LineageError(Exception):
    """Base class of this package's errors."""


class LineageConfigError(LineageError, ValueError):
    """A setting, a connection field or a lineage reference that cannot be used.

    ``field`` is the name the user sees (``openmetadata_default.host``,
    ``orders_etl.load.outlets[1]``, ``OPENMETADATA_LINEAGE_TIMEOUT_SECONDS``); ``fix`` says what
    to do. ``str()`` is ``"<field>: <problem>. Fix: <fix>"``.
    """

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{field}: {problem}. Fix: {fix}")


class UnresolvedReference(LineageConfigError):
    """One inlet/outlet of a task that names no OpenMetadata table this package can find.

    The listener reports it (one ERROR line) and sends the task's other edges.
    """
