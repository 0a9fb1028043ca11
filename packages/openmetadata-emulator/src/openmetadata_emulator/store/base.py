"""The store's core: collections, indexes, lookups, validation with the SDK's models.

Entities are kept as plain JSON dicts shaped like the real server's responses (and
validated with the SDK's generated entity models before they are stored). Indexes:

* per collection: ``by_id`` (id -> entity), ``by_fqn`` (FQN -> id)
* per collection: ``scopes`` ((ancestor type, ancestor FQN) -> ordered id set), covering
  every ancestor reference (service, database, databaseSchema, classification, parent),
  so list filters, deleteStale and recursive deletes never scan the whole collection
* a global id -> collection map, to resolve EntityReferences by id
* sorted (FQN, id) lists per scope, cached until the collection's membership changes

All public methods take the store's ``RLock``; the HTTP layer never touches the dicts
directly. Tests may read through the read helpers of ``reads`` (``get``, ``entities``,
``count``, ...), which return the stored dicts: treat them as read-only.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import defaultdict
from typing import Any, Callable, Iterable, Mapping

from .. import sdk
from ..specs import BY_TYPE, SPECS, CollectionSpec

# List-valued fields every stored entity carries (empty when unset), as the real server
# returns them when asked for; keeps JSON patches like ``add /tags/0`` applicable.
LIST_DEFAULTS = ("owners", "tags", "followers", "domains", "dataProducts")

INCLUDE_VALUES = ("non-deleted", "deleted", "all")


class ApiError(Exception):
    """An error the HTTP layer turns into ``{"code": status, "message": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def int_param(query: Mapping[str, str], name: str, default: int | None) -> int | None:
    """The query parameter ``name`` as an int (``default`` when absent or empty); anything else is
    the server's 400 ``Query parameter ... must be an integer``."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"Query parameter {name} must be an integer, got {raw!r}") from None


def parse(model: Any, body: Any, *, suffix: str = "") -> Any:
    """``body`` validated with the SDK's own ``model`` class; otherwise an ``ApiError`` 400 naming
    each offending field (``sdk.validation_message``), as the real server rejects a bad body."""
    try:
        return model.model_validate(body)
    except Exception as exc:
        raise ApiError(400, sdk.validation_message(model.__name__, exc) + suffix) from None


def now_ms() -> int:
    return int(time.time() * 1000)


def _encode_cursor(fqn: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"fqn": fqn}).encode()).decode()


def _decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()).decode())["fqn"]
    except Exception as exc:
        raise ApiError(400, f"Invalid paging cursor {cursor!r}") from exc


class _Collection:
    __slots__ = ("spec", "by_id", "by_fqn", "scopes", "gen", "mod", "sorted_cache", "match_cache", "entity_fields")

    def __init__(self, spec: CollectionSpec):
        self.spec = spec
        self.by_id: dict[str, dict] = {}
        self.by_fqn: dict[str, str] = {}
        self.scopes: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
        self.gen = 0  # bumped when membership changes (insert / hard delete)
        self.mod = 0  # bumped on every write
        self.sorted_cache: dict[Any, tuple[int, list[tuple[str, str]]]] = {}
        self.match_cache: dict[Any, tuple[int, list[tuple[str, str]], list[str]]] = {}
        self.entity_fields: frozenset[str] | None = None


class StoreBase:
    """Thread-safe entity store core (one RLock): collections, indexes, lookups, validation.

    The operations live in mixins by resource family (``entities``, ``writes``, ``reads``,
    ``runs``, ``lineage``, ``state``); ``store.Store`` combines them.
    """

    def __init__(self, base_url: str = "http://127.0.0.1/api"):
        self.lock = threading.RLock()
        self.base_url = base_url
        self._colls: dict[str, _Collection] = {s.name: _Collection(s) for s in SPECS}
        self._coll_of_id: dict[str, str] = {}
        # ingestion pipeline id -> runId -> PipelineStatus json
        self.ingestion_statuses: dict[str, dict[str, dict]] = defaultdict(dict)
        # pipeline id -> timestamp -> Pipeline PipelineStatus json
        self.pipeline_statuses: dict[str, dict[int, dict]] = defaultdict(dict)
        # (ingestion pipeline fqn, runId) -> ProgressUpdate json
        self.progress: dict[tuple[str, str], dict] = {}
        self.operation_metrics: dict[tuple[str, str], list] = defaultdict(list)
        # (fromId, toId) -> {"fromEntity": ref, "toEntity": ref, "lineageDetails": {...}}
        self.lineage: dict[tuple[str, str], dict] = {}
        self._lineage_out: dict[str, set[str]] = defaultdict(set)
        self._lineage_in: dict[str, set[str]] = defaultdict(set)
        self.settings: dict[str, dict] = {}
        # entity id -> version -> the entity's JSON at that version (the server's version history)
        self.history: dict[str, dict[float, dict]] = {}
        self.mutation_count = 0
        self.on_mutation: Callable[[], None] | None = None

    # ------------------------------------------------------------------ helpers

    def coll(self, name: str) -> _Collection:
        """Collection by URL name, short name (``databaseServices``) or entity type (``table``)."""
        c = self._colls.get(name)
        if c is None:
            c = self._colls.get("services/" + name)
        if c is None and name in BY_TYPE:
            c = self._colls[BY_TYPE[name].name]
        if c is None:
            raise KeyError(f"openmetadata-emulator: unknown collection {name!r}")
        return c

    def _mutated(self) -> None:
        self.mutation_count += 1
        cb = self.on_mutation
        if cb is not None:
            cb()

    def _entity_fields(self, c: _Collection) -> frozenset[str]:
        if c.entity_fields is None:
            c.entity_fields = frozenset(sdk.model(c.spec.entity_model).model_fields)
        return c.entity_fields

    @staticmethod
    def ref(entity: dict, entity_type: str) -> dict:
        ref = {
            "id": entity["id"],
            "type": entity_type,
            "name": entity["name"],
            "fullyQualifiedName": entity["fullyQualifiedName"],
        }
        return ref

    def type_of_id(self, entity_id: str) -> str | None:
        name = self._coll_of_id.get(entity_id)
        return self._colls[name].spec.entity_type if name else None

    def entity_by_id(self, entity_id: str, types: Iterable[str] | None = None, include_deleted=True) -> dict | None:
        name = self._coll_of_id.get(str(entity_id))
        if name is None:
            return None
        c = self._colls[name]
        if types is not None and c.spec.entity_type not in types:
            return None
        entity = c.by_id.get(str(entity_id))
        if entity is None or (entity.get("deleted") and not include_deleted):
            return None
        return entity

    def _lookup_fqn(self, c: _Collection, fqn: str) -> str | None:
        eid = c.by_fqn.get(fqn)
        if eid is None:
            try:
                normal = sdk.build(*sdk.split(fqn))
            except ValueError:
                return None
            eid = c.by_fqn.get(normal)
        return eid

    def entity_by_fqn(self, types: Iterable[str], fqn: str, include_deleted=False) -> dict | None:
        for t in types:
            spec = BY_TYPE.get(t)
            if spec is None:
                continue
            c = self._colls[spec.name]
            eid = self._lookup_fqn(c, fqn)
            if eid is not None:
                entity = c.by_id[eid]
                if include_deleted or not entity.get("deleted"):
                    return entity
        return None

    def _require_fqn(self, types: tuple[str, ...], fqn: str) -> tuple[dict, str]:
        for t in types:
            entity = self.entity_by_fqn((t,), fqn)
            if entity is not None:
                return entity, t
        raise ApiError(404, f"{types[0]} instance for {fqn} not found")

    def _require_id(self, types: tuple[str, ...], entity_id: str) -> tuple[dict, str]:
        entity = self.entity_by_id(entity_id, types, include_deleted=False)
        if entity is None:
            raise ApiError(404, f"{types[0]} instance for {entity_id} not found")
        return entity, self.type_of_id(entity["id"])

    # ------------------------------------------------------------------ validation

    @staticmethod
    def validate_create(spec: CollectionSpec, body: Any) -> dict:
        """Validate a Create*Request body with the SDK model; return its JSON dump."""
        model = sdk.model(spec.create_model)
        if not isinstance(body, dict):
            raise ApiError(400, f"Invalid {model.__name__}: request body must be a JSON object")
        validated = parse(model, body)
        return validated.model_dump(mode="json", exclude_none=True, by_alias=True)

    def _validate_entity(self, c: _Collection, entity: dict) -> None:
        model = sdk.model(c.spec.entity_model)
        parse(model, entity, suffix=" (stored entity)")
    # ------------------------------------------------------------------ index maintenance

    def _scope_keys(self, entity: dict) -> list[tuple[str, str]]:
        keys = []
        for key in ("service", "database", "databaseSchema", "classification", "parent"):
            ref = entity.get(key)
            if isinstance(ref, dict) and ref.get("type") and ref.get("fullyQualifiedName"):
                keys.append((ref["type"], ref["fullyQualifiedName"]))
        return keys

    def _insert(self, c: _Collection, entity: dict) -> None:
        eid = entity["id"]
        c.by_id[eid] = entity
        c.by_fqn[entity["fullyQualifiedName"]] = eid
        for key in self._scope_keys(entity):
            c.scopes[key][eid] = None
        self._coll_of_id[eid] = c.spec.name
        c.gen += 1
        c.mod += 1

    def _replace(self, c: _Collection, entity: dict) -> None:
        c.by_id[entity["id"]] = entity
        c.mod += 1

    def _remove(self, c: _Collection, entity: dict) -> None:
        eid = entity["id"]
        c.by_id.pop(eid, None)
        if c.by_fqn.get(entity["fullyQualifiedName"]) == eid:
            del c.by_fqn[entity["fullyQualifiedName"]]
        for key in self._scope_keys(entity):
            ids = c.scopes.get(key)
            if ids is not None:
                ids.pop(eid, None)
                if not ids:
                    del c.scopes[key]
        self._coll_of_id.pop(eid, None)
        c.gen += 1
        c.mod += 1
        for to_id in list(self._lineage_out.get(eid, ())):
            self._drop_edge(eid, to_id)
        for from_id in list(self._lineage_in.get(eid, ())):
            self._drop_edge(from_id, eid)
        self.ingestion_statuses.pop(eid, None)
        self.pipeline_statuses.pop(eid, None)
        self.history.pop(eid, None)

    # ------------------------------------------------------------------ reads

    def _get_locked(
        self, c: _Collection, *, entity_id: str | None = None, fqn: str | None = None, include: str = "non-deleted"
    ) -> dict:
        if include not in INCLUDE_VALUES:
            raise ApiError(400, f"Invalid include={include!r}; expected one of {', '.join(INCLUDE_VALUES)}")
        if entity_id is not None:
            entity = c.by_id.get(str(entity_id))
            missing = f"{c.spec.entity_type} instance for {entity_id} not found"
        else:
            eid = self._lookup_fqn(c, fqn or "")
            entity = c.by_id.get(eid) if eid else None
            missing = f"{c.spec.entity_type} instance for {fqn} not found"
        if entity is None:
            raise ApiError(404, missing)
        deleted = bool(entity.get("deleted"))
        if (include == "non-deleted" and deleted) or (include == "deleted" and not deleted):
            raise ApiError(404, missing)
        return entity

    def _sorted(self, c: _Collection, key: Any, ids: Iterable[str]) -> list[tuple[str, str]]:
        cached = c.sorted_cache.get(key)
        if cached is not None and cached[0] == c.gen:
            return cached[1]
        items = sorted((c.by_id[i]["fullyQualifiedName"], i) for i in ids)
        c.sorted_cache[key] = (c.gen, items)
        return items

    # ------------------------------------------------------------------ lineage index

    def _drop_edge(self, from_id: str, to_id: str) -> dict | None:
        edge = self.lineage.pop((from_id, to_id), None)
        self._lineage_out.get(from_id, set()).discard(to_id)
        self._lineage_in.get(to_id, set()).discard(from_id)
        return edge

