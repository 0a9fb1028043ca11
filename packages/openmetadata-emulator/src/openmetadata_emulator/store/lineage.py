"""Lineage: an in-memory graph keyed by (fromId, toId) with ``lineageDetails``; the classic
``{entity, nodes, upstreamEdges, downstreamEdges}`` answer."""

from __future__ import annotations

from typing import Any

from .. import sdk
from ..jsonpatch import PatchError, apply_patch
from ..specs import BY_TYPE
from .base import ApiError, StoreBase, now_ms, parse


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



def _same_edge(old: dict, new: dict) -> bool:
    volatile = {"updatedAt", "updatedBy", "createdAt", "createdBy"}
    od = {k: v for k, v in old["lineageDetails"].items() if k not in volatile}
    nd = {k: v for k, v in new["lineageDetails"].items() if k not in volatile}
    return od == nd and old.get("description") == new.get("description")
