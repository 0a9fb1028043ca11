"""Entity reads: get by id/FQN, paged lists with filters, rendering with ``fields`` gating, and
the read helpers tests use (``get``, ``entities``, ``count``, ``edges``)."""

from __future__ import annotations

import bisect
from typing import Any, Callable

from .. import sdk
from .base import INCLUDE_VALUES, ApiError, _decode_cursor, _encode_cursor
from .governance import Governance


class EntityReads(Governance):
    def get_entity(self, coll: str, *, entity_id: str | None = None, fqn: str | None = None, include="non-deleted"):
        c = self.coll(coll)
        with self.lock:
            return self._get_locked(c, entity_id=entity_id, fqn=fqn, include=include)

    def list(
        self,
        coll: str,
        *,
        filters: dict[str, str] | None = None,
        include: str = "non-deleted",
        limit: int = 10,
        after: str | None = None,
        before: str | None = None,
    ) -> tuple[list[dict], dict]:
        """A page of entities ordered by FQN, plus the ``paging`` object."""
        c = self.coll(coll)
        if include not in INCLUDE_VALUES:
            raise ApiError(400, f"Invalid include={include!r}; expected one of {', '.join(INCLUDE_VALUES)}")
        if after and before:
            raise ApiError(400, "Only one of before or after query parameter allowed")
        if limit < 0:
            raise ApiError(400, "limit must be >= 0")
        with self.lock:
            scope_sets: list[tuple[Any, set[str] | dict]] = []
            preds: list[Callable[[dict], bool]] = []
            for param, value in (filters or {}).items():
                if value is None or value == "":
                    continue
                if param in c.spec.filters:
                    keys = []
                    for t in c.spec.filters[param]:
                        keys.append((t, value))
                        try:
                            normal = sdk.build(*sdk.split(value))
                            if normal != value:
                                keys.append((t, normal))
                        except ValueError:
                            pass
                        try:
                            quoted = sdk.quote_name(value)
                            if quoted != value:
                                keys.append((t, quoted))
                        except ValueError:
                            pass
                    ids: dict[str, None] = {}
                    for k in keys:
                        ids.update(c.scopes.get(k, {}))
                    scope_sets.append((tuple(keys), ids))
                elif param in self._entity_fields(c):
                    preds.append(lambda e, p=param, v=value: str(_field_value(e, p)) == v)
                # else: a parameter the emulator does not filter on (the real server ignores unknown ones too)
            if scope_sets:
                scope_sets.sort(key=lambda kv: len(kv[1]))
                base_key, base_ids = scope_sets[0]
                ordered = self._sorted(c, base_key, base_ids)
                for _, other in scope_sets[1:]:
                    preds.append(lambda e, o=other: e["id"] in o)
            else:
                ordered = self._sorted(c, None, c.by_id.keys())
            if include == "non-deleted":
                preds.insert(0, lambda e: not e.get("deleted"))
            elif include == "deleted":
                preds.insert(0, lambda e: bool(e.get("deleted")))
            by_id = c.by_id
            cache_key = (scope_sets[0][0] if scope_sets else None, include)
            cacheable = len(preds) == (0 if include == "all" else 1)  # only the include predicate
            cached = c.match_cache.get(cache_key) if cacheable else None
            if cached is not None and cached[0] == c.mod:
                matching, fqns = cached[1], cached[2]
            else:
                matching = [(f, i) for f, i in ordered if all(p(by_id[i]) for p in preds)] if preds else ordered
                fqns = [f for f, _ in matching]
                if cacheable:
                    if len(c.match_cache) > 256:
                        c.match_cache.clear()
                    c.match_cache[cache_key] = (c.mod, matching, fqns)
            if after:
                start = bisect.bisect_right(fqns, _decode_cursor(after))
                end = start + limit
            elif before:
                end = bisect.bisect_left(fqns, _decode_cursor(before))
                start = max(0, end - limit)
            else:
                start, end = 0, limit
            page = matching[start:end]
            paging: dict[str, Any] = {"total": len(matching)}
            if page and start + len(page) < len(matching):
                paging["after"] = _encode_cursor(page[-1][0])
            if page and start > 0:
                paging["before"] = _encode_cursor(page[0][0])
            return [by_id[i] for _, i in page], paging

    # ------------------------------------------------------------------ rendering

    def render(self, coll: str, entity: dict, fields: str | None = None) -> dict:
        """The JSON the real server would return: gated fields only when requested."""
        c = self.coll(coll)
        spec = c.spec
        wanted = {f.strip() for f in (fields or "").split(",") if f.strip()}
        everything = "*" in wanted
        if "tags" in wanted:  # the server returns certification with tags (setFieldsInternal)
            wanted.add("certification")
        out = {}
        for key, value in entity.items():
            if key in spec.gated and not everything and key not in wanted:
                continue
            out[key] = value
        if "owners" in out and not out["owners"]:
            inherited = self.inherited_owners(spec.entity_type, entity)
            if inherited:
                out["owners"] = inherited
        if spec.entity_type == "ingestionPipeline" and (everything or "pipelineStatuses" in wanted):
            statuses = self.ingestion_statuses.get(entity["id"])
            if statuses:  # the most recent executions, newest first
                recent = sorted(statuses.values(), key=lambda s: s.get("timestamp") or 0, reverse=True)
                out["pipelineStatuses"] = recent[:10]
        out["href"] = f"{self.base_url}/v1/{spec.name}/{entity['id']}"
        return out

    # ------------------------------------------------------------------ read helpers for tests

    def get(self, coll: str, fqn: str, include_deleted: bool = True) -> dict | None:
        """Stored entity by FQN (None if absent)."""
        c = self.coll(coll)
        with self.lock:
            eid = self._lookup_fqn(c, fqn)
            entity = c.by_id.get(eid) if eid else None
            if entity is not None and entity.get("deleted") and not include_deleted:
                return None
            return entity

    def get_by_id(self, coll: str, entity_id: str) -> dict | None:
        with self.lock:
            return self.coll(coll).by_id.get(str(entity_id))

    def entities(self, coll: str, include_deleted: bool = False) -> list[dict]:
        """All stored entities of a collection, ordered by FQN."""
        c = self.coll(coll)
        with self.lock:
            ordered = self._sorted(c, None, c.by_id.keys())
            return [c.by_id[i] for _, i in ordered if include_deleted or not c.by_id[i].get("deleted")]

    def count(self, coll: str, include_deleted: bool = False) -> int:
        c = self.coll(coll)
        with self.lock:
            if include_deleted:
                return len(c.by_id)
            return sum(1 for e in c.by_id.values() if not e.get("deleted"))

    def edges(self) -> list[dict]:
        with self.lock:
            return list(self.lineage.values())


def _field_value(entity: dict, dotted: str) -> Any:
    node: Any = entity
    for part in dotted.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node

