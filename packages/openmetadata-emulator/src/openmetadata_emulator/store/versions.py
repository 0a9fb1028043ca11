"""Entity versions: the change record of every write and the history behind
``GET /{collection}/{id}/versions`` and ``GET /{collection}/{id}/versions/{version}``.

As the real server's ``EntityRepository.EntityUpdater`` (open-metadata/OpenMetadata,
openmetadata-service/src/main/java/org/openmetadata/service/jdbi3/EntityRepository.java):

* a write that changes a recorded field bumps the version by 0.1 (1.0 for a backward-incompatible
  change) and keeps the previous version's JSON in the history (``storeEntityHistory``);
* a write that changes nothing keeps version, ``updatedAt``, ``updatedBy`` and
  ``changeDescription``; a change the server does not version (``sourceHash``) is stored quietly;
* a PATCH by the same user within 10 minutes of that user's previous change (on an entity past
  0.1, not deleted) is consolidated into the version that change made: the version number stays,
  ``changeDescription`` describes previous version -> now, and the response carries the
  ``incrementalChangeDescription`` (what this request changed);
* ``listVersions`` answers ``{"entityType", "versions": [json strings, newest first]}``;
  ``getVersion`` answers one of them or 404 ``<type> instance for <id> and version <v> not found``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .base import ApiError, StoreBase, _Collection, now_ms
from .changes import Changes, describe, next_version

SESSION_TIMEOUT_MS = 10 * 60 * 1000  # EntityUpdater.sessionTimeoutMillis


class EntityVersions(StoreBase):
    def _history(self, entity_id: str) -> dict[float, dict]:
        return self.history.setdefault(entity_id, {})

    def _stamp(self, entity: dict, user: str) -> None:
        entity["updatedAt"] = now_ms()
        entity["updatedBy"] = user

    def _incremental(self, c: _Collection, entity: dict, description: dict) -> None:
        if "incrementalChangeDescription" in self._entity_fields(c):
            entity["incrementalChangeDescription"] = description

    def _apply_version(
        self, c: _Collection, original: dict, updated: dict, user: str, *, operation: str = "PUT"
    ) -> tuple[dict, dict | None]:
        """Version ``updated`` against the stored ``original`` (same id).

        Returns (entity to store, the response's changeDescription) or (original, None) when
        the write changes nothing the server records.
        """
        changes = describe(original, updated)
        previous = self._consolidation_base(original, user, operation)
        if not changes:
            return original, None
        incremental = changes.as_description(original.get("version", 0.1))
        self._stamp(updated, user)
        history = self._history(original["id"])
        if previous is not None:
            # consolidate: previous -> updated replaces previous -> original
            total = describe(previous, updated)
            if not total:  # the session undid itself: back to the previous version
                updated["version"] = previous["version"]
                updated["changeDescription"] = copy.deepcopy(previous.get("changeDescription"))
                updated["updatedAt"], updated["updatedBy"] = previous.get("updatedAt"), previous.get("updatedBy")
                history.pop(float(previous["version"]), None)
            else:
                updated["version"] = next_version(previous["version"], total.major)
                updated["changeDescription"] = total.as_description(previous["version"])
        else:
            history[float(original.get("version", 0.1))] = self._snapshot(original)
            updated["version"] = next_version(original.get("version", 0.1), changes.major)
            updated["changeDescription"] = changes.as_description(original.get("version", 0.1))
        self._incremental(c, updated, incremental)
        return updated, incremental

    def _consolidation_base(self, original: dict, user: str, operation: str) -> dict | None:
        """The previous version a PATCH is consolidated onto (``EntityUpdater.consolidateChanges``)."""
        if operation != "PATCH" or float(original.get("version", 0.1)) <= 0.1 or original.get("deleted"):
            return None
        if original.get("updatedBy") != user or now_ms() - int(original.get("updatedAt") or 0) > SESSION_TIMEOUT_MS:
            return None
        previous_version = (original.get("changeDescription") or {}).get("previousVersion")
        if previous_version is None:
            return None
        return self.history.get(original["id"], {}).get(float(previous_version))

    @staticmethod
    def _snapshot(entity: dict) -> dict:
        snap = copy.deepcopy(entity)
        snap.pop("href", None)
        return snap

    def _version_delete(self, c: _Collection, original: dict, user: str, deleted: bool) -> dict:
        """Soft delete / restore: ``deleted`` flips, recorded as a change (a new minor version)."""
        updated = dict(original, deleted=deleted)
        changes = Changes(updated=[{"name": "deleted", "oldValue": not deleted, "newValue": deleted}])
        self._history(original["id"])[float(original.get("version", 0.1))] = self._snapshot(original)
        self._stamp(updated, user)
        updated["version"] = next_version(original.get("version", 0.1), False)
        updated["changeDescription"] = changes.as_description(original.get("version", 0.1))
        self._incremental(c, updated, updated["changeDescription"])
        return updated

    # ------------------------------------------------------------------ reads

    def list_versions(self, coll: str, entity_id: str, render) -> dict:
        c = self.coll(coll)
        with self.lock:
            entity = self._get_locked(c, entity_id=entity_id, include="all")
            latest = render(c.spec.name, entity, "*")
            latest.pop("href", None)
            older = sorted(self.history.get(entity["id"], {}).items(), reverse=True)
            versions = [json.dumps(latest)] + [json.dumps(snap) for _, snap in older]
            return {"entityType": c.spec.entity_type, "versions": versions}

    def get_version(self, coll: str, entity_id: str, version: str, render) -> dict:
        c = self.coll(coll)
        try:
            wanted = round(float(version), 1)
        except ValueError:
            raise ApiError(400, f"Invalid version {version!r}: expected a number like 0.2") from None
        with self.lock:
            entity = self._get_locked(c, entity_id=entity_id, include="all")
            snap = self.history.get(entity["id"], {}).get(wanted)
            if snap is not None:
                return copy.deepcopy(snap)
            if float(entity.get("version", 0.1)) == wanted:
                return render(c.spec.name, entity, "*")
            raise ApiError(404, f"{c.spec.entity_type} instance for {entity_id} and version {wanted} not found")

    def history_of(self, entity_id: str) -> dict[float, Any]:
        """Read helper for tests: version -> stored JSON of that version."""
        with self.lock:
            return dict(self.history.get(str(entity_id), {}))
