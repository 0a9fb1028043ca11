"""Query-log defaults (ONE place) and the manual-trigger params of the query_log DAGs.

Light at import. Each default is overridable by an environment variable:

* ``DATAKIT_QUERY_LOG_DAYS`` (1): the lookback window, the SDK's ``queryLogDuration``. SQL
  Server's query store has timestamps; PostgreSQL's ``pg_stat_statements`` has none (it holds
  every statement since its last reset), so there the window does not narrow anything.
* ``DATAKIT_QUERY_LOG_LIMIT`` (10,000): at most this many statements read per run.
* ``DATAKIT_QUERY_LOG_PARSE_TIMEOUT`` (60 s): the SDK's per-statement parsing timeout.
* Filters: statements that only read the system catalogs (the datakit's own preflight and
  catalog queries: ``pg_catalog``, ``information_schema``, ``current_setting(``, ``sys.``) are
  excluded; the SDK itself drops the statements it ran (they carry its ``/* {"app":
  "OpenMetadata"...} */`` header). ``DATAKIT_QUERY_LOG_EXCLUDE`` adds a regular expression.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from include.errors import ConfigError
from include.params import dag_params as params_of, reject_unknown, require_bool
from include.settings import env_int

# Statements the datakit itself sends that reach the query log without the SDK's header.
OWN_STATEMENTS = {"postgres": r"(pg_catalog\.|information_schema\.|current_setting\(|pg_stat_statements)"}
MSSQL_OWN_WORDS = ("sys.", "INFORMATION_SCHEMA.")

@dataclass(frozen=True)
class QueryLogOptions:
    days: int = field(default_factory=lambda: env_int("DATAKIT_QUERY_LOG_DAYS", 1, 1, 90))
    result_limit: int = field(default_factory=lambda: env_int("DATAKIT_QUERY_LOG_LIMIT", 10_000, 1, 10_000_000))
    parse_timeout: int = field(default_factory=lambda: env_int("DATAKIT_QUERY_LOG_PARSE_TIMEOUT", 60, 1, 3600))
    exclude: str = field(default_factory=lambda: os.environ.get("DATAKIT_QUERY_LOG_EXCLUDE", "").strip())
    lineage: bool = True
    usage: bool = True

    def validated(self, prefix: str = "query_log") -> "QueryLogOptions":
        if self.exclude:
            try:
                re.compile(self.exclude)
            except re.error as exc:
                raise ConfigError(f"{prefix}.exclude", f"{self.exclude!r} is not a regular expression ({exc})",
                                  "fix DATAKIT_QUERY_LOG_EXCLUDE (POSIX regex, as the database matches it)") from None
            if "'" in self.exclude:
                raise ConfigError(f"{prefix}.exclude", "a quote in the pattern", "remove the ' from the pattern")
        if not self.lineage and not self.usage:
            raise ConfigError(f"{prefix}.lineage", "both lineage and usage are off", "turn one of them on")
        return self

    def filter_condition(self, kind: str) -> str:
        """The SDK's ``filterCondition`` (a SQL condition on the query text column)."""
        if kind == "postgres":  # the SDK prefixes the condition with "s."
            patterns = [OWN_STATEMENTS[kind]] + ([self.exclude] if self.exclude else [])
            return " AND ".join(f"query !~* '{p}'" for p in patterns)
        # SQL Server: LIKE on the statement text column of the SDK's query (``t.text``); an extra
        # regex cannot be expressed there, so DATAKIT_QUERY_LOG_EXCLUDE applies to PostgreSQL only.
        return " AND ".join(f"t.text NOT LIKE '%%{word}%%'" for word in MSSQL_OWN_WORDS)


PARAM_SPECS: dict[str, dict[str, Any]] = {
    "lineage": {"schema": {"type": ["null", "boolean"]}, "title": "Lineage",
                "description": "Build lineage edges from the query log (empty: yes)."},
    "usage": {"schema": {"type": ["null", "boolean"]}, "title": "Usage",
              "description": "Count table usage and store the queries (empty: yes)."},
    "days": {"schema": {"type": ["null", "integer"], "minimum": 1, "maximum": 90}, "title": "Lookback days",
             "description": "How many days of the query log to read (SQL Server; empty: the default)."},
}


def dag_params() -> dict[str, Any]:
    """``params`` of a query-log DAG (Airflow validates types at trigger time)."""
    return params_of(PARAM_SPECS)


def options_with_params(base: QueryLogOptions, params: Mapping[str, Any] | None,
                        conf: Mapping[str, Any] | None = None) -> QueryLogOptions:
    reject_unknown(conf, sorted(PARAM_SPECS))
    changes: dict[str, Any] = {}
    for name in ("lineage", "usage"):
        value = (params or {}).get(name)
        if value is not None:
            changes[name] = require_bool(value, name)
    days = (params or {}).get("days")
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
            raise ConfigError("params.days", f"{days!r} is not a number of days", "use 1 to 90")
        changes["days"] = days
    return replace(base, **changes).validated(prefix="params")
