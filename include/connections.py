"""Reading Airflow Connections, with errors that say how to add the missing one."""

from __future__ import annotations

from typing import Any, Mapping

from include.errors import ConfigError


def get_connection(conn_id: str) -> Any:
    """The Airflow Connection ``conn_id`` (UI, ``AIRFLOW_CONN_*`` env or a secrets backend).

    A missing connection is a ``ConfigError`` naming the id and the three ways to add it.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException as exc:
        raise ConfigError(
            conn_id,
            "the Airflow connection is not defined",
            f"add it in the Airflow UI (Admin > Connections), in airflow_settings.yaml for "
            f"`astro dev start`, or as the environment variable "
            f"AIRFLOW_CONN_{conn_id.upper()} (JSON form); see README 'Configuration'",
        ) from exc


def extra_of(conn: Any) -> dict[str, Any]:
    """The connection's extras as a dict, with a clear error when they are not JSON."""
    try:
        extra = conn.extra_dejson
    except Exception as exc:  # pragma: no cover - Airflow already warns on bad JSON
        raise ConfigError(f"{conn.conn_id}.extra", "is not valid JSON", "fix the JSON") from exc
    return dict(extra or {})


def required(conn: Any, conn_id: str, attr: str, problem: str, fix: str) -> str:
    """The connection field ``attr`` (host, schema, login), stripped; empty is a ``ConfigError``
    naming ``{conn_id}.{attr}`` with ``problem`` and ``fix``."""
    value = (getattr(conn, attr) or "").strip()
    if not value:
        raise ConfigError(f"{conn_id}.{attr}", problem, fix)
    return value


PG_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def pg_sslmode(extra: Mapping[str, Any], conn_id: str) -> str:
    """The PostgreSQL ``sslmode`` extra (default ``disable``), checked against libpq's modes."""
    sslmode = str(extra.get("sslmode", "disable")).strip().lower()
    if sslmode not in PG_SSL_MODES:
        raise ConfigError(f"{conn_id}.extra.sslmode", f"{sslmode!r} is not an sslmode",
                          f"use one of {', '.join(PG_SSL_MODES)}")
    return sslmode


def extra_patterns(extra: Mapping[str, Any], key: str, conn_id: str, example: str) -> tuple[str, ...]:
    """The connection extra ``key`` as a tuple of regular expressions (absent or empty: none;
    one string: that one). Anything else is a ``ConfigError`` naming the field, with ``example``
    (a JSON list) as the fix."""
    value = extra.get(key)
    if value in (None, "", []):
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{conn_id}.extra.{key}", f"{value!r} is not a list of regular expressions",
                          f"give a JSON list, e.g. {example}")
    return tuple(str(v) for v in value)


def as_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ConfigError(field, f"{value!r} is not a boolean", "use true or false")


def as_number(value: Any, field: str, *, minimum: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(field, f"{value!r} is not a number", "give a number of seconds") from None
    if number < minimum:
        raise ConfigError(field, f"{number} is below {minimum}", f"give a value >= {minimum}")
    return number
