"""Groups of whole schemas for a sharded full refresh (dynamic task mapping, one task per group).

A schema is never split (the SDK's soft deletes are per schema, see ``filters.py``); schemas
are packed in name order into groups of at most ``objects_per_shard`` tables and views (a
schema larger than that is a group of its own). An empty schema counts as one object, so it
lands in some shard and its entity is created.
"""

from __future__ import annotations

from dataclasses import dataclass

from include.incremental.fingerprint import Fingerprints, SchemaKey


@dataclass(frozen=True)
class Shard:
    index: int
    schemas: tuple[SchemaKey, ...]
    objects: int

    def to_json(self) -> dict:
        return {"index": self.index, "schemas": [list(k) for k in self.schemas], "objects": self.objects}

    @classmethod
    def from_json(cls, data: dict) -> "Shard":
        return cls(int(data["index"]), tuple((str(d), str(s)) for d, s in data["schemas"]), int(data["objects"]))


def plan_shards(prints: Fingerprints, objects_per_shard: int) -> list[Shard]:
    """Schema groups; one group (no sharding) when ``objects_per_shard`` <= 0 or everything fits."""
    sizes = [((db, schema), max(1, len(sp.tables))) for db in sorted(prints) for schema, sp in sorted(prints[db].items())]
    if objects_per_shard <= 0 or sum(n for _, n in sizes) <= objects_per_shard:
        return [Shard(0, tuple(k for k, _ in sizes), sum(n for _, n in sizes))]
    groups: list[list[tuple[SchemaKey, int]]] = [[]]
    for key, n in sizes:
        current = groups[-1]
        if current and sum(m for _, m in current) + n > objects_per_shard:
            groups.append([])
        groups[-1].append((key, n))
    return [Shard(i, tuple(k for k, _ in g), sum(n for _, n in g)) for i, g in enumerate(groups) if g]
