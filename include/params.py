"""Manual-trigger params of every datakit DAG: declared once, read and checked one way.

Each DAG family keeps its own ``PARAM_SPECS`` (name -> JSON schema, title, description); this
module turns them into Airflow ``Param``s and checks what a trigger sent: unknown keys, flags
that are not booleans, filters that are not regular expressions. Every error is a
``ConfigError`` naming ``params.<name>`` and the fix, raised before anything runs.

Light at import (standard library and ``include.errors`` only): DAG files read the params.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from include.errors import ConfigError


def dag_params(specs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``params`` for ``DAG(...)`` from ``specs``: each defaults to ``None`` ("the configured
    options"); Airflow validates the JSON schema at trigger time."""
    from airflow.sdk import Param

    return {name: Param(None, title=spec["title"], description=spec["description"], **spec["schema"])
            for name, spec in specs.items()}


def reject_unknown(conf: Mapping[str, Any] | None, known: Sequence[str]) -> None:
    """A ``ConfigError`` for the first key of the trigger configuration not in ``known`` (listed
    in the message in ``known``'s order)."""
    unknown = sorted(set(conf or {}) - set(known))
    if unknown:
        raise ConfigError(f"params.{unknown[0]}", f"unknown option {unknown[0]!r} in the trigger configuration",
                          f"use only {', '.join(known)}")


def require_bool(value: Any, name: str) -> bool:
    """``value`` of the param ``name`` when it is a boolean, else a ``ConfigError``."""
    if not isinstance(value, bool):
        raise ConfigError(f"params.{name}", f"{value!r} is not true or false", "use true or false")
    return value


def regex_patterns(values: Sequence[str] | str | None, field_name: str) -> tuple[str, ...]:
    """A filter as a tuple of checked regular expressions: ``None`` or empty is none, a string is
    one per line, blank lines are dropped; anything else names ``field_name`` and the fix."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = values.splitlines()
    if not isinstance(values, (list, tuple)):
        raise ConfigError(field_name, f"{values!r} is not a list of regular expressions", 'give e.g. ["^public$"]')
    result = []
    for raw in values:
        if not isinstance(raw, str):
            raise ConfigError(field_name, f"{raw!r} is not a string", "give regular expressions as strings")
        pattern = raw.strip()
        if not pattern:
            continue
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(field_name, f"{pattern!r} is not a valid regular expression ({exc})",
                              "fix the pattern (Python `re` syntax), e.g. ^public$") from None
        result.append(pattern)
    return tuple(result)
