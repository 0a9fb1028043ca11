"""The emulator's in-memory entity store: entities, indexes, upsert/delete/patch rules.

Entities are kept as plain JSON dicts shaped like the real server's responses (and
validated with the SDK's generated entity models before they are stored). Indexes:

* per collection: ``by_id`` (id -> entity), ``by_fqn`` (FQN -> id)
* per collection: ``scopes`` ((ancestor type, ancestor FQN) -> ordered id set), covering
  every ancestor reference (service, database, databaseSchema, classification, parent),
  so list filters, deleteStale and recursive deletes never scan the whole collection
* a global id -> collection map, to resolve EntityReferences by id
* sorted (FQN, id) lists per scope, cached until the collection's membership changes

All public methods take the store's ``RLock``; the HTTP layer never touches the dicts
directly. Tests may read through the read helpers at the bottom (``get``, ``entities``,
``count``, ...), which return the stored dicts: treat them as read-only.
"""

from __future__ import annotations

import base64
import bisect
import copy
import json
import os
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from typing import Any, Callable, Iterable

from . import sdk
from .jsonpatch import PatchError, apply_patch
from .specs import BY_TYPE, SERVICE_TYPES, SPECS, VOLATILE, CollectionSpec, RefField

STATE_FORMAT = "openmetadata-emulator-state/1"

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


class Store:
    """Thread-safe entity store (one RLock)."""

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
        self.usage: dict[str, list] = defaultdict(list)
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

    # ------------------------------------------------------------------ references

    def _resolve_one(self, rf: RefField, value: Any) -> dict | None:
        if isinstance(value, str):
            entity = None
            for t in rf.targets:
                entity = self.entity_by_fqn((t,), value)
                if entity is not None:
                    return self.ref(entity, t)
            if rf.strict:
                raise ApiError(404, f"{rf.targets[0]} instance for {value} not found")
            return None
        if isinstance(value, dict):
            vid = value.get("id")
            vtype = value.get("type")
            types = (vtype,) if vtype in BY_TYPE else rf.targets
            entity = self.entity_by_id(vid, types, include_deleted=False) if vid else None
            if entity is None and value.get("fullyQualifiedName"):
                entity = self.entity_by_fqn(types, value["fullyQualifiedName"])
            if entity is not None:
                return self.ref(entity, self.type_of_id(entity["id"]))
            if rf.strict and (vtype in BY_TYPE or vtype is None):
                raise ApiError(404, f"{vtype or rf.targets[0]} instance for {vid} not found")
            return {k: v for k, v in value.items() if v is not None}
        return None

    def _convert_ref(self, rf: RefField, value: Any) -> Any:
        if rf.kind in ("fqn", "ref"):
            return self._resolve_one(rf, value)
        if rf.kind == "id_list":
            out = []
            for vid in value or []:
                entity = self.entity_by_id(vid, rf.targets, include_deleted=False)
                if entity is not None:
                    out.append(self.ref(entity, self.type_of_id(entity["id"])))
                elif rf.strict:
                    raise ApiError(404, f"{rf.targets[0]} instance for {vid} not found")
                else:
                    out.append({"id": vid, "type": rf.targets[0]})
            return out
        # fqn_list / ref_list
        out = []
        for v in value or []:
            r = self._resolve_one(rf, v)
            if r is not None:
                out.append(r)
        return out

    # ------------------------------------------------------------------ derived fields

    @staticmethod
    def _tag_labels(labels: Any) -> Any:
        if not isinstance(labels, list):
            return labels
        out = []
        for label in labels:
            if isinstance(label, dict) and label.get("tagFQN") and not label.get("name"):
                label = dict(label)
                try:
                    label["name"] = sdk.unquote_name(sdk.split(label["tagFQN"])[-1])
                except ValueError:
                    label["name"] = label["tagFQN"]
            out.append(label)
        return out

    def _columns(self, parent_fqn: str, columns: Any) -> Any:
        if not isinstance(columns, list):
            return columns
        out = []
        for col in columns:
            if not isinstance(col, dict) or "name" not in col:
                out.append(col)
                continue
            col = dict(col)
            try:
                col["fullyQualifiedName"] = sdk.child_fqn(parent_fqn, col["name"])
            except ValueError as exc:
                raise ApiError(400, f"Invalid column name {col['name']!r}: {exc}") from None
            if "tags" in col:
                col["tags"] = self._tag_labels(col["tags"])
            if col.get("children"):
                col["children"] = self._columns(col["fullyQualifiedName"], col["children"])
            out.append(col)
        return out

    def _derive(self, spec: CollectionSpec, entity: dict) -> dict:
        """Fields the server computes: column/task FQNs, tag label names, defaults."""
        fqn = entity["fullyQualifiedName"]
        if "tags" in entity:
            entity["tags"] = self._tag_labels(entity["tags"])
        if spec.entity_type == "table" and "columns" in entity:
            entity["columns"] = self._columns(fqn, entity["columns"])
        if spec.entity_type == "pipeline" and isinstance(entity.get("tasks"), list):
            tasks = []
            for task in entity["tasks"]:
                if isinstance(task, dict) and "name" in task:
                    task = dict(task)
                    task["fullyQualifiedName"] = sdk.child_fqn(fqn, task["name"])
                    if "tags" in task:
                        task["tags"] = self._tag_labels(task["tags"])
                tasks.append(task)
            entity["tasks"] = tasks
        if spec.entity_type == "ingestionPipeline":
            entity.setdefault("enabled", True)
            entity.setdefault("deployed", False)
        return entity

    def _with_defaults(self, c: _Collection, entity: dict) -> dict:
        fields = self._entity_fields(c)
        for key in LIST_DEFAULTS:
            if key in fields and key not in entity:
                entity[key] = []
        return entity

    # ------------------------------------------------------------------ build from a Create request

    def _build(self, c: _Collection, create: dict) -> dict:
        spec = c.spec
        fields = self._entity_fields(c)
        name = create["name"]
        entity: dict[str, Any] = {}
        parent_field = spec.parent[0] if spec.parent else None
        parent: dict | None = None
        parent_type: str | None = None

        if spec.entity_type == "tag":
            classification = None
            if create.get("parent"):
                parent, parent_type = self._require_fqn(("tag",), create["parent"])
                classification = parent.get("classification")
                entity["parent"] = self.ref(parent, "tag")
            if create.get("classification"):
                cls_entity, _ = self._require_fqn(("classification",), create["classification"])
                classification = self.ref(cls_entity, "classification")
                if parent is None:
                    parent, parent_type = cls_entity, "classification"
            if parent is None:
                raise ApiError(400, "Invalid CreateTagRequest: classification or parent is required")
            if classification is not None:
                entity["classification"] = classification
        elif spec.parent:
            raw = create.get(parent_field)
            if raw is None:
                raise ApiError(400, f"Invalid {spec.create_model.rsplit('.', 1)[-1]}: {parent_field} is required")
            if isinstance(raw, dict):
                types = (raw["type"],) if raw.get("type") in spec.parent[1] else spec.parent[1]
                parent = self.entity_by_id(raw.get("id"), types, include_deleted=False) if raw.get("id") else None
                if parent is None and raw.get("fullyQualifiedName"):
                    parent = self.entity_by_fqn(types, raw["fullyQualifiedName"])
                if parent is None:
                    raise ApiError(404, f"{types[0]} instance for {raw.get('id')} not found")
                parent_type = self.type_of_id(parent["id"])
            else:
                parent, parent_type = self._require_fqn(spec.parent[1], raw)
            entity[parent_field] = self.ref(parent, parent_type)
            for inherited in spec.inherit:
                if parent.get(inherited) is not None:
                    entity[inherited] = copy.deepcopy(parent[inherited])
            if spec.has_service_type and parent.get("serviceType") is not None:
                entity["serviceType"] = parent["serviceType"]

        try:
            fqn = sdk.child_fqn(parent["fullyQualifiedName"] if parent else None, name)
        except ValueError as exc:
            raise ApiError(400, f"Invalid name {name!r}: {exc}") from None

        for key, value in create.items():
            if key in entity or key == parent_field:
                continue
            if key in spec.refs:
                converted = self._convert_ref(spec.refs[key], value)
                if converted is not None:
                    entity[key] = converted
            elif key in fields:
                entity[key] = value
            # else: a create-only field (password, scheduleInterval, ...) the entity does not carry
        entity["name"] = name
        entity["fullyQualifiedName"] = fqn
        return self._derive(spec, entity)

    # ------------------------------------------------------------------ merge / change detection

    @staticmethod
    def _merge_tags(old: Any, new: Any) -> Any:
        if not old:
            return new
        seen = {t.get("tagFQN") for t in new or [] if isinstance(t, dict)}
        return list(new or []) + [t for t in old if isinstance(t, dict) and t.get("tagFQN") not in seen]

    def _merge_columns(self, old: Any, new: Any) -> Any:
        if not isinstance(old, list) or not isinstance(new, list):
            return new
        old_by_name = {c.get("name"): c for c in old if isinstance(c, dict)}
        out = []
        for col in new:
            prev = old_by_name.get(col.get("name")) if isinstance(col, dict) else None
            if prev is None:
                out.append(col)
                continue
            # attributes the request does not carry (ordinalPosition set by a PATCH, a
            # user's description, ...) survive; the request wins where it has a value
            col = {**prev, **col}
            if not col.get("description") and prev.get("description"):
                col["description"] = prev["description"]
            if prev.get("tags"):
                col["tags"] = self._merge_tags(prev["tags"], col.get("tags"))
            if col.get("children") or prev.get("children"):
                col["children"] = self._merge_columns(prev.get("children"), col.get("children"))
                if col["children"] is None:
                    col.pop("children")
            out.append(col)
        return out

    def _merge_put(self, existing: dict, built: dict) -> dict:
        """PUT onto an existing entity: request fields win; omitted fields are kept;
        an empty description never wipes a stored one; tags are merged (as the real
        server's PUT does); columns are matched by name: the request's list decides which
        columns exist, and stored column attributes the request omits survive."""
        merged = dict(existing)
        for key, value in built.items():
            if key == "description" and not value and existing.get("description"):
                continue
            if key == "owners" and not value and existing.get("owners"):
                continue
            if key == "tags":
                value = self._merge_tags(existing.get("tags"), value)
            elif key == "columns":
                value = self._merge_columns(existing.get("columns"), value)
            merged[key] = value
        return merged

    @staticmethod
    def _changed_fields(old: dict, new: dict) -> tuple[list, list, list]:
        added, updated, deleted = [], [], []
        for key in set(old) | set(new):
            if key in VOLATILE or key == "sourceHash":  # the fingerprint is not versioned
                continue
            if key not in old:
                if new[key] not in (None, [], {}):
                    added.append({"name": key})
            elif key not in new:
                if old[key] not in (None, [], {}):
                    deleted.append({"name": key})
            elif old[key] != new[key]:
                updated.append({"name": key})
        return added, updated, deleted

    def _bump(self, old: dict, new: dict, user: str, changes=None) -> dict:
        added, updated, deleted = changes or self._changed_fields(old, new)
        new["version"] = round(float(old.get("version", 0.1)) + 0.1, 1)
        new["updatedAt"] = now_ms()
        new["updatedBy"] = user
        new["changeDescription"] = {
            "fieldsAdded": added,
            "fieldsUpdated": updated,
            "fieldsDeleted": deleted,
            "previousVersion": old.get("version", 0.1),
        }
        return new

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

    # ------------------------------------------------------------------ writes

    def upsert(self, coll: str, body: Any, *, user: str = "admin", create_only: bool = False) -> tuple[int, dict]:
        """PUT (create-or-update) or POST (``create_only``) one Create*Request.

        Returns (HTTP status, stored entity). Same FQN -> same id; a soft-deleted entity
        is restored; a write that changes nothing (or carries the stored ``sourceHash``)
        leaves version and updatedAt untouched.
        """
        c = self.coll(coll)
        create = self.validate_create(c.spec, body)
        with self.lock:
            built = self._build(c, create)
            eid = c.by_fqn.get(built["fullyQualifiedName"])
            existing = c.by_id.get(eid) if eid else None
            if existing is None:
                entity = self._with_defaults(c, built)
                entity["id"] = str(uuid.uuid4())
                entity["version"] = 0.1
                entity["updatedAt"] = now_ms()
                entity["updatedBy"] = user
                entity["deleted"] = False
                self._validate_entity(c, entity)
                self._insert(c, entity)
                self._mutated()
                return 201, entity
            if create_only:
                raise ApiError(409, f"Entity already exists: {c.spec.entity_type} {existing['fullyQualifiedName']}")
            if (
                not existing.get("deleted")
                and create.get("sourceHash")
                and create.get("sourceHash") == existing.get("sourceHash")
            ):
                return 200, existing
            merged = self._with_defaults(c, self._merge_put(existing, built))
            merged["deleted"] = False
            changes = self._changed_fields(existing, merged)
            if not any(changes):
                if merged.get("sourceHash") != existing.get("sourceHash"):
                    # a new fingerprint alone is stored without a new version
                    quiet = dict(existing, sourceHash=merged.get("sourceHash"))
                    self._replace(c, quiet)
                    self._mutated()
                    return 200, quiet
                return 200, existing
            self._bump(existing, merged, user, changes)
            self._validate_entity(c, merged)
            self._replace(c, merged)
            self._mutated()
            return 200, merged

    def bulk_upsert(self, coll: str, items: Any, *, user: str = "admin") -> dict:
        """``PUT /{coll}/bulk``: upsert each item; one failure does not stop the others."""
        c = self.coll(coll)
        if not isinstance(items, list):
            raise ApiError(400, f"Bulk {c.spec.name} body must be a JSON array of Create requests")
        success, failed = [], []
        for item in items:
            try:
                status, entity = self.upsert(coll, item, user=user)
                success.append({"request": entity["fullyQualifiedName"], "status": status, "message": "Success"})
            except ApiError as err:
                failed.append({"request": item, "status": err.status, "message": err.message})
        if not failed:
            status = "success"
        elif success:
            status = "partialSuccess"
        else:
            status = "failure"
        return {
            "dryRun": False,
            "status": status,
            "numberOfRowsProcessed": len(items),
            "numberOfRowsPassed": len(success),
            "numberOfRowsFailed": len(failed),
            "successRequest": success,
            "failedRequest": failed,
        }

    def patch(self, coll: str, entity_id: str | None, ops: Any, *, user: str = "admin", fqn: str | None = None) -> dict:
        """RFC 6902 PATCH of a stored entity (by id, or by FQN)."""
        c = self.coll(coll)
        with self.lock:
            entity = self._get_locked(c, entity_id=entity_id, fqn=fqn, include="non-deleted")
            base = self._with_defaults(c, dict(entity))
            try:
                patched = apply_patch(base, ops)
            except PatchError as exc:
                raise ApiError(400, str(exc)) from None
            if not isinstance(patched, dict):
                raise ApiError(400, "JSON Patch must leave an object")
            for immutable in ("id", "name", "fullyQualifiedName"):
                if patched.get(immutable) != entity.get(immutable):
                    raise ApiError(400, f"Field {immutable!r} cannot be changed with PATCH")
            for key, rf in c.spec.refs.items():
                if key in patched and rf.kind in ("ref", "ref_list") and patched[key] != entity.get(key):
                    patched[key] = self._convert_ref(rf, patched[key])
            patched = self._derive(c.spec, patched)
            changes = self._changed_fields(entity, patched)
            if not any(changes):
                return entity
            self._bump(entity, patched, user, changes)
            self._validate_entity(c, patched)
            self._replace(c, patched)
            self._mutated()
            return patched

    def _descendants(self, entity_type: str, fqn: str) -> list[tuple[_Collection, dict]]:
        out = []
        for c in self._colls.values():
            for eid in c.scopes.get((entity_type, fqn), {}):
                out.append((c, c.by_id[eid]))
        return out

    def _soft_delete(self, c: _Collection, entity: dict, user: str) -> dict:
        new = dict(entity)
        new["deleted"] = True
        self._bump(entity, new, user, ([], [{"name": "deleted"}], []))
        self._replace(c, new)
        return new

    def delete(
        self,
        coll: str,
        entity_id: str | None = None,
        *,
        fqn: str | None = None,
        recursive: bool = False,
        hard: bool = False,
        user: str = "admin",
    ) -> dict:
        """Soft (``deleted: true``) or hard delete; children need ``recursive``."""
        c = self.coll(coll)
        with self.lock:
            entity = self._get_locked(c, entity_id=entity_id, fqn=fqn, include="all" if hard else "non-deleted")
            children = self._descendants(c.spec.entity_type, entity["fullyQualifiedName"])
            live_children = [(cc, e) for cc, e in children if not e.get("deleted")]
            if live_children and not recursive:
                raise ApiError(
                    400,
                    f"Entity {c.spec.entity_type} {entity['fullyQualifiedName']} is not empty: "
                    f"it has {len(live_children)} children; delete with recursive=true",
                )
            if hard:
                for cc, child in children:
                    self._remove(cc, child)
                self._remove(c, entity)
                result = dict(entity, deleted=True)
            else:
                for cc, child in live_children:
                    self._soft_delete(cc, child, user)
                result = self._soft_delete(c, entity, user)
            self._mutated()
            return result

    def restore(self, coll: str, entity_id: str, *, user: str = "admin") -> dict:
        c = self.coll(coll)
        with self.lock:
            entity = self._get_locked(c, entity_id=entity_id, include="deleted")
            for cc, child in self._descendants(c.spec.entity_type, entity["fullyQualifiedName"]):
                if child.get("deleted"):
                    new = dict(child, deleted=False)
                    self._replace(cc, self._bump(child, new, user, ([], [{"name": "deleted"}], [])))
            new = dict(entity, deleted=False)
            self._bump(entity, new, user, ([], [{"name": "deleted"}], []))
            self._replace(c, new)
            self._mutated()
            return new

    def delete_stale(self, coll: str, body: Any, *, user: str = "admin") -> dict:
        """``DELETE /{coll}/deleteStale``: soft-delete in-scope entities not in ``seenFqns``.

        As on the real server: an empty ``seenFqns`` or an unknown scope deletes nothing;
        FQNs are compared quote- and case-insensitively; ``dryRun`` only reports.
        """
        c = self.coll(coll)
        model = sdk.model("type.bulkDeleteStaleRequest.BulkDeleteStaleRequest")
        req = parse(model, body).model_dump(mode="json")
        scope_type = req["scopeEntityType"]
        if scope_type == "service":
            types = c.spec.filters.get("service") or SERVICE_TYPES
        else:
            types = (scope_type,)
        with self.lock:
            result = {
                "dryRun": bool(req.get("dryRun")),
                "status": "success",
                "numberOfRowsProcessed": 0,
                "numberOfRowsPassed": 0,
                "numberOfRowsFailed": 0,
                "successRequest": [],
                "failedRequest": [],
            }
            scope = self.entity_by_fqn(types, req["scopeFqn"])
            if scope is None or not req["seenFqns"]:
                return result
            scope_type = self.type_of_id(scope["id"])
            seen = {sdk.normalized(f) for f in req["seenFqns"]}
            ids = list(c.scopes.get((scope_type, scope["fullyQualifiedName"]), {}))
            stale = [
                c.by_id[i]
                for i in ids
                if not c.by_id[i].get("deleted") and sdk.normalized(c.by_id[i]["fullyQualifiedName"]) not in seen
            ]
            result["numberOfRowsProcessed"] = len(stale)
            for entity in stale:
                try:
                    if not req.get("dryRun"):
                        self.delete(
                            c.spec.name,
                            entity["id"],
                            recursive=bool(req.get("recursive", True)),
                            hard=bool(req.get("hardDelete")),
                            user=user,
                        )
                    result["successRequest"].append(
                        {"request": entity["fullyQualifiedName"], "status": 200, "message": "Deleted"}
                    )
                except ApiError as err:
                    result["failedRequest"].append(
                        {"request": entity["fullyQualifiedName"], "status": err.status, "message": err.message}
                    )
            result["numberOfRowsPassed"] = len(result["successRequest"])
            result["numberOfRowsFailed"] = len(result["failedRequest"])
            if result["failedRequest"]:
                result["status"] = "partialSuccess" if result["successRequest"] else "failure"
            return result

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

    def get_entity(self, coll: str, *, entity_id: str | None = None, fqn: str | None = None, include="non-deleted"):
        c = self.coll(coll)
        with self.lock:
            return self._get_locked(c, entity_id=entity_id, fqn=fqn, include=include)

    def _sorted(self, c: _Collection, key: Any, ids: Iterable[str]) -> list[tuple[str, str]]:
        cached = c.sorted_cache.get(key)
        if cached is not None and cached[0] == c.gen:
            return cached[1]
        items = sorted((c.by_id[i]["fullyQualifiedName"], i) for i in ids)
        c.sorted_cache[key] = (c.gen, items)
        return items

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
        out = {}
        for key, value in entity.items():
            if key in spec.gated and not everything and key not in wanted:
                continue
            out[key] = value
        if spec.entity_type == "ingestionPipeline" and (everything or "pipelineStatuses" in wanted):
            statuses = self.ingestion_statuses.get(entity["id"])
            if statuses:  # the most recent executions, newest first
                recent = sorted(statuses.values(), key=lambda s: s.get("timestamp") or 0, reverse=True)
                out["pipelineStatuses"] = recent[:10]
        out["href"] = f"{self.base_url}/v1/{spec.name}/{entity['id']}"
        return out

    # ------------------------------------------------------------------ statuses, progress, settings

    def put_ingestion_status(self, fqn: str, body: Any) -> dict:
        model = sdk.model("entity.services.ingestionPipelines.ingestionPipeline.PipelineStatus")
        status = parse(model, body).model_dump(mode="json", exclude_none=True)
        with self.lock:
            pipeline = self._get_locked(self.coll("ingestionPipelines"), fqn=fqn)
            self.ingestion_statuses[pipeline["id"]][status["runId"]] = status
            self._mutated()
            return status

    def get_ingestion_status(self, fqn: str, run_id: str) -> dict | None:
        with self.lock:
            pipeline = self._get_locked(self.coll("ingestionPipelines"), fqn=fqn)
            return self.ingestion_statuses.get(pipeline["id"], {}).get(run_id)

    def list_ingestion_statuses(self, fqn: str, start_ts: int | None, end_ts: int | None) -> list[dict]:
        with self.lock:
            pipeline = self._get_locked(self.coll("ingestionPipelines"), fqn=fqn)
            out = []
            for status in self.ingestion_statuses.get(pipeline["id"], {}).values():
                ts = status.get("timestamp") or status.get("startDate") or 0
                if (start_ts is None or ts >= start_ts) and (end_ts is None or ts <= end_ts):
                    out.append(status)
            return sorted(out, key=lambda s: s.get("timestamp") or 0)

    def put_progress(self, fqn: str, run_id: str, body: Any) -> dict:
        model = sdk.model("entity.services.ingestionPipelines.progressUpdate.ProgressUpdate")
        update = parse(model, body).model_dump(mode="json", exclude_none=True)
        with self.lock:
            self.progress[(fqn, run_id)] = update
            return update

    def add_operation_metrics(self, fqn: str, run_id: str, body: Any) -> None:
        model = sdk.model("entity.services.ingestionPipelines.operationMetricsBatch.OperationMetricsBatch")
        parse(model, body)
        with self.lock:
            self.operation_metrics[(fqn, run_id)].append(body)

    def get_setting(self, name: str) -> dict:
        with self.lock:
            if name in self.settings:
                return self.settings[name]
        if name == "profilerConfiguration":
            return {"config_type": "profilerConfiguration", "config_value": {"metricConfiguration": []}}
        raise ApiError(404, f"Setting {name} not found")

    def put_setting(self, body: Any) -> dict:
        model = sdk.model("settings.settings.Settings")
        setting = parse(model, body).model_dump(mode="json", exclude_none=True)
        with self.lock:
            self.settings[setting["config_type"]] = setting
            self._mutated()
            return setting

    # ------------------------------------------------------------------ pipelines (Airflow flows)

    def add_pipeline_statuses(self, fqn: str, bodies: list) -> dict:
        model = sdk.model("entity.data.pipeline.PipelineStatus")
        statuses = [parse(model, body).model_dump(mode="json", exclude_none=True) for body in bodies]
        c = self.coll("pipelines")
        with self.lock:
            pipeline = self._get_locked(c, fqn=fqn)
            bucket = self.pipeline_statuses[pipeline["id"]]
            for status in statuses:
                bucket[int(status["timestamp"])] = status
            latest = bucket[max(bucket)]
            new = dict(pipeline, pipelineStatus=latest)
            self._replace(c, new)
            self._mutated()
            return new

    def list_pipeline_statuses(self, fqn: str, start_ts: int | None, end_ts: int | None, limit: int | None) -> list:
        with self.lock:
            pipeline = self._get_locked(self.coll("pipelines"), fqn=fqn)
            items = [
                s
                for ts, s in sorted(self.pipeline_statuses.get(pipeline["id"], {}).items())
                if (start_ts is None or ts >= start_ts) and (end_ts is None or ts <= end_ts)
            ]
            return items[-limit:] if limit else items

    def put_pipeline_observability(self, table_id: str, bodies: Any) -> dict:
        """``PUT /tables/{id}/pipelineObservability``: one entry per pipeline, replaced by pipeline id.

        Stored on the table without a new version (it is run data, not metadata).
        """
        if not isinstance(bodies, list):
            raise ApiError(400, "Pipeline observability body must be a JSON array of PipelineObservability")
        model = sdk.model("type.pipelineObservability.PipelineObservability")
        items = [parse(model, body).model_dump(mode="json", exclude_none=True) for body in bodies]
        c = self.coll("tables")
        with self.lock:
            table = self._get_locked(c, entity_id=table_id)
            by_pipeline = {(o.get("pipeline") or {}).get("id"): o for o in table.get("pipelineObservability") or []}
            for item in items:
                by_pipeline[(item.get("pipeline") or {}).get("id")] = item
            new = dict(table, pipelineObservability=list(by_pipeline.values()))
            self._replace(c, new)
            self._mutated()
            return new

    # ------------------------------------------------------------------ lineage

    def _drop_edge(self, from_id: str, to_id: str) -> dict | None:
        edge = self.lineage.pop((from_id, to_id), None)
        self._lineage_out.get(from_id, set()).discard(to_id)
        self._lineage_in.get(to_id, set()).discard(from_id)
        return edge

    def _lineage_endpoint(self, ref: dict, what: str) -> dict:
        entity_type = ref.get("type")
        if entity_type not in BY_TYPE:
            raise ApiError(400, f"Lineage {what} type {entity_type!r} is not supported by openmetadata-emulator")
        entity = self.entity_by_id(ref.get("id"), (entity_type,), include_deleted=False)
        if entity is None:
            raise ApiError(404, f"{entity_type} instance for {ref.get('id')} not found")
        return self.ref(entity, entity_type)

    def add_lineage(self, body: Any, *, user: str = "admin") -> None:
        """``PUT /lineage``: upsert the edge (fromId, toId); lineageDetails are replaced."""
        model = sdk.model("api.lineage.addLineage.AddLineageRequest")
        req = parse(model, body).model_dump(mode="json", exclude_none=True)
        edge = req["edge"]
        with self.lock:
            from_ref = self._lineage_endpoint(edge["fromEntity"], "fromEntity")
            to_ref = self._lineage_endpoint(edge["toEntity"], "toEntity")
            self._put_edge(from_ref, to_ref, edge.get("lineageDetails") or {}, edge.get("description"), user)

    def add_lineage_by_name(self, from_type, from_fqn, to_type, to_fqn, body: Any, *, user: str = "admin") -> None:
        model = sdk.model("type.entityLineage.LineageDetails")
        details = parse(model, body or {}).model_dump(mode="json", exclude_none=True)
        with self.lock:
            from_entity, _ = self._require_fqn((from_type,), from_fqn)
            to_entity, _ = self._require_fqn((to_type,), to_fqn)
            self._put_edge(self.ref(from_entity, from_type), self.ref(to_entity, to_type), details, None, user)

    def _put_edge(self, from_ref: dict, to_ref: dict, details: dict, description: str | None, user: str) -> None:
        if from_ref["id"] == to_ref["id"]:
            raise ApiError(400, "Lineage edge from an entity to itself is not allowed")
        details = dict(details)
        if details.get("pipeline"):
            pref = details["pipeline"]
            ptype = pref.get("type") or "pipeline"
            pipeline = self.entity_by_id(pref.get("id"), (ptype,), include_deleted=False)
            if pipeline is None:
                raise ApiError(404, f"{ptype} instance for {pref.get('id')} not found")
            details["pipeline"] = self.ref(pipeline, ptype)
        key = (from_ref["id"], to_ref["id"])
        old = self.lineage.get(key)
        ts = now_ms()
        details.setdefault("source", "Manual")
        details["createdAt"] = (old or {}).get("lineageDetails", {}).get("createdAt", ts)
        details["createdBy"] = (old or {}).get("lineageDetails", {}).get("createdBy", user)
        details["updatedAt"] = ts
        details["updatedBy"] = user
        edge = {"fromEntity": from_ref, "toEntity": to_ref, "lineageDetails": details}
        if description:
            edge["description"] = description
        if old is not None and _same_edge(old, edge):
            return
        self.lineage[key] = edge
        self._lineage_out[key[0]].add(key[1])
        self._lineage_in[key[1]].add(key[0])
        self._mutated()

    def get_edge(self, from_id: str, to_id: str) -> dict:
        with self.lock:
            edge = self.lineage.get((from_id, to_id))
            if edge is None:
                raise ApiError(404, f"Lineage edge between {from_id} and {to_id} not found")
            return {
                "edge": {
                    "fromEntity": edge["fromEntity"],
                    "toEntity": edge["toEntity"],
                    **({"description": edge["description"]} if edge.get("description") else {}),
                    **edge["lineageDetails"],
                }
            }

    def patch_edge(self, from_id: str, to_id: str, ops: Any, *, user: str = "admin") -> None:
        with self.lock:
            edge = self.lineage.get((from_id, to_id))
            if edge is None:
                raise ApiError(404, f"Lineage edge between {from_id} and {to_id} not found")
            try:
                details = apply_patch(edge["lineageDetails"], ops)
            except PatchError as exc:
                raise ApiError(400, str(exc)) from None
            model = sdk.model("type.entityLineage.LineageDetails")
            parse(model, details)
            self._put_edge(edge["fromEntity"], edge["toEntity"], details, edge.get("description"), user)

    def delete_edge(self, from_id: str, to_id: str) -> None:
        with self.lock:
            if self._drop_edge(from_id, to_id) is None:
                raise ApiError(404, f"Lineage edge between {from_id} and {to_id} not found")
            self._mutated()

    def delete_edges_by_source(self, entity_id: str, source: str) -> int:
        with self.lock:
            doomed = [
                k
                for k, e in self.lineage.items()
                if entity_id in k and (e["lineageDetails"].get("source") or "Manual") == source
            ]
            for from_id, to_id in doomed:
                self._drop_edge(from_id, to_id)
            if doomed:
                self._mutated()
            return len(doomed)

    def lineage_graph(self, entity_type: str, *, entity_id=None, fqn=None, upstream=1, downstream=1) -> dict:
        """``GET /lineage/{type}/{id|name/fqn}``: ``{entity, nodes, upstreamEdges, downstreamEdges}``."""
        spec = BY_TYPE.get(entity_type)
        if spec is None:
            raise ApiError(400, f"Lineage for entity type {entity_type!r} is not supported by openmetadata-emulator")
        with self.lock:
            entity = self._get_locked(self._colls[spec.name], entity_id=entity_id, fqn=fqn)
            root = entity["id"]
            nodes: dict[str, dict] = {}
            up_edges, down_edges = [], []

            def walk(start: str, depth: int, neighbours, edges_out, upstream_dir: bool):
                frontier, seen = [start], {start}
                for _ in range(max(0, depth)):
                    nxt = []
                    for node in frontier:
                        for other in sorted(neighbours.get(node, ())):
                            key = (other, node) if upstream_dir else (node, other)
                            edge = self.lineage.get(key)
                            other_entity = self.entity_by_id(other, include_deleted=False)
                            if edge is None or other_entity is None:
                                continue
                            edges_out.append(
                                {
                                    "fromEntity": key[0],
                                    "toEntity": key[1],
                                    "lineageDetails": edge["lineageDetails"],
                                }
                            )
                            if other != root:
                                nodes[other] = self.ref(other_entity, self.type_of_id(other))
                            if other not in seen:
                                seen.add(other)
                                nxt.append(other)
                    frontier = nxt

            walk(root, upstream, self._lineage_in, up_edges, True)
            walk(root, downstream, self._lineage_out, down_edges, False)
            return {
                "entity": self.ref(entity, spec.entity_type),
                "nodes": list(nodes.values()),
                "upstreamEdges": up_edges,
                "downstreamEdges": down_edges,
            }

    # ------------------------------------------------------------------ persistence

    def to_json(self) -> dict:
        with self.lock:
            return {
                "format": STATE_FORMAT,
                "entities": {name: list(c.by_id.values()) for name, c in self._colls.items() if c.by_id},
                "ingestionStatuses": {pid: dict(v) for pid, v in self.ingestion_statuses.items()},
                "pipelineStatuses": {pid: list(v.values()) for pid, v in self.pipeline_statuses.items()},
                "lineage": list(self.lineage.values()),
                "settings": dict(self.settings),
            }

    def load_json(self, data: dict) -> None:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"Not an openmetadata-emulator state file (format {data.get('format')!r})")
        with self.lock:
            for name, entities in (data.get("entities") or {}).items():
                c = self.coll(name)
                for entity in entities:
                    self._insert(c, entity)
            for pid, statuses in (data.get("ingestionStatuses") or {}).items():
                self.ingestion_statuses[pid].update(statuses)
            for pid, statuses in (data.get("pipelineStatuses") or {}).items():
                for s in statuses:
                    self.pipeline_statuses[pid][int(s["timestamp"])] = s
            for edge in data.get("lineage") or []:
                key = (edge["fromEntity"]["id"], edge["toEntity"]["id"])
                self.lineage[key] = edge
                self._lineage_out[key[0]].add(key[1])
                self._lineage_in[key[1]].add(key[0])
            self.settings.update(data.get("settings") or {})

    def save(self, path: str | os.PathLike) -> None:
        """Write the state atomically (temp file in the same directory + os.replace)."""
        path = os.fspath(path)
        payload = self.to_json()
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".om-emulator-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, separators=(",", ":"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def load(self, path: str | os.PathLike) -> bool:
        """Load a state file if it exists; returns whether it did."""
        if not os.path.exists(path):
            return False
        with open(path, encoding="utf-8") as fh:
            self.load_json(json.load(fh))
        return True

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

    def clear(self) -> None:
        with self.lock:
            for c in self._colls.values():
                c.by_id.clear()
                c.by_fqn.clear()
                c.scopes.clear()
                c.sorted_cache.clear()
                c.match_cache.clear()
                c.gen += 1
                c.mod += 1
            self._coll_of_id.clear()
            self.ingestion_statuses.clear()
            self.pipeline_statuses.clear()
            self.progress.clear()
            self.operation_metrics.clear()
            self.lineage.clear()
            self._lineage_out.clear()
            self._lineage_in.clear()
            self.settings.clear()
            self.usage.clear()
            self._mutated()


def _field_value(entity: dict, dotted: str) -> Any:
    node: Any = entity
    for part in dotted.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _same_edge(old: dict, new: dict) -> bool:
    volatile = {"updatedAt", "updatedBy", "createdAt", "createdBy"}
    od = {k: v for k, v in old["lineageDetails"].items() if k not in volatile}
    nd = {k: v for k, v in new["lineageDetails"].items() if k not in volatile}
    return od == nd and old.get("description") == new.get("description")
