"""The datakit's profiling and classification defaults (ONE place) and the manual-trigger params.

Light at import (standard library and ``include.errors`` only): DAG files read the params.

Defaults a data team would choose, each overridable by an environment variable:

* **Profiler** (the SDK's ``DatabaseServiceProfilerPipeline``): table and column metrics on;
  views excluded (``include_views``: a view's profile re-runs its query); a per-table timeout
  (``DATAKIT_PROFILER_TIMEOUT_SECONDS``, 600) and a thread count
  (``DATAKIT_PROFILER_THREADS``, 2) from settings. **Large tables are sampled** by the SDK's
  dynamic sampling with fixed thresholds: a table under ``DATAKIT_PROFILER_SAMPLE_FROM_ROWS``
  rows (1,000,000) is profiled whole; from there a ``DATAKIT_PROFILER_SAMPLE_PERCENT`` sample
  (10 %); from 100x that row count, a tenth of that percentage (1 %).
* **Classification** (the SDK's ``DatabaseServiceAutoClassificationPipeline``): the SDK's PII
  classifier with confidence ``DATAKIT_PII_CONFIDENCE`` (80, the SDK's default); tags land
  as the SDK writes them (``PII.Sensitive`` / ``PII.NonSensitive``, state *Suggested*, for a
  steward to confirm). **Sample data off**: sample rows are copies of the data and may hold
  PII; opt in per run (param ``store_sample_data``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from include.errors import ConfigError
from include.params import dag_params as params_of, regex_patterns, reject_unknown, require_bool

# The spaCy pipeline the SDK's PII classifier loads for English (``metadata.pii.constants``);
# the image installs it from a pinned wheel (see docs), it is never downloaded at run time.
SPACY_MODEL = "en_core_web_md"


def _env_number(name: str, default: float, *, low: float, high: float, integer: bool = True) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a{'n integer' if integer else ' number'}",
                          f"set a number from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"{value} is out of range", f"set a number from {low:g} to {high:g}")
    return value


@dataclass(frozen=True)
class ProfilerOptions:
    """What the profiler computes, where, and how hard it pushes the source."""

    schema_includes: tuple[str, ...] = ()
    schema_excludes: tuple[str, ...] = ("^information_schema$", "^pg_catalog$", "^pg_toast$")
    table_includes: tuple[str, ...] = ()
    table_excludes: tuple[str, ...] = ()
    include_views: bool = False
    compute_table_metrics: bool = True
    compute_column_metrics: bool = True
    timeout_seconds: int = field(default_factory=lambda: int(_env_number(
        "DATAKIT_PROFILER_TIMEOUT_SECONDS", 600, low=1, high=43200)))
    threads: int = field(default_factory=lambda: int(_env_number("DATAKIT_PROFILER_THREADS", 2, low=1, high=32)))
    # Large tables: dynamic sampling from this many rows (below: the whole table).
    sample_from_rows: int = field(default_factory=lambda: int(_env_number(
        "DATAKIT_PROFILER_SAMPLE_FROM_ROWS", 1_000_000, low=1, high=10**12)))
    sample_percent_large: float = field(default_factory=lambda: float(_env_number(
        "DATAKIT_PROFILER_SAMPLE_PERCENT", 10.0, low=0.01, high=100, integer=False)))
    # A manual run's fixed sample (one of them, or neither): percent of rows, or a row count.
    sample_percent: float | None = None
    sample_rows: int | None = None

    def validated(self, prefix: str = "profiler") -> "ProfilerOptions":
        checked = {name: regex_patterns(getattr(self, name), f"{prefix}.{name}") for name in
                   ("schema_includes", "schema_excludes", "table_includes", "table_excludes")}
        if not 1 <= int(self.threads) <= 32:
            raise ConfigError(f"{prefix}.threads", f"{self.threads} is out of range", "use 1 to 32")
        if not 1 <= int(self.timeout_seconds) <= 43200:
            raise ConfigError(f"{prefix}.timeout_seconds", f"{self.timeout_seconds} is out of range",
                              "use 1 to 43200 seconds")
        if self.sample_percent is not None and self.sample_rows is not None:
            raise ConfigError(f"{prefix}.sample_percent", "both sample_percent and sample_rows are set",
                              "give one of them (or neither: whole tables, large ones sampled)")
        if self.sample_percent is not None and not 0 < float(self.sample_percent) <= 100:
            raise ConfigError(f"{prefix}.sample_percent", f"{self.sample_percent} is out of range",
                              "use a percentage above 0 and at most 100")
        if self.sample_rows is not None and int(self.sample_rows) < 1:
            raise ConfigError(f"{prefix}.sample_rows", f"{self.sample_rows} is out of range", "use 1 or more rows")
        return replace(self, **checked)

    def sampling_rule(self) -> str:
        """The sampling rule in words (for the task log and the DAG docs)."""
        if self.sample_percent is not None:
            return f"every table: a {self.sample_percent:g} % sample (manual run)"
        if self.sample_rows is not None:
            return f"every table: a sample of {self.sample_rows} rows (manual run)"
        return (f"tables under {self.sample_from_rows:,} rows whole; from {self.sample_from_rows:,} rows a "
                f"{self.sample_percent_large:g} % sample; from {self.sample_from_rows * 100:,} rows "
                f"{self.sample_percent_large / 10:g} %")


@dataclass(frozen=True)
class ClassificationOptions:
    """The SDK's auto-classification (PII) run."""

    enabled: bool = True
    confidence: float = field(default_factory=lambda: float(_env_number(
        "DATAKIT_PII_CONFIDENCE", 80.0, low=0, high=100, integer=False)))
    store_sample_data: bool = False
    sample_rows: int = field(default_factory=lambda: int(_env_number(
        "DATAKIT_PII_SAMPLE_ROWS", 50, low=1, high=1000)))
    include_views: bool = False

    def validated(self, prefix: str = "classification") -> "ClassificationOptions":
        if not 0 <= float(self.confidence) <= 100:
            raise ConfigError(f"{prefix}.confidence", f"{self.confidence} is out of range", "use 0 to 100")
        if not 1 <= int(self.sample_rows) <= 1000:
            raise ConfigError(f"{prefix}.sample_rows", f"{self.sample_rows} is out of range", "use 1 to 1000")
        return self


# Manual-trigger params of the profile DAGs: name -> JSON schema, title, description.
PARAM_SPECS: dict[str, dict[str, Any]] = {
    "schema_filter": {"schema": {"type": ["null", "array"], "items": {"type": "string"}},
                      "title": "Schema filter",
                      "description": "Regular expressions of schemas to profile, one per line (empty: all)."},
    "table_filter": {"schema": {"type": ["null", "array"], "items": {"type": "string"}},
                     "title": "Table filter",
                     "description": "Regular expressions of tables to profile, one per line (empty: all)."},
    "include_views": {"schema": {"type": ["null", "boolean"]}, "title": "Include views",
                      "description": "Profile and classify views too (empty: no)."},
    "sample_percent": {"schema": {"type": ["null", "number"], "exclusiveMinimum": 0, "maximum": 100},
                       "title": "Sample percent",
                       "description": "Profile this percentage of every table (empty: whole tables, large ones sampled)."},
    "sample_rows": {"schema": {"type": ["null", "integer"], "minimum": 1}, "title": "Sample rows",
                    "description": "Profile this many rows of every table (empty: whole tables, large ones sampled)."},
    "classification": {"schema": {"type": ["null", "boolean"]}, "title": "PII classification",
                       "description": "Run the PII auto-classification after the profiler (empty: yes)."},
    "store_sample_data": {"schema": {"type": ["null", "boolean"]}, "title": "Store sample data",
                          "description": "Store sample rows in OpenMetadata (copies of data, may hold PII; empty: no)."},
}


def dag_params() -> dict[str, Any]:
    """``params`` of a profile DAG (Airflow validates types at trigger time)."""
    return params_of(PARAM_SPECS)


def _given(params: Mapping[str, Any] | None, name: str) -> Any:
    value = (params or {}).get(name)
    return None if value in (None, "", []) else value


def options_with_params(
    profiler: ProfilerOptions, classification: ClassificationOptions,
    params: Mapping[str, Any] | None, conf: Mapping[str, Any] | None = None,
) -> tuple[ProfilerOptions, ClassificationOptions]:
    """Apply a manual trigger's params; unknown keys and bad values fail, naming the param."""
    reject_unknown(conf, sorted(PARAM_SPECS))
    p_changes: dict[str, Any] = {}
    c_changes: dict[str, Any] = {}
    if (value := _given(params, "schema_filter")) is not None:
        p_changes["schema_includes"] = regex_patterns(value, "params.schema_filter")
    if (value := _given(params, "table_filter")) is not None:
        p_changes["table_includes"] = regex_patterns(value, "params.table_filter")
    if (value := _given(params, "include_views")) is not None:
        p_changes["include_views"] = c_changes["include_views"] = require_bool(value, "include_views")
    for name, kind in (("sample_percent", float), ("sample_rows", int)):
        value = _given(params, name)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"params.{name}", f"{value!r} is not a number", "give a number")
            p_changes[name] = kind(value)
    if (value := _given(params, "classification")) is not None:
        c_changes["enabled"] = require_bool(value, "classification")
    if (value := _given(params, "store_sample_data")) is not None:
        c_changes["store_sample_data"] = require_bool(value, "store_sample_data")
    profiler = replace(profiler, **p_changes).validated(prefix="params")
    return profiler, replace(classification, **c_changes).validated(prefix="params")
