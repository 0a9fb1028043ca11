"""Entity writes: PUT/POST upserts, bulk PUT, JSON Patch, soft/hard/recursive delete, restore,
``deleteStale``."""

from __future__ import annotations

import uuid
from typing import Any

from .. import sdk
from ..jsonpatch import PatchError, apply_patch
from ..specs import SERVICE_TYPES
from .base import ApiError, _Collection, now_ms, parse
from .entities import EntityBuilder
from .governance import Governance
from .stewardship import DescriptionStewardship
from .versions import EntityVersions


class EntityWrites(EntityBuilder, EntityVersions, Governance, DescriptionStewardship):
    # ------------------------------------------------------------------ writes

    def upsert(self, coll: str, body: Any, *, user: str = "admin", create_only: bool = False,
               override_metadata: bool = False) -> tuple[int, dict]:
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
            merged = self.keep_stewarded_descriptions(existing, merged, user=user, override_metadata=override_metadata)
            merged["deleted"] = False
            stored, change = self._apply_version(c, existing, merged, user, operation="PUT")
            if change is None:
                if merged.get("sourceHash") != existing.get("sourceHash"):
                    # a change the server does not version (the fingerprint): stored, same version
                    quiet = dict(merged, version=existing.get("version"), updatedAt=existing.get("updatedAt"),
                                 updatedBy=existing.get("updatedBy"))
                    if "changeDescription" in existing:
                        quiet["changeDescription"] = existing["changeDescription"]
                    self._validate_entity(c, quiet)
                    self._replace(c, quiet)
                    self._mutated()
                    return 200, quiet
                return 200, existing
            self._validate_entity(c, stored)
            self._replace(c, stored)
            self._mutated()
            return 200, dict(stored, changeDescription=change)

    def bulk_upsert(self, coll: str, items: Any, *, user: str = "admin", override_metadata: bool = False) -> dict:
        """``PUT /{coll}/bulk``: upsert each item; one failure does not stop the others."""
        c = self.coll(coll)
        if not isinstance(items, list):
            raise ApiError(400, f"Bulk {c.spec.name} body must be a JSON array of Create requests")
        success, failed = [], []
        for item in items:
            try:
                status, entity = self.upsert(coll, item, user=user, override_metadata=override_metadata)
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
        """RFC 6902 PATCH of a stored entity (by id, or by FQN).

        As on the server, the patch applies to the entity with its inherited owners filled in;
        inherited references are dropped again before the change is recorded, a removed list
        (``remove /owners``) is an empty one, and certification dates are the server's.
        """
        c = self.coll(coll)
        with self.lock:
            entity = self._get_locked(c, entity_id=entity_id, fqn=fqn, include="non-deleted")
            base = self.with_inherited(c.spec.entity_type, self._with_defaults(c, dict(entity)))
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
                if key in patched and rf.kind in ("ref", "ref_list") and patched[key] != base.get(key):
                    own = [r for r in patched[key] or [] if not r.get("inherited")] if rf.kind == "ref_list" else patched[key]
                    patched[key] = self._convert_ref(rf, own)
            patched = self._with_defaults(c, self.drop_inherited(self._derive(c.spec, patched)))
            for volatile in ("version", "updatedAt", "updatedBy", "changeDescription"):
                if volatile in entity:
                    patched[volatile] = entity[volatile]
            self._certify(entity, patched)
            stored, change = self._apply_version(c, entity, patched, user, operation="PATCH")
            if change is None:
                return entity
            self._validate_entity(c, stored)
            self._replace(c, stored)
            self._mutated()
            return dict(stored, changeDescription=change)

    def _descendants(self, entity_type: str, fqn: str) -> list[tuple[_Collection, dict]]:
        out = []
        for c in self._colls.values():
            for eid in c.scopes.get((entity_type, fqn), {}):
                out.append((c, c.by_id[eid]))
        return out

    def _soft_delete(self, c: _Collection, entity: dict, user: str) -> dict:
        new = self._version_delete(c, entity, user, True)
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
                    self._replace(cc, self._version_delete(cc, child, user, False))
            new = self._version_delete(c, entity, user, False)
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

