"""Lineage: a graph keyed by (fromId, toId) holding each edge's ``LineageDetails`` as the server
stores them (``LineageRepository`` in open-metadata/OpenMetadata
``openmetadata-service/src/main/java/org/openmetadata/service/jdbi3/LineageRepository.java``):

* a PUT replaces the details: ``columnsLineage`` (``[]`` when none), ``sqlQuery``, ``source``
  (``Manual`` by default), ``pipeline`` (resolved to a full reference, 404 when missing),
  ``description``, ``createdAt``/``createdBy``/``updatedAt``/``updatedBy`` set by the server
  on every PUT; the ``EntitiesEdge.description`` of the request is not stored
* a JSON Patch applies to the stored details (``add /columnsLineage/0`` works on a fresh edge)
  and keeps ``createdAt``/``createdBy``
* column lineage is validated as ``validateLineageDetails`` does since 2025-08 (PR #23075): a
  ``toColumn`` that is not a column of the target, or a ``fromColumn`` that is not one of the
  source, is dropped (an entry left without ``fromColumns`` goes too); the request succeeds
* ``getLineageEdge`` answers ``{"edge": <LineageDetails>}``; a PATCH answers the patched details
* the graph read is the classic ``{entity, nodes, upstreamEdges, downstreamEdges}``
"""

from __future__ import annotations

from typing import Any

from .. import sdk
from ..jsonpatch import PatchError, apply_patch
from ..specs import BY_TYPE
from .base import ApiError, StoreBase, now_ms, parse

# entity types whose children can be column-lineage endpoints (LineageRepository.getChildrenNames)
_COLUMN_HOLDERS = {"table": "columns"}


class LineageStore(StoreBase):
    # ------------------------------------------------------------------ lineage

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
            self._put_edge(from_ref, to_ref, edge.get("lineageDetails") or {}, user)

    def add_lineage_by_name(self, from_type, from_fqn, to_type, to_fqn, body: Any, *, user: str = "admin") -> None:
        model = sdk.model("type.entityLineage.LineageDetails")
        details = parse(model, body or {}).model_dump(mode="json", exclude_none=True)
        with self.lock:
            from_entity, _ = self._require_fqn((from_type,), from_fqn)
            to_entity, _ = self._require_fqn((to_type,), to_fqn)
            self._put_edge(self.ref(from_entity, from_type), self.ref(to_entity, to_type), details, user)

    def _full_ref(self, entity: dict, entity_type: str) -> dict:
        ref = self.ref(entity, entity_type)
        for key in ("displayName", "description"):
            if entity.get(key):
                ref[key] = entity[key]
        ref["deleted"] = bool(entity.get("deleted"))
        return ref

    def _column_names(self, ref: dict) -> set[str]:
        """Child names of an endpoint relative to its FQN (``CommonUtil.getChildrenNames``)."""
        field = _COLUMN_HOLDERS.get(ref["type"])
        entity = self.entity_by_id(ref["id"], include_deleted=True) if field else None
        names: set[str] = set()
        prefix = ref["fullyQualifiedName"] + "."

        def walk(columns):
            for column in columns or []:
                fqn = column.get("fullyQualifiedName") or prefix + column.get("name", "")
                names.add(fqn.replace(prefix, ""))
                walk(column.get("children"))

        walk((entity or {}).get(field))
        return names

    def _valid_columns_lineage(self, from_ref: dict, to_ref: dict, columns: list[dict]) -> list[dict]:
        from_names, to_names = self._column_names(from_ref), self._column_names(to_ref)
        from_prefix, to_prefix = from_ref["fullyQualifiedName"] + ".", to_ref["fullyQualifiedName"] + "."
        kept = []
        for item in columns:
            if str(item.get("toColumn", "")).replace(to_prefix, "") not in to_names:
                continue  # "Invalid toColumn": dropped
            sources = [c for c in item.get("fromColumns") or [] if c.replace(from_prefix, "") in from_names]
            if sources:
                kept.append({**item, "fromColumns": sources})
        return kept

    def _put_edge(
        self, from_ref: dict, to_ref: dict, details: dict, user: str, *, keep_created: dict | None = None
    ) -> dict:
        if from_ref["id"] == to_ref["id"]:
            raise ApiError(400, "Lineage edge from an entity to itself is not allowed")
        details = dict(details)
        if details.get("pipeline"):
            pref = details["pipeline"]
            ptype = pref.get("type") or "pipeline"
            pipeline = self.entity_by_id(pref.get("id"), (ptype,), include_deleted=False)
            if pipeline is None:
                raise ApiError(404, f"{ptype} instance for {pref.get('id')} not found")
            details["pipeline"] = self._full_ref(pipeline, ptype)
        details["columnsLineage"] = self._valid_columns_lineage(from_ref, to_ref, details.get("columnsLineage") or [])
        details.setdefault("source", "Manual")
        ts = now_ms()
        created = keep_created or {"createdAt": ts, "createdBy": user}
        details["createdAt"] = created.get("createdAt", ts)
        details["createdBy"] = created.get("createdBy", user)
        details["updatedAt"] = ts
        details["updatedBy"] = user
        key = (from_ref["id"], to_ref["id"])
        self.lineage[key] = {"fromEntity": from_ref, "toEntity": to_ref, "lineageDetails": details}
        self._lineage_out[key[0]].add(key[1])
        self._lineage_in[key[1]].add(key[0])
        self._mutated()
        return details

    def get_edge(self, from_id: str, to_id: str) -> dict:
        """``GET /lineage/getLineageEdge/{fromId}/{toId}``: ``{"edge": <LineageDetails>}``."""
        with self.lock:
            edge = self.lineage.get((from_id, to_id))
            if edge is None:
                raise ApiError(404, f"Lineage edge not found between {from_id} and  {to_id}")
            return {"edge": {"columnsLineage": [], **edge["lineageDetails"]}}  # 0.1.0 state files lack the key

    def patch_edge(
        self, from_type: str, from_id: str, to_type: str, to_id: str, ops: Any, *, user: str = "admin"
    ) -> dict:
        """``PATCH /lineage/{fromType}/{fromId}/{toType}/{toId}``: the patched LineageDetails."""
        with self.lock:
            for entity_type, entity_id in ((from_type, from_id), (to_type, to_id)):
                if self.entity_by_id(entity_id, (entity_type,), include_deleted=False) is None:
                    raise ApiError(404, f"{entity_type} instance for {entity_id} not found")
            edge = self.lineage.get((from_id, to_id))
            if edge is None:
                raise ApiError(404, f"Lineage edge not found between {from_type} {from_id} and {to_type} {to_id}")
            try:
                details = apply_patch({"columnsLineage": [], **edge["lineageDetails"]}, ops)
            except PatchError as exc:
                raise ApiError(400, str(exc)) from None
            model = sdk.model("type.entityLineage.LineageDetails")
            details = parse(model, details).model_dump(mode="json", exclude_none=True)
            old = edge["lineageDetails"]
            return dict(
                self._put_edge(
                    edge["fromEntity"],
                    edge["toEntity"],
                    details,
                    user,
                    keep_created={"createdAt": old.get("createdAt"), "createdBy": old.get("createdBy")},
                )
            )

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
