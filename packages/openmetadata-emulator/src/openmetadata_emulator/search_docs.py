"""Search documents as the server indexes them, built from the store.

The server indexes an entity as its full JSON (``fields=*``) plus derived fields, minus a few
heavy or secret ones (``SearchIndex.buildSearchIndexDoc``, ``TaggableIndex``,
``ServiceBackedIndex``, ``TableIndex`` in open-metadata/OpenMetadata
``openmetadata-service/src/main/java/org/openmetadata/service/search/indexes/``):

* ``entityType``, ``displayName`` (the name when unset), ``descriptionStatus``, ``deleted``
* ``service``, ``database``, ``databaseSchema`` and every ``owners`` reference with a
  ``displayName`` (the name when unset)
* ``tier``: the first tag label whose FQN starts with ``Tier.`` (case-insensitive), taken out
  of ``tags`` (``ParseTags``); a table's column tags are merged into ``tags`` after the
  entity's own, one per ``tagFQN`` (``TaggableIndex.mergeChildTags``)
* tables: ``columnNames`` (flattened, children included), ``upstreamLineage`` (one entry per
  incoming edge, ``LineageRepository.buildEntityLineageData``)
* removed: ``changeDescription``, ``incrementalChangeDescription``, ``votes``,
  ``connection`` (a service's secrets), and a table's ``sampleData``, ``tableProfile``,
  ``joins``, ``tableProfilerConfig``, ``profile``, ``location``, ``queries``, ``tests``

Documents are cached per entity until the store changes (``mutation_count``).
"""

from __future__ import annotations

from typing import Any

from .specs import CollectionSpec

_ALWAYS_EXCLUDED = ("changeDescription", "incrementalChangeDescription", "votes", "connection", "changeSummary")
_TABLE_EXCLUDED = (
    "sampleData",
    "tableProfile",
    "joins",
    "tableProfilerConfig",
    "profile",
    "location",
    "queries",
    "tests",
)
_REF_FIELDS = ("service", "database", "databaseSchema")


def _with_display_name(store, ref: Any) -> Any:
    """The reference as the server holds it (the target's current displayName and description),
    its ``displayName`` defaulting to the name (``SearchIndex.getEntityWithDisplayName``)."""
    if not isinstance(ref, dict):
        return ref
    out = dict(ref)
    target = store.entity_by_id(ref.get("id")) if ref.get("id") else None
    for key in ("displayName", "description"):
        if target is not None and target.get(key) and not out.get(key):
            out[key] = target[key]
    if not out.get("displayName"):
        out["displayName"] = out.get("name")
    return out


def _flatten_columns(columns: list[dict] | None) -> list[dict]:
    out: list[dict] = []
    for column in columns or []:
        out.append(column)
        out.extend(_flatten_columns(column.get("children")))
    return out


def split_tier(tags: list[dict]) -> tuple[dict | None, list[dict]]:
    """``(tier, other tags)``: the first label whose FQN's first part is ``tier``."""
    for i, tag in enumerate(tags):
        if str(tag.get("tagFQN", "")).split(".")[0].lower() == "tier":
            return tag, tags[:i] + tags[i + 1 :]
    return None, list(tags)


def _merge_tags(own: list[dict], children: list[list[dict]]) -> list[dict]:
    merged: dict[str, dict] = {}
    for tag in own:
        merged.setdefault(tag.get("tagFQN"), tag)
    for labels in children:
        for tag in labels:
            merged.setdefault(tag.get("tagFQN"), tag)
    return list(merged.values())


def _upstream_lineage(store, entity: dict) -> list[dict]:
    out = []
    for from_id in sorted(store._lineage_in.get(entity["id"], ())):
        edge = store.lineage.get((from_id, entity["id"]))
        if edge is None:
            continue
        details = edge["lineageDetails"]
        src = edge["fromEntity"]
        item = {
            "fromEntity": {"id": src["id"], "type": src["type"], "fullyQualifiedName": src["fullyQualifiedName"]},
            "docId": f"{src['fullyQualifiedName']}--->{entity['fullyQualifiedName']}",
            "docUniqueId": f"{src['id']}--->{entity['id']}",
            "columns": details.get("columnsLineage") or None,
        }
        for key in (
            "sqlQuery",
            "source",
            "pipeline",
            "description",
            "createdAt",
            "createdBy",
            "updatedAt",
            "updatedBy",
        ):
            if details.get(key) is not None:
                item[key] = details[key]
        pipeline = details.get("pipeline")
        if pipeline:
            item["docId"] = (
                f"{src['fullyQualifiedName']}--->{pipeline['type']}:{pipeline['id']}--->{entity['fullyQualifiedName']}"
            )
            item["pipelineEntityType"] = pipeline["type"]
        out.append({k: v for k, v in item.items() if v is not None})
    return out


def build_doc(store, spec: CollectionSpec, entity: dict) -> dict:
    """The ``_source`` the server's search index holds for this entity."""
    doc = store.render(spec.name, entity, "*")
    for key in _ALWAYS_EXCLUDED:
        doc.pop(key, None)
    doc["entityType"] = spec.entity_type
    doc["displayName"] = entity.get("displayName") or entity.get("name")
    doc["deleted"] = bool(entity.get("deleted"))
    doc["descriptionStatus"] = "COMPLETE" if entity.get("description") else "INCOMPLETE"
    for key in _REF_FIELDS:
        if isinstance(doc.get(key), dict):
            doc[key] = _with_display_name(store, doc[key])
    doc["owners"] = [_with_display_name(store, o) for o in doc.get("owners") or []]
    tier, tags = split_tier(list(doc.get("tags") or []))
    if spec.entity_type == "table":
        for key in _TABLE_EXCLUDED:
            doc.pop(key, None)
        columns = _flatten_columns(doc.get("columns"))
        doc["columnNames"] = [c.get("name") for c in columns]
        tags = _merge_tags(tags, [c.get("tags") or [] for c in columns])
        upstream = _upstream_lineage(store, entity)
        if upstream:
            doc["upstreamLineage"] = upstream
    doc["tags"] = tags
    if tier is not None and tier.get("tagFQN"):
        doc["tier"] = tier
    else:
        doc.pop("tier", None)
    return doc


def cached_doc(store, spec: CollectionSpec, entity: dict) -> dict:
    """``build_doc``, cached until the next change to the store (call under the store's lock)."""
    cache = getattr(store, "_search_doc_cache", None)
    if cache is None or cache[0] != store.mutation_count:
        cache = (store.mutation_count, {})
        store._search_doc_cache = cache
    docs = cache[1]
    doc = docs.get(entity["id"])
    if doc is None:
        doc = docs[entity["id"]] = build_doc(store, spec, entity)
    return doc
