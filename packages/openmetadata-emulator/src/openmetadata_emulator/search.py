"""``/v1/search/fieldQuery`` and ``/v1/search/query`` answered from the entity store.

The answers are OpenSearch-shaped (``{"hits": {"total": {"value": N, "relation": "eq"},
"hits": [{"_index", "_id", "_score", "_source", "sort"}]}}``). Supported:

* fieldQuery: ``fieldName`` / ``fieldValue`` (``*`` and ``?`` wildcards), ``from``, ``size``,
  ``deleted``, ``index``
* query: ``q`` (empty, ``*``, ``field:value`` terms joined by AND, or free text matched
  against name / displayName / FQN), ``query_filter`` (a subset of the Query DSL: bool
  must/filter/should/must_not, term, terms, match, match_phrase, wildcard, prefix,
  exists, match_all, query_string, nested), ``from``, ``size``, ``deleted``,
  ``sort_field``, ``sort_order``, ``search_after``

Anything outside that subset answers empty hits and logs a warning: the SDK treats empty
hits as "not found" and falls back to exact GETs, which the emulator serves faithfully.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from typing import Any, Iterable

from .specs import BY_INDEX, BY_TYPE, SPECS, CollectionSpec

logger = logging.getLogger("openmetadata_emulator")

_ALIASES = {"all": None, "dataAsset": None, "dataasset": None}


class Unsupported(Exception):
    """The query uses something this small search engine does not implement."""


def _specs_for(index: str | None) -> list[CollectionSpec]:
    if not index:
        return list(SPECS)
    out: list[CollectionSpec] = []
    for name in index.split(","):
        name = name.strip()
        if name in _ALIASES:
            return list(SPECS)
        spec = BY_INDEX.get(name) or BY_TYPE.get(name)
        if spec is None:
            # e.g. "openmetadata_table_search_index" with a cluster alias prefix
            spec = next((s for idx, s in BY_INDEX.items() if name.endswith(idx)), None)
        if spec is not None and spec not in out:
            out.append(spec)
    return out


def _values(src: Any, field: str) -> list[Any]:
    if field.endswith(".keyword"):
        field = field[: -len(".keyword")]
    nodes = [src]
    for part in field.split("."):
        nxt = []
        for node in nodes:
            if isinstance(node, dict) and part in node:
                value = node[part]
                if isinstance(value, list):
                    nxt.extend(value)
                else:
                    nxt.append(value)
            elif isinstance(node, list):
                for item in node:
                    if isinstance(item, dict) and part in item:
                        nxt.append(item[part])
        nodes = nxt
    out = []
    for n in nodes:
        if isinstance(n, list):
            out.extend(n)
        else:
            out.append(n)
    return out


def _norm(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).casefold()


def _glob(pattern: str, value: Any) -> bool:
    return fnmatch.fnmatchcase(_norm(value), _norm(pattern))


def _deleted_filter(params: dict[str, str]) -> bool | None:
    raw = params.get("deleted")
    if raw is None or raw == "":
        return False
    if raw.lower() == "true":
        return True
    if raw.lower() == "false":
        return False
    return None


def _hit(store, spec: CollectionSpec, entity: dict, index_name: str, sort_value: Any) -> dict:
    return {
        "_index": index_name,
        "_id": entity["id"],
        "_score": 1.0,
        "_source": store.render(spec.name, entity, "*"),
        "sort": [sort_value],
    }


def _answer(hits: list[dict], total: int) -> dict:
    return {
        "took": 1,
        "timed_out": False,
        "hits": {"total": {"value": total, "relation": "eq"}, "max_score": 1.0 if hits else None, "hits": hits},
    }


def _candidates(store, specs: Iterable[CollectionSpec], deleted: bool | None):
    for spec in specs:
        for entity in store.entities(spec.name, include_deleted=True):
            if deleted is None or bool(entity.get("deleted")) == deleted:
                yield spec, entity


def field_query(store, params: dict[str, str]) -> dict:
    field = params.get("fieldName") or "fullyQualifiedName"
    value = params.get("fieldValue") or ""
    start = int(params.get("from") or 0)
    size = int(params.get("size") or 10)
    deleted = _deleted_filter(params)
    specs = _specs_for(params.get("index"))
    matches: list[tuple[CollectionSpec, dict]] = []
    if field in ("fullyQualifiedName", "fullyQualifiedName.keyword") and not any(ch in value for ch in "*?"):
        for spec in specs:
            entity = store.get(spec.name, value, include_deleted=True)
            if entity is not None and (deleted is None or bool(entity.get("deleted")) == deleted):
                matches.append((spec, entity))
    else:
        for spec, entity in _candidates(store, specs, deleted):
            if any(_glob(value, v) for v in _values(entity, field)):
                matches.append((spec, entity))
    matches.sort(key=lambda se: se[1]["fullyQualifiedName"])
    page = matches[start : start + size]
    return _answer(
        [_hit(store, s, e, s.search_index or s.name, e["fullyQualifiedName"]) for s, e in page], len(matches)
    )


# --------------------------------------------------------------------------- q= strings

_TERM = re.compile(r'^(?P<field>[A-Za-z0-9_.]+):(?P<value>"[^"]*"|\S+)$')


def _q_predicate(q: str, default_fields: list[str] | None = None):
    q = (q or "").strip()
    if q in ("", "*", "*:*"):
        return lambda src: True
    if re.search(r"\s(OR|NOT)\s|[()]", q):
        raise Unsupported(f"query string {q!r}")
    clauses = [c.strip() for c in re.split(r"\s+AND\s+", q) if c.strip()]
    preds = []
    for clause in clauses:
        m = _TERM.match(clause)
        if m:
            field, value = m.group("field"), m.group("value").strip('"')
            preds.append(lambda src, f=field, v=value: any(_glob(v, x) for x in _values(src, f)))
        else:
            fields = default_fields or ["name", "displayName", "fullyQualifiedName"]
            text = clause.strip('"').casefold()
            preds.append(
                lambda src, fs=fields, t=text: any(
                    t == _norm(x) or t in _norm(x) or _glob(t, x) for f in fs for x in _values(src, f)
                )
            )
    return lambda src: all(p(src) for p in preds)


# --------------------------------------------------------------------------- Query DSL subset


def _field_and_value(spec: dict, value_key: str = "value") -> tuple[str, Any]:
    if len(spec) != 1:
        spec = {k: v for k, v in spec.items() if k not in ("boost", "case_insensitive")}
    (field, value), *_ = spec.items()
    if isinstance(value, dict):
        value = value.get(value_key, value.get("query", value.get("value")))
    return field, value


def _eval(query: Any, src: dict) -> bool:
    if not query:
        return True
    if not isinstance(query, dict):
        raise Unsupported(f"query clause {query!r}")
    return all(_eval_one(kind, body, src) for kind, body in query.items())


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v]


def _eval_one(kind: str, body: Any, src: dict) -> bool:
    if kind == "match_all":
        return True
    if kind == "bool":
        must = [_eval(q, src) for q in _as_list(body.get("must", []))]
        must += [_eval(q, src) for q in _as_list(body.get("filter", []))]
        must_not = [_eval(q, src) for q in _as_list(body.get("must_not", []))]
        should_q = _as_list(body.get("should", []))
        should = [_eval(q, src) for q in should_q]
        minimum = body.get("minimum_should_match")
        if minimum is None:
            minimum = 0 if (body.get("must") or body.get("filter")) else (1 if should_q else 0)
        return all(must) and not any(must_not) and sum(should) >= int(minimum)
    if kind == "term":
        field, value = _field_and_value(body)
        return any(_norm(x) == _norm(value) for x in _values(src, field))
    if kind == "terms":
        field, values = next((k, v) for k, v in body.items() if k != "boost")
        wanted = {_norm(v) for v in values}
        return any(_norm(x) in wanted for x in _values(src, field))
    if kind in ("match", "match_phrase"):
        field, value = _field_and_value(body, "query")
        return any(_norm(x) == _norm(value) or _norm(value) in _norm(x) for x in _values(src, field))
    if kind == "wildcard":
        field, value = _field_and_value(body)
        return any(_glob(value, x) for x in _values(src, field))
    if kind == "prefix":
        field, value = _field_and_value(body)
        return any(_norm(x).startswith(_norm(value)) for x in _values(src, field))
    if kind == "exists":
        return any(x is not None for x in _values(src, body["field"]))
    if kind == "query_string":
        return _q_predicate(body.get("query", ""), body.get("fields"))(src)
    if kind == "nested":
        return _eval(body.get("query"), src)
    raise Unsupported(f"query clause {kind!r}")


def query(store, params: dict[str, str]) -> dict:
    start = int(params.get("from") or 0)
    size = int(params.get("size") or 10)
    deleted = _deleted_filter(params)
    specs = _specs_for(params.get("index"))
    try:
        predicate = _q_predicate(params.get("q", ""))
        dsl = None
        if params.get("query_filter"):
            dsl = json.loads(params["query_filter"])
            if isinstance(dsl, dict) and "query" in dsl:
                dsl = dsl["query"]
        matches = []
        for spec, entity in _candidates(store, specs, deleted):
            if predicate(entity) and (dsl is None or _eval(dsl, entity)):
                matches.append((spec, entity))
    except (Unsupported, ValueError, KeyError, TypeError) as exc:
        logger.warning("openmetadata-emulator: search not supported, answering no hits: %s", exc)
        return _answer([], 0)
    sort_field = params.get("sort_field") or "fullyQualifiedName"

    def sort_key(se):
        vals = _values(se[1], sort_field)
        return "" if not vals or vals[0] is None else str(vals[0])

    matches.sort(key=sort_key, reverse=(params.get("sort_order") == "desc"))
    after = params.get("search_after")
    if after:
        try:
            marker = json.loads(after)
            marker = marker[0] if isinstance(marker, list) else marker
        except ValueError:
            marker = after.split(",")[0]
        marker = str(marker)
        if params.get("sort_order") == "desc":
            matches = [m for m in matches if sort_key(m) < marker]
        else:
            matches = [m for m in matches if sort_key(m) > marker]
        start = 0
    page = matches[start : start + size]
    return _answer([_hit(store, s, e, s.search_index or s.name, sort_key((s, e))) for s, e in page], len(matches))
