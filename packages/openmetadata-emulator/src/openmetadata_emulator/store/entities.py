"""Building a stored entity from a Create request: references, derived fields, PUT merge rules,
change detection and version bumps (as the real server's ``EntityRepository`` does them)."""

from __future__ import annotations

import copy
from typing import Any

from .. import sdk
from ..specs import BY_TYPE, CollectionSpec, RefField
from .base import LIST_DEFAULTS, ApiError, StoreBase, _Collection


class EntityBuilder(StoreBase):

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
