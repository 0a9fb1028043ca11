"""``/v1/search/fieldQuery`` and ``/v1/search/query`` answered from the entity store.

Answers are OpenSearch-shaped (``{"hits": {"total": {"value": N, "relation": "eq"},
"hits": [{"_index", "_id", "_score", "_source", "sort"}]}}``) over the documents of
``search_docs`` (the fields the server indexes), matched with ``search_dsl``.

Paging follows the 2.0 server (``OpenSearchSearchManager.buildSearchRequestBuilder`` in
open-metadata/OpenMetadata, ``SearchResource.search``):

* ``sort_field`` (default ``_score``) in ``sort_order`` (default ``desc``), then the
  deterministic tie-breakers ``name.keyword`` and ``id.keyword`` ascending: every hit's
  ``sort`` holds one value per sort key, so ``search_after`` always advances
* ``search_after`` is repeated once per sort value (2.0 binds ``List<String>``); a cursor
  with the wrong number of values, a value that does not parse for its key, or ``from`` > 0
  with it answers 400, never the same page again
* ``hits.total`` counts every match (``gte`` 10,000 beyond 10,000); ``from + size`` over
  10,000 is a 400 (the index's ``max_result_window``)
* ``deleted`` unset matches deleted entities too; ``include_source_fields`` and
  ``exclude_source_fields`` trim ``_source``

Every hit scores 1.0 (no relevance): with ``sort_field=_score`` the order is the tie-breakers'.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from .search_docs import cached_doc
from .search_dsl import Unsupported, evaluate, field_kind, glob_matches, q_predicate, values
from .specs import BY_INDEX, BY_TYPE, SPECS, CollectionSpec
from .store import ApiError, int_param

logger = logging.getLogger("openmetadata_emulator")

_ALIASES = {"all", "dataAsset", "dataasset"}
MAX_RESULT_WINDOW = 10_000
_SCORE = 1.0
_NUMERIC_HINTS = ("updatedAt", "version", "totalVotes", "count", "percentileRank", "createdAt", "timestamp")


def _specs_for(index: str | None) -> list[CollectionSpec]:
    if not index:
        return list(SPECS)
    out: list[CollectionSpec] = []
    for name in index.split(","):
        name = name.strip()
        if name in _ALIASES:
            return list(SPECS)
        spec = BY_INDEX.get(name) or BY_TYPE.get(name)
        if spec is None:  # e.g. "openmetadata_table_search_index" with a cluster alias prefix
            spec = next((s for idx, s in BY_INDEX.items() if name.endswith(idx)), None)
        if spec is not None and spec not in out:
            out.append(spec)
    return out


def _deleted_filter(raw: str | None, default: bool | None) -> bool | None:
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ApiError(400, f"Query parameter deleted must be true or false, got {raw!r}")


def _candidates(store, specs: Iterable[CollectionSpec], deleted: bool | None):
    for spec in specs:
        for entity in store.entities(spec.name, include_deleted=True):
            if deleted is None or bool(entity.get("deleted")) == deleted:
                yield spec, entity


def _trim(source: dict, include: list[str], exclude: list[str]) -> dict:
    def keep(path: str, patterns: list[str]) -> bool:
        return any(path == p or path.startswith(p + ".") or p.startswith(path + ".") for p in patterns)

    def walk(node: Any, prefix: str) -> Any:
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            path = f"{prefix}{key}"
            if include and not keep(path, include):
                continue
            if path in exclude:
                continue
            out[key] = walk(value, path + ".") if isinstance(value, dict) else value
        return out

    return walk(source, "")


def _hit(spec: CollectionSpec, doc: dict, sort: list | None, include=(), exclude=(), scored=True) -> dict:
    hit = {
        "_index": spec.search_index or spec.name,
        "_id": doc["id"],
        "_score": _SCORE if scored else None,  # ES scores only when sorting by _score (or not sorting)
        "_source": _trim(doc, list(include), list(exclude)) if (include or exclude) else doc,
    }
    if sort is not None:
        hit["sort"] = sort
    return hit


def _answer(hits: list[dict], total: int) -> dict:
    relation = "eq" if total <= MAX_RESULT_WINDOW else "gte"
    return {
        "took": 1,
        "timed_out": False,
        "hits": {
            "total": {"value": min(total, MAX_RESULT_WINDOW), "relation": relation},
            "max_score": (_SCORE if hits and hits[0]["_score"] is not None else None),
            "hits": hits,
        },
    }


def field_query(store, params: dict[str, str]) -> dict:
    """``searchByField``: a wildcard query on one field, ``deleted`` defaulting to false, no sort."""
    field = params.get("fieldName") or "fullyQualifiedName"
    value = params.get("fieldValue") or ""
    start = int_param(params, "from", 0)
    size = int_param(params, "size", 10)
    deleted = _deleted_filter(params.get("deleted"), False)
    matches: list[tuple[CollectionSpec, dict]] = []
    specs = _specs_for(params.get("index") or "table_search_index")
    with store.lock:
        if field in ("fullyQualifiedName", "fullyQualifiedName.keyword") and not any(c in value for c in "*?"):
            # fast path for the SDK's lookups by FQN: the keyword is exact (case-insensitive)
            for spec in specs:
                entity = store.get(spec.name, value, include_deleted=True)
                if (
                    entity is not None
                    and entity["fullyQualifiedName"].casefold() == value.casefold()
                    and (deleted is None or bool(entity.get("deleted")) == deleted)
                ):
                    matches.append((spec, cached_doc(store, spec, entity)))
        else:
            for spec, entity in _candidates(store, specs, deleted):
                doc = cached_doc(store, spec, entity)
                if glob_matches(doc, field, value, frozenset()):
                    matches.append((spec, doc))
        matches.sort(key=lambda sd: sd[1]["fullyQualifiedName"])
        return _answer([_hit(s, d, None) for s, d in matches[start : start + size]], len(matches))


# --------------------------------------------------------------------------- sorting


class _Key:
    __slots__ = ("desc", "field", "kind", "path")

    def __init__(self, field: str, desc: bool):
        self.field = field
        self.path, self.kind = field_kind(field)
        self.desc = desc

    def value(self, doc: dict) -> Any:
        if self.field == "_score":
            return _SCORE
        found = [v for v in values(doc, self.path) if not isinstance(v, (dict, list))]
        if not found:
            return None
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in found):
            return max(found) if self.desc else min(found)
        strings = [str(v).lower() if self.kind != "cs" else str(v) for v in found]
        return max(strings) if self.desc else min(strings)

    def parse(self, raw: str, sample: Any) -> Any:
        """A ``search_after`` value for this key, typed like the key's values."""
        if self.field == "_score" or isinstance(sample, (int, float)) or self.field.endswith(_NUMERIC_HINTS):
            try:
                return float(raw)
            except ValueError:
                raise ApiError(
                    400, f"search_after value {raw!r} is not a number, as sort field {self.field} needs"
                ) from None
        return raw.lower() if self.kind != "cs" else raw


def _sort_keys(params: dict[str, str]) -> list[_Key]:
    field = params.get("sort_field") or "_score"
    order = (params.get("sort_order") or "desc").lower()
    if order not in ("asc", "desc"):
        raise ApiError(400, f"sort_order must be asc or desc, got {order!r}")
    keys = [_Key(field, order == "desc")]
    for tiebreak in ("name.keyword", "id.keyword"):
        if field.lower() != tiebreak:
            keys.append(_Key(tiebreak, False))
    return keys


def _compare(a: list, b: list, keys: list[_Key]) -> int:
    for x, y, key in zip(a, b, keys):
        if x == y:
            continue
        if x is None:  # missing values sort last in either order
            return 1
        if y is None:
            return -1
        if isinstance(x, (int, float)) != isinstance(y, (int, float)):
            x, y = str(x), str(y)
        result = -1 if x < y else 1
        return -result if key.desc else result
    return 0


def _after(ordered: list, positions: dict[str, int], keys: list[_Key], raw: list[str]) -> list:
    if len(raw) != len(keys):
        raise ApiError(
            400,
            f"search_after has {len(raw)} value(s) but the sort has {len(keys)} "
            f"({', '.join(k.field for k in keys)}): send one search_after per value of the last hit's sort",
        )
    # the last hit of the previous page, found by its id (the last tie-breaker)
    i = positions.get(raw[-1].lower())
    if i is not None and [str(v) for v in ordered[i][2][:-1]] == [str(v) for v in raw[:-1]]:
        return ordered[i + 1 :]
    sample = ordered[0][2] if ordered else [None] * len(keys)
    marker = [key.parse(value, s) for key, value, s in zip(keys, raw, sample)]
    return [item for item in ordered if _compare(item[2], marker, keys) > 0]


def _ordered(items: list, keys: list[_Key]) -> list:
    """Sorted by the keys, missing values last in either order: one stable sort per key, last key
    first."""
    for n in range(len(keys) - 1, -1, -1):
        present = [it for it in items if it[2][n] is not None]
        missing = [it for it in items if it[2][n] is None]
        numeric = all(isinstance(it[2][n], (int, float)) for it in present)
        present.sort(
            key=(lambda it, n=n: it[2][n]) if numeric else (lambda it, n=n: str(it[2][n])), reverse=keys[n].desc
        )
        items = present + missing
    return items


def _matches(store, params: dict[str, str], deleted: bool | None, keys: list[_Key]) -> tuple[list, dict[str, int]]:
    """The sorted matches of a query and each hit's position by id, cached until the store
    changes, so paging with ``search_after`` costs one evaluation per query, not per page."""
    cache_key = (
        params.get("index") or "table_search_index",
        params.get("q", ""),
        params.get("query_filter") or "",
        deleted,
        tuple((k.field, k.desc) for k in keys),
    )
    cache = getattr(store, "_search_result_cache", None)
    if cache is None or cache[0] != store.mutation_count:
        cache = (store.mutation_count, {})
        store._search_result_cache = cache
    if cache_key in cache[1]:
        return cache[1][cache_key]
    predicate = q_predicate(params.get("q", ""))
    dsl = None
    if params.get("query_filter") and params["query_filter"] != "{}":
        dsl = json.loads(params["query_filter"])
        if isinstance(dsl, dict) and "query" in dsl:
            dsl = dsl["query"]
    items = []
    for spec, entity in _candidates(store, _specs_for(cache_key[0]), deleted):
        doc = cached_doc(store, spec, entity)
        if predicate(doc) and (dsl is None or evaluate(dsl, doc)):
            items.append((spec, doc, [k.value(doc) for k in keys]))
    ordered = _ordered(items, keys)
    positions = {str(item[2][-1]): i for i, item in enumerate(ordered)}
    if len(cache[1]) >= 16:
        cache[1].clear()
    cache[1][cache_key] = (ordered, positions)
    return ordered, positions


def query(store, params: dict[str, str], search_after: list[str] | None = None, include=(), exclude=()) -> dict:
    start = int_param(params, "from", 0)
    size = int_param(params, "size", 10)
    if start < 0 or size < 0:
        raise ApiError(400, f"from and size must not be negative (from={start}, size={size})")
    if search_after and start > 0:
        raise ApiError(400, "[from] parameter must be set to 0 when [search_after] is used")
    if start + size > MAX_RESULT_WINDOW:
        raise ApiError(
            400,
            f"Result window is too large, from + size must be less than or equal to: [{MAX_RESULT_WINDOW}] "
            f"but was [{start + size}]: page with search_after instead",
        )
    deleted = _deleted_filter(params.get("deleted"), None)
    keys = _sort_keys(params)
    try:
        with store.lock:
            ordered, positions = _matches(store, params, deleted, keys)
    except Unsupported as exc:  # valid for the server, beyond this emulator: say so loudly
        logger.warning("openmetadata-emulator: search not supported: %s", exc)
        raise ApiError(501, f"openmetadata-emulator: search query not supported: {exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ApiError(400, f"Failed to parse query filter: {exc}") from None
    total = len(ordered)
    if search_after:
        ordered = _after(ordered, positions, keys, search_after)
        start = 0
    page = ordered[start : start + size]
    scored = keys[0].field == "_score"
    return _answer([_hit(s, d, sort, include, exclude, scored) for s, d, sort in page], total)
