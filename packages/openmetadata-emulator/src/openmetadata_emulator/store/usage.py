"""Usage as the server keeps it: one row per (entity, day) in ``entity_usage``, and an entity's
``usageSummary`` read back as its latest row.

Read in open-metadata/OpenMetadata: ``UsageResource`` (routes, 201 with a ``ChangeEvent``),
``UsageRepository`` (which entity types, the table's roll-up to its schema and database) and
``CollectionDAO.UsageDAO`` (the SQL below), ``EntityUtil.getLatestUsage`` (the summary):

* a new row: ``count1`` = the count, ``count7``/``count30`` = the count plus the ``count1`` of
  the entity's rows dated on or after ``date - 6`` / ``date - 29`` days
* POST on an existing day (``insertOrReplaceCount``): the day's count is replaced and
  ``count7``/``count30`` shift by the difference; PUT (``insertOrUpdateCount``) adds to all three
* table usage also adds (PUT-style) to its schema's and database's rows
* ``usageSummary`` = the row with the latest date (``dailyStats``/``weeklyStats``/
  ``monthlyStats`` = ``count1``/``count7``/``count30``, ``percentileRank`` 0.0 until
  ``compute.percentile``); with no row: zero counts dated today
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from .. import sdk
from ..specs import BY_TYPE
from .base import ApiError, StoreBase, now_ms, parse

# entity types UsageRepository.addUsage accepts; the emulator serves table and pipeline
USAGE_TYPES = ("table", "pipeline", "dashboard", "chart", "mlmodel")
_ROLLUP = ("databaseSchema", "database")


def _today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()  # noqa: UP017 - Python 3.10 too


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"Invalid date {value!r}: expected yyyy-mm-dd") from None


def _details(date: str, row: dict | None) -> dict:
    row = row or {}

    def stats(n: int) -> dict:
        return {"count": row.get(f"count{n}", 0), "percentileRank": row.get(f"percentile{n}") or 0.0}

    return {"dailyStats": stats(1), "weeklyStats": stats(7), "monthlyStats": stats(30), "date": date}


class UsageStore(StoreBase):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # entity id -> day (yyyy-mm-dd) -> {"entityType", "count1", "count7", "count30", "percentile*"}
        self.usage_rows: dict[str, dict[str, dict]] = defaultdict(dict)

    # ------------------------------------------------------------------ writes

    def _add_count(self, entity_id: str, entity_type: str, date: str, count: int, replace: bool) -> None:
        rows = self.usage_rows[entity_id]
        row = rows.get(date)
        if row is None:
            day = _day(date)

            def since(days: int) -> int:
                first = (day - dt.timedelta(days=days)).isoformat()
                return sum(r["count1"] for d, r in rows.items() if d >= first)

            rows[date] = {
                "entityType": entity_type,
                "count1": count,
                "count7": count + since(6),
                "count30": count + since(29),
            }
        elif replace:
            row["count7"] += count - row["count1"]
            row["count30"] += count - row["count1"]
            row["count1"] = count
        else:
            row["count1"] += count
            row["count7"] += count
            row["count30"] += count

    def report_usage(
        self, entity_type: str, body: Any, *, entity_id=None, fqn=None, replace: bool, user="admin"
    ) -> dict:
        """POST (``replace``) or PUT ``/usage/{type}/{id|name/fqn}``: the ChangeEvent the server answers."""
        model = sdk.model("type.dailyCount.DailyCountOfSomeMeasurement")
        usage = parse(model, body).model_dump(mode="json")
        entity, spec = self._usage_entity(entity_type, entity_id, fqn)
        if entity_type.lower() not in USAGE_TYPES:
            raise ApiError(500, f"Entity type {entity_type} not supported")
        with self.lock:
            before = self.usage_summary(entity["id"])
            self._add_count(entity["id"], spec.entity_type, usage["date"], usage["count"], replace)
            if spec.entity_type == "table":
                for key in _ROLLUP:
                    ref = entity.get(key)
                    if isinstance(ref, dict) and ref.get("id"):
                        self._add_count(ref["id"], ref.get("type", key), usage["date"], usage["count"], False)
            after = self.usage_summary(entity["id"])
            self._mutated()
            version = entity.get("version", 0.1)
            return {
                "id": str(uuid.uuid4()),
                "eventType": "entityUpdated",
                "entityType": entity_type,
                "entityId": entity["id"],
                "entityFullyQualifiedName": entity["fullyQualifiedName"],
                "userName": entity.get("updatedBy") or user,
                "timestamp": now_ms(),
                "previousVersion": version,
                "currentVersion": version,
                "changeDescription": {
                    "fieldsAdded": [],
                    "fieldsUpdated": [{"name": "usageSummary", "oldValue": before, "newValue": after}],
                    "fieldsDeleted": [],
                    "previousVersion": version,
                },
                "entity": {**self.render(spec.name, entity, "usageSummary")},
            }

    def compute_percentile(self, entity_type: str, date: str) -> None:
        """``POST /usage/compute.percentile/{type}/{date}``: percentile = 100 * (rows of that type and
        day with a smaller count) / (rows of that type and day), rounded to 2 places."""
        _day(date)
        with self.lock:
            day_rows = [
                rows[date] for rows in self.usage_rows.values() if rows.get(date, {}).get("entityType") == entity_type
            ]
            total = len(day_rows)
            for row in day_rows:
                for n in (1, 7, 30):
                    smaller = sum(1 for other in day_rows if other[f"count{n}"] < row[f"count{n}"])
                    row[f"percentile{n}"] = round(100 * smaller / total, 2)
            if day_rows:
                self._mutated()

    # ------------------------------------------------------------------ reads

    def _usage_entity(self, entity_type: str, entity_id=None, fqn=None) -> tuple[dict, Any]:
        spec = BY_TYPE.get(entity_type)
        if spec is None:
            raise ApiError(
                501, f"openmetadata-emulator: usage of entity type {entity_type!r} is not emulated (no such collection)"
            )
        if fqn is not None:
            entity, _ = self._require_fqn((entity_type,), fqn)
        else:
            entity, _ = self._require_id((entity_type,), entity_id)
        return entity, spec

    def usage_summary(self, entity_id: str) -> dict:
        rows = self.usage_rows.get(entity_id) or {}
        if not rows:
            return _details(_today(), None)
        latest = max(rows)
        return _details(latest, rows[latest])

    def entity_usage(self, entity_type: str, *, entity_id=None, fqn=None, date=None, days=None) -> dict:
        """``GET /usage/{type}/{id|name/fqn}?days=&date=``: the days ending at ``date``, newest first."""
        entity, spec = self._usage_entity(entity_type, entity_id, fqn)
        end = _day(date or _today())
        span = min(max(days or 0, 1), 30)
        first = (end - dt.timedelta(days=span - 1)).isoformat()
        with self.lock:
            rows = self.usage_rows.get(entity["id"]) or {}
            usage = [_details(d, rows[d]) for d in sorted(rows, reverse=True) if first <= d <= end.isoformat()]
        ref = self.ref(entity, spec.entity_type)
        ref["href"] = f"{self.base_url}/v1/{spec.name}/{entity['id']}"
        return {"entity": ref, "usage": usage}

    def render(self, coll: str, entity: dict, fields: str | None = None) -> dict:
        """The entity as rendered by the other mixins, plus ``usageSummary`` when asked for and the
        entity has one (``fields=usageSummary`` or ``*``), as the server's repositories set it."""
        out = super().render(coll, entity, fields)  # type: ignore[misc]
        wanted = {f.strip() for f in (fields or "").split(",")}
        if ("usageSummary" in wanted or "*" in wanted) and "usageSummary" in self._entity_fields(self.coll(coll)):
            out["usageSummary"] = self.usage_summary(entity["id"])
        return out

    # ------------------------------------------------------------------ state

    def to_json(self) -> dict:
        data = super().to_json()  # type: ignore[misc]
        with self.lock:
            data["usage"] = {eid: dict(rows) for eid, rows in self.usage_rows.items() if rows}
        return data

    def load_json(self, data: dict) -> None:
        super().load_json(data)  # type: ignore[misc]
        with self.lock:
            for eid, rows in (data.get("usage") or {}).items():
                self.usage_rows[eid].update(rows)

    def clear(self) -> None:
        with self.lock:
            self.usage_rows.clear()
            super().clear()  # type: ignore[misc]
