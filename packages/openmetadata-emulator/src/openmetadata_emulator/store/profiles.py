"""Table data that is not metadata: profiles (table, column, system), profiler config, sample data.

What the real server does (``TableRepository`` of OpenMetadata 2.0: ``addTableProfileData``,
``getLatestTableProfile``, ``getTableProfiles``, ``getColumnProfiles``, ``addTableProfilerConfig``,
``addSampleData``): profiles are time series kept beside the entity (entity extensions
``table.tableProfile`` / ``table.columnProfile`` / ``table.systemProfile``, one row per
timestamp: a re-sent timestamp replaces its row), never a new entity version. A column profile
for a column the table does not have is refused (400 ``Invalid column name``). Reads by FQN
answer the latest profile on the table and on each column.

Kept in a ``DepthData`` attached to the store (these are not entity collections), cleared with
the store; it is not written to the state file.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from typing import Any, Collection

from .. import sdk
from .base import ApiError, parse

_ATTR = "_openmetadata_emulator_depth"
_ATTACH_LOCK = threading.Lock()


class DepthData:
    """Profiles, profiler configs, sample data, queries and joins of one store."""

    def __init__(self) -> None:
        # table id -> timestamp -> TableProfile json
        self.table_profiles: dict[str, dict[int, dict]] = defaultdict(dict)
        # column FQN -> timestamp -> ColumnProfile json
        self.column_profiles: dict[str, dict[int, dict]] = defaultdict(dict)
        # table id -> timestamp -> [SystemProfile json]
        self.system_profiles: dict[str, dict[int, list]] = defaultdict(dict)
        self.profiler_configs: dict[str, dict] = {}
        self.sample_data: dict[str, dict] = {}
        # query checksum -> Query entity json (see store/queries.py)
        self.queries: dict[str, dict] = {}
        # table id -> joins json (see store/queries.py)
        self.joins: dict[str, dict] = {}

    def clear(self) -> None:
        for value in vars(self).values():
            value.clear()


def depth(store) -> DepthData:
    """The store's ``DepthData`` (created on first use; ``store.clear()`` clears it too)."""
    data = getattr(store, _ATTR, None)
    if data is not None:
        return data
    with _ATTACH_LOCK:
        data = getattr(store, _ATTR, None)
        if data is None:
            data = DepthData()
            original_clear = store.clear

            def clear() -> None:
                original_clear()
                with store.lock:
                    data.clear()

            store.clear = clear
            setattr(store, _ATTR, data)
    return data


def _table(store, *, entity_id: str | None = None, fqn: str | None = None) -> dict:
    with store.lock:
        if entity_id is not None:
            table = store.entity_by_id(entity_id, ("table",), include_deleted=False)
            if table is None:
                raise ApiError(404, f"table instance for {entity_id} not found")
            return table
        table = store.entity_by_fqn(("table",), fqn)
        if table is None:
            raise ApiError(404, f"table instance for {fqn} not found")
        return table


def require_columns(names: Any, known: Collection[str]) -> None:
    """400 ``Invalid column name <name>`` for the first of ``names`` not in ``known``."""
    for name in names or []:
        if name not in known:
            raise ApiError(400, f"Invalid column name {name}")


def _columns(table: dict) -> dict[str, dict]:
    """Column FQN -> column, nested columns included."""
    out: dict[str, dict] = {}

    def walk(columns: list) -> None:
        for column in columns or []:
            out[column["fullyQualifiedName"]] = column
            walk(column.get("children") or [])

    walk(table.get("columns") or [])
    return out


def _latest(series: dict[int, Any]) -> Any:
    return series[max(series)] if series else None


def add_table_profile(store, table_id: str, body: Any) -> dict:
    """``PUT /tables/{id}/tableProfile`` with a ``CreateTableProfileRequest``; answers the table."""
    model = sdk.model("api.data.createTableProfile.CreateTableProfileRequest")
    request = parse(model, body).model_dump(mode="json", exclude_none=True)
    data = depth(store)
    with store.lock:
        table = _table(store, entity_id=table_id)
        by_name = {c["name"]: fqn for fqn, c in _columns(table).items()}
        column_rows = []
        for profile in request.get("columnProfile") or []:
            name = profile.get("name")
            require_columns([name], by_name)
            column_rows.append((by_name[name], profile))
        table_profile = request["tableProfile"]
        data.table_profiles[table["id"]][int(table_profile["timestamp"])] = table_profile
        for column_fqn, profile in column_rows:
            data.column_profiles[column_fqn][int(profile["timestamp"])] = profile
        for system in request.get("systemProfile") or []:
            data.system_profiles[table["id"]].setdefault(int(system["timestamp"]), []).append(system)
        return latest_profile(store, table["fullyQualifiedName"])


def latest_profile(store, fqn: str, include_columns: bool = True) -> dict:
    """``GET /tables/{fqn}/tableProfile/latest``: the table with its latest profile on it and,
    when ``include_columns``, on each column."""
    data = depth(store)
    with store.lock:
        table = copy.deepcopy(_table(store, fqn=fqn))
        latest = _latest(data.table_profiles.get(table["id"], {}))
        if latest is not None:
            table["profile"] = latest
        if include_columns:
            for column_fqn, column in _columns(table).items():  # the copy's own column dicts
                profile = _latest(data.column_profiles.get(column_fqn, {}))
                if profile is not None:
                    column["profile"] = profile
        return table


def _window(series: dict[int, Any], start_ts: int | None, end_ts: int | None) -> list:
    return [v for ts, v in sorted(series.items(), reverse=True)
            if (start_ts is None or ts >= start_ts) and (end_ts is None or ts <= end_ts)]


def table_profiles(store, fqn: str, start_ts: int | None, end_ts: int | None) -> list[dict]:
    data = depth(store)
    with store.lock:
        table = _table(store, fqn=fqn)
        return copy.deepcopy(_window(data.table_profiles.get(table["id"], {}), start_ts, end_ts))


def column_profiles(store, column_fqn: str, start_ts: int, end_ts: int) -> list[dict]:
    data = depth(store)
    with store.lock:
        table_fqn = sdk.build(*sdk.split(column_fqn)[:-1])
        table = _table(store, fqn=table_fqn)
        columns = _columns(table)
        column = columns.get(column_fqn) or next(
            (c for f, c in columns.items() if sdk.normalized(f) == sdk.normalized(column_fqn)), None)
        if column is None:
            raise ApiError(404, f"column instance for {column_fqn} not found")
        return copy.deepcopy(_window(data.column_profiles.get(column["fullyQualifiedName"], {}), start_ts, end_ts))


def system_profiles(store, fqn: str, start_ts: int, end_ts: int) -> list[dict]:
    data = depth(store)
    with store.lock:
        table = _table(store, fqn=fqn)
        rows = _window(data.system_profiles.get(table["id"], {}), start_ts, end_ts)
        return copy.deepcopy([item for batch in rows for item in batch])


def put_profiler_config(store, table_id: str, body: Any) -> dict:
    """``PUT /tables/{id}/tableProfilerConfig`` (``TableProfilerConfig``); answers the table with it."""
    model = sdk.model("entity.data.table.TableProfilerConfig")
    config = parse(model, body).model_dump(mode="json", exclude_none=True)
    data = depth(store)
    with store.lock:
        table = _table(store, entity_id=table_id)
        require_columns(config.get("excludeColumns"), {c["name"] for c in _columns(table).values()})
        data.profiler_configs[table["id"]] = config
        return dict(copy.deepcopy(table), tableProfilerConfig=config)


def _table_with(store, table_id: str, stored: dict[str, dict], field: str) -> dict:
    """The table answered with ``field`` set to what ``stored`` holds for it (absent when nothing)."""
    with store.lock:
        table = _table(store, entity_id=table_id)
        value = stored.get(table["id"])
        return dict(copy.deepcopy(table), **({field: copy.deepcopy(value)} if value else {}))


def get_profiler_config(store, table_id: str) -> dict:
    return _table_with(store, table_id, depth(store).profiler_configs, "tableProfilerConfig")


def delete_profiler_config(store, table_id: str) -> dict:
    data = depth(store)
    with store.lock:
        table = _table(store, entity_id=table_id)
        data.profiler_configs.pop(table["id"], None)
        return copy.deepcopy(table)


def put_sample_data(store, table_id: str, body: Any) -> dict:
    """``PUT /tables/{id}/sampleData`` (``TableData``): every column named must be a table column."""
    model = sdk.model("entity.data.table.TableData")
    sample = parse(model, body).model_dump(mode="json", exclude_none=True)
    data = depth(store)
    with store.lock:
        table = _table(store, entity_id=table_id)
        require_columns(sample.get("columns"), {c["name"] for c in table.get("columns") or []})
        data.sample_data[table["id"]] = sample
        return dict(copy.deepcopy(table), sampleData=sample)


def get_sample_data(store, table_id: str) -> dict:
    return _table_with(store, table_id, depth(store).sample_data, "sampleData")


def profiler_config_of(store, table_id: str) -> dict | None:
    """For table reads with ``fields=tableProfilerConfig``."""
    with store.lock:
        return copy.deepcopy(depth(store).profiler_configs.get(table_id))
