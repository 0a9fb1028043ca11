"""What changed between two versions of an entity, described as the real server does it.

The server's ``EntityRepository.EntityUpdater`` (open-metadata/OpenMetadata,
openmetadata-service/src/main/java/org/openmetadata/service/jdbi3/EntityRepository.java) records
every change as a ``FieldChange`` ``{name, oldValue, newValue}`` in ``fieldsAdded``,
``fieldsUpdated`` or ``fieldsDeleted``:

* plain attributes (``description``, ``displayName``, ``deleted``) carry their raw values;
* lists of references or tag labels (``owners``, ``tags``, ``domains``, ...) record the items
  added or removed as a JSON string (``recordListChange``); references match by id and type,
  tag labels by ``tagFQN`` and source;
* table columns match by name (case-insensitive), data type and array data type
  (``EntityUtil.columnMatch``); a column added or deleted is recorded under ``columns``, a
  change inside a kept column under ``columns.<name>.description``, ``columns.<name>.tags``,
  ``columns.<name>.dataLength`` ... (``ColumnEntityUpdater.updateColumns``);
* anything else is recorded with JSON values (``recordChange(..., jsonValue=true)``).

A deleted column, or a reduced ``dataLength``/``precision``/``scale``, is a backward-incompatible
change: the version goes up by 1.0 instead of 0.1 (``majorVersionChange``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .. import sdk
from ..specs import VOLATILE

# Relationship lists and how their items are matched (EntityUtil.entityReferenceMatch / tagLabelMatch).
REF_LISTS = ("owners", "domains", "dataProducts", "followers", "reviewers", "experts")
RAW_FIELDS = ("description", "displayName", "deleted")
NOT_VERSIONED = VOLATILE | {"sourceHash", "href", "id", "pipelineStatus", "pipelineObservability"}


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


@dataclass
class Changes:
    added: list[dict] = field(default_factory=list)
    updated: list[dict] = field(default_factory=list)
    deleted: list[dict] = field(default_factory=list)
    major: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    def record(self, name: str, old: Any, new: Any, *, raw: bool = False) -> None:
        """``recordChange``: absent -> present is added, present -> absent deleted, else updated."""
        if _empty(old) and _empty(new):
            return
        if old == new:
            return
        enc = (lambda v: v) if raw else to_json
        if _empty(old):
            self.added.append({"name": name, "newValue": enc(new)})
        elif _empty(new):
            self.deleted.append({"name": name, "oldValue": enc(old)})
        else:
            self.updated.append({"name": name, "oldValue": enc(old), "newValue": enc(new)})

    def record_list(self, name: str, old: list | None, new: list | None, key) -> tuple[list, list]:
        """``recordListChange``: items only in ``new`` are added, only in ``old`` deleted."""
        old, new = list(old or []), list(new or [])
        old_keys = {key(i) for i in old}
        new_keys = {key(i) for i in new}
        added = [i for i in new if key(i) not in old_keys]
        deleted = [i for i in old if key(i) not in new_keys]
        if added:
            self.added.append({"name": name, "newValue": to_json(added)})
        if deleted:
            self.deleted.append({"name": name, "oldValue": to_json(deleted)})
        return added, deleted

    def as_description(self, previous_version: float) -> dict:
        return {
            "fieldsAdded": self.added,
            "fieldsUpdated": self.updated,
            "fieldsDeleted": self.deleted,
            "previousVersion": previous_version,
        }


def ref_key(ref: Any) -> Any:
    if isinstance(ref, dict):
        return (ref.get("id"), ref.get("type"))
    return ref


def tag_key(label: Any) -> Any:
    if isinstance(label, dict):
        return (label.get("tagFQN"), label.get("source", "Classification"))
    return label


def own_refs(refs: Any) -> list:
    """References that are the entity's own (inherited ones are never part of an update)."""
    return [r for r in refs or [] if not (isinstance(r, dict) and r.get("inherited"))]


def _column_key(col: dict) -> tuple:
    return (str(col.get("name", "")).lower(), col.get("dataType"), col.get("arrayDataType"))


def _columns(changes: Changes, field_name: str, old: list, new: list) -> None:
    added, deleted = changes.record_list(field_name, old, new, _column_key)
    if deleted:
        changes.major = True
    old_by_key = {_column_key(c): c for c in old if isinstance(c, dict)}
    for col in new:
        if not isinstance(col, dict):
            continue
        stored = old_by_key.get(_column_key(col))
        if stored is None:
            continue
        name = str(stored.get("name"))
        # the description uses a plain join, the other attributes an FQN build (quoted names)
        changes.record(f"{field_name}.{name}.description", stored.get("description"), col.get("description"), raw=True)
        try:
            base = sdk.build(field_name.split(".")[0], *field_name.split(".")[1:], name)
        except ValueError:
            base = f"{field_name}.{name}"
        changes.record(f"{base}.displayName", stored.get("displayName"), col.get("displayName"), raw=True)
        for attr in ("dataLength", "precision", "scale"):
            before, after = stored.get(attr), col.get(attr)
            if before != after:
                changes.record(f"{base}.{attr}", before, after, raw=True)
                if before is not None and (after is None or after < before):
                    changes.major = True
                elif attr == "dataLength" and before is None:
                    changes.major = True
        changes.record_list(f"{field_name}.{name}.tags", stored.get("tags"), col.get("tags"), tag_key)
        changes.record(f"{base}.constraint", stored.get("constraint"), col.get("constraint"), raw=True)
        if col.get("children") is not None and stored.get("children") is not None:
            _columns(changes, f"{field_name}.{name}", stored["children"], col["children"])


def describe(old: dict, new: dict) -> Changes:
    """The server's change record for ``old`` -> ``new`` (stored entity dicts)."""
    changes = Changes()
    for key in sorted(set(old) | set(new)):
        if key in NOT_VERSIONED:
            continue
        before, after = old.get(key), new.get(key)
        if before == after or (_empty(before) and _empty(after)):
            continue
        if key in REF_LISTS:
            changes.record_list(key, own_refs(before), own_refs(after), ref_key)
        elif key == "tags":
            changes.record_list(key, before, after, tag_key)
        elif key == "columns" and isinstance(before, list) and isinstance(after, list):
            _columns(changes, "columns", before, after)
        elif key in RAW_FIELDS:
            if key == "deleted":
                if bool(before) != bool(after):
                    changes.updated.append({"name": "deleted", "oldValue": bool(before), "newValue": bool(after)})
            else:
                changes.record(key, before, after, raw=True)
        else:
            changes.record(key, before, after)
    return changes


def next_version(version: float, major: bool) -> float:
    """``EntityUtil.nextVersion`` (+0.1) / ``nextMajorVersion`` (+1.0), rounded to one decimal."""
    return round(float(version) + (1.0 if major else 0.1), 1)
