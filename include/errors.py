"""Errors a user can act on.

Every message names what is wrong (DAG, source, connection, host, field) and the fix.
Raised before any work starts, so bad input loses nothing.
"""

from __future__ import annotations


class DatakitError(Exception):
    """Base class: a problem a user can fix; the message says how."""


class ConfigError(DatakitError):
    """Invalid configuration: a connection, an option or a manual-trigger param.

    ``field`` is the name the user sees (``openmetadata_default.host``,
    ``params.schema_filter``, ...); ``fix`` says what to do.
    """

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{field}: {problem}. Fix: {fix}")


class PreflightError(DatakitError):
    """A dependency (OpenMetadata, a source database, a Kerberos ticket) is not usable."""
