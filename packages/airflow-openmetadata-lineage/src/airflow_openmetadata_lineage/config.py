"""The package's settings: every knob and its default in one place, ``LineageConfig``.

Each setting ``<name>`` is read, in this order, from

1. the environment variable ``OPENMETADATA_LINEAGE_<NAME>``;
2. Airflow's config section ``[openmetadata_lineage]`` (``airflow.cfg``, or the environment
   variable ``AIRFLOW__OPENMETADATA_LINEAGE__<NAME>``);
3. the names of version 0 (``DATAKIT_LINEAGE_<NAME>``, section ``[datakit_lineage]``): they
   still work, with a ``DeprecationWarning`` and one log line naming the new name;
4. the default (the field's default below).

A value that cannot be used (``timeout_seconds=abc``) is one warning naming the setting, and the
default applies: a setting never fails a user's task. The OpenMetadata endpoint and token come
from the Airflow connection ``openmetadata_conn_id`` (see ``connection.py``).
Light: the standard library only; Airflow's config is imported when a value is read.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Mapping

SECTION = "openmetadata_lineage"
ENV_PREFIX = "OPENMETADATA_LINEAGE_"
OLD_SECTION = "datakit_lineage"
OLD_ENV_PREFIX = "DATAKIT_LINEAGE_"
DEFAULT_PORTS = {"postgres": 5432, "postgresql": 5432, "mssql": 1433, "sqlserver": 1433}

log = logging.getLogger("airflow_openmetadata_lineage")
_deprecation_logged: set[str] = set()


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class LineageConfig:
    """All settings of the listener and the helpers, with their defaults. ``LineageConfig.load()``
    reads the current values (cheap: a few dictionary and config lookups)."""

    enabled: bool = field(default=True, metadata=_help(
        "kill switch: `false` makes the listener return at once, without any call"))
    sql_lineage: bool = field(default=True, metadata=_help(
        "lineage from the SQL a task ran (tasks without declared inlets and outlets); `false` turns off "
        "this automatic part alone"))
    timeout_seconds: float = field(default=3.0, metadata=_help(
        "the most time one task's lineage may add to the task (>= 0.1)"))
    pipeline_service: str = field(default="datakit_airflow", metadata=_help(
        "OpenMetadata pipeline service of this Airflow; give each Airflow deployment its own"))
    openmetadata_conn_id: str = field(default="openmetadata_default", metadata=_help(
        "Airflow connection of the OpenMetadata server (http; Password = ingestion-bot JWT)"))
    asset_services: Mapping[str, str] = field(default_factory=dict, metadata=_help(
        'JSON `{"host:port/database": "<database service>"}`: table Assets -> OpenMetadata service'))
    asset_connections: tuple[str, ...] = field(default=(), metadata=_help(
        "comma-separated connection ids: a table Asset on a connection's host:port/database maps to "
        "the service named like the connection"))
    airflow_base_url: str | None = field(default=None, metadata=_help(
        "links from OpenMetadata back to Airflow; empty: Airflow's `[api] base_url`"))

    @classmethod
    def load(cls) -> "LineageConfig":
        """The settings as the environment and Airflow's config have them now."""
        values: dict[str, Any] = {}
        sections = _Sections()
        for spec in fields(cls):
            raw = read_raw(spec.name, sections)
            if raw is None:
                continue
            try:
                values[spec.name] = _PARSERS[spec.name](raw)
            except ValueError as exc:
                log.warning("openmetadata lineage: setting %s%s=%r ignored (%s); the default %r applies. "
                            "Fix: set a valid value", ENV_PREFIX, spec.name.upper(), raw, exc,
                            _default_of(spec.name))
        if "airflow_base_url" not in values:
            values["airflow_base_url"] = _airflow_base_url(sections)
        return cls(**values)


def _default_of(name: str) -> Any:
    spec = next(f for f in fields(LineageConfig) if f.name == name)
    return spec.default_factory() if callable(spec.default_factory) else spec.default  # type: ignore[misc]


def settings_table() -> list[tuple[str, str, str]]:
    """``(environment variable, default, meaning)`` of every setting, for docs and ``--help``."""
    rows = []
    for spec in fields(LineageConfig):
        default = _default_of(spec.name)
        shown = {True: "true", False: "false", None: "(none)"}.get(default, default) if not isinstance(
            default, (dict, tuple)) else (json.dumps(default) if isinstance(default, dict) else ",".join(default))
        rows.append((f"{ENV_PREFIX}{spec.name.upper()}", str(shown) if shown != "" else "(empty)",
                     spec.metadata.get("help", "")))
    return rows


class _Sections:
    """Airflow's config sections of the settings, read once per ``load`` (``conf.get`` costs ~40 us a
    key; the listener reads every setting for every task). A section's value is its environment
    variable ``AIRFLOW__<SECTION>__<NAME>`` if set, else airflow.cfg's, as ``conf.get`` has it."""

    def __init__(self) -> None:
        self._files: dict[str, dict[str, str]] = {}

    def get(self, section: str, name: str) -> str | None:
        value = os.environ.get(f"AIRFLOW__{section.upper()}__{name.upper()}")
        if value is not None:
            return value
        if section not in self._files:
            self._files[section] = _conf_section(section)
        return self._files[section].get(name)


def _conf_section(section: str) -> dict[str, str]:
    try:
        from airflow.configuration import conf

        if not conf.has_section(section):
            return {}
        return {str(k).lower(): str(v) for k, v in (conf.getsection(section) or {}).items()}
    except Exception:  # no Airflow config here (a plain script): defaults apply
        return {}


def read_raw(name: str, sections: _Sections | None = None) -> str | None:
    """The raw text of setting ``name`` from the first place that has it (see the module doc)."""
    sections = sections or _Sections()
    value = _clean(os.environ.get(ENV_PREFIX + name.upper()))
    if value is None:
        value = _clean(sections.get(SECTION, name))
    if value is not None:
        return value
    old_env = _clean(os.environ.get(OLD_ENV_PREFIX + name.upper()))
    if old_env is not None:
        _deprecated(OLD_ENV_PREFIX + name.upper(), ENV_PREFIX + name.upper())
        return old_env
    old_conf = _clean(sections.get(OLD_SECTION, name))
    if old_conf is not None:
        _deprecated(f"[{OLD_SECTION}] {name}", f"[{SECTION}] {name}")
        return old_conf
    return None


def _clean(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _deprecated(old: str, new: str) -> None:
    message = f"{old} is deprecated; use {new} (airflow-openmetadata-lineage)"
    warnings.warn(message, DeprecationWarning, stacklevel=3)
    if old not in _deprecation_logged:
        _deprecation_logged.add(old)
        log.warning("openmetadata lineage: %s is deprecated and still read; rename it to %s", old, new)


def _bool(raw: str) -> bool:
    text = raw.lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ValueError("not true or false")


def _seconds(raw: str) -> float:
    value = float(raw)
    if not value >= 0.1:  # also refuses NaN
        raise ValueError("must be a number of seconds >= 0.1")
    return value


def _services(raw: str) -> dict[str, str]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ValueError('not a JSON object {"host:port/database": "<service>"}')
    return {normalise_service_key(str(k)): str(v) for k, v in value.items()}


def _ids(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _text(raw: str) -> str:
    return raw


def normalise_service_key(key: str) -> str:
    """``host:port/database`` with the host lower-cased (URIs compare hosts case-insensitively)."""
    authority, _, database = key.partition("/")
    host, sep, port = authority.rpartition(":")
    if not sep:
        host, port = authority, ""
    return f"{host.lower()}{':' if port else ''}{port}/{database}"


_PARSERS: dict[str, Callable[[str], Any]] = {
    "enabled": _bool,
    "sql_lineage": _bool,
    "timeout_seconds": _seconds,
    "pipeline_service": _text,
    "openmetadata_conn_id": _text,
    "asset_services": _services,
    "asset_connections": _ids,
    "airflow_base_url": lambda raw: raw.rstrip("/"),
}


def _airflow_base_url(sections: _Sections) -> str | None:
    value = _clean(sections.get("api", "base_url"))
    return value.rstrip("/") if value else None
