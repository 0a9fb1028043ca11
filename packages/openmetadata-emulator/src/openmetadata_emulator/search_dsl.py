"""The subset of the OpenSearch query DSL and query-string syntax the emulator evaluates.

Field matching follows the server's index mappings (``openmetadata-spec/src/main/resources/
elasticsearch/en/*_index_mapping.json`` in open-metadata/OpenMetadata), reduced to three kinds:

* ``keyword`` with the ``lowercase_normalizer`` (most fields: ``fullyQualifiedName``,
  ``tags.tagFQN``, ``tier.tagFQN``, ``owners.name``, ``serviceType``, every ``*.keyword``):
  exact, case-insensitive
* plain ``keyword`` (``service.name``, ``database.name``, ``databaseSchema.name``, their
  ``displayName``, ``owners.displayName``, ``columnNames``, ``entityType``, ...): exact,
  case-sensitive
* ``text`` analysed into lower-case words (``name``, ``displayName``, ``description``,
  ``columns.name``, ...): a ``term`` must equal one word, ``match`` needs one query word
  (all with ``operator: and``), ``match_phrase`` the words in order

``owners`` is a ``nested`` field: its sub-fields match only inside a ``nested`` query with
``path: owners``, as on the server. Stemming, fuzziness, scoring and aggregations are not
emulated; a clause outside this subset raises ``Unsupported`` (the query answers 501).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

NESTED_PATHS = frozenset({"owners"})

_CASE_SENSITIVE = frozenset(
    {
        "service.name",
        "service.displayName",
        "database.name",
        "database.displayName",
        "databaseSchema.name",
        "databaseSchema.displayName",
        "owners.displayName",
        "owners.id",
        "owners.type",
        "columnNames",
        "entityType",
        "sourceUrl",
        "locationPath",
        "displayName.actualCase",
    }
)
_TEXT = frozenset(
    {
        "name",
        "displayName",
        "description",
        "id",
        "schemaDefinition",
        "columns.name",
        "columns.displayName",
        "columns.description",
        "columns.dataType",
        "columns.dataTypeDisplay",
        "columnNamesFuzzy",
        "updatedBy",
        "href",
        "database.fullyQualifiedName",
        "owners.fullyQualifiedName",
        "tasks.name",
        "tasks.description",
    }
)
# fields free text (q=word) is matched against, as the server's default search fields
# (SearchIndex.getDefaultFields, TableIndex.getFields)
DEFAULT_TEXT_FIELDS = (
    "name",
    "displayName",
    "fullyQualifiedName",
    "description",
    "columns.name",
    "columns.displayName",
    "columns.description",
)


class Unsupported(Exception):
    """The query uses something this small search engine does not implement."""


def field_kind(field: str) -> tuple[str, str]:
    """``(path in _source, kind)`` where kind is ``ci``, ``cs`` or ``text``."""
    for suffix in (".keyword", ".ngram", ".compound", ".text", ".actualCase"):
        if field.endswith(suffix):
            base = field[: -len(suffix)]
            if suffix == ".actualCase":
                return base, "cs"
            if suffix in (".ngram", ".compound", ".text"):
                return base, "text"
            return base, "ci"
    if field in _CASE_SENSITIVE:
        return field, "cs"
    if field in _TEXT:
        return field, "text"
    return field, "ci"


def values(src: Any, path: str) -> list[Any]:
    """Every value at a dotted path, arrays flattened (an object field's values)."""
    nodes = [src]
    for part in path.split("."):
        nxt = []
        for node in nodes:
            items = node if isinstance(node, list) else [node]
            for item in items:
                if isinstance(item, dict) and part in item:
                    value = item[part]
                    nxt.extend(value if isinstance(value, list) else [value])
        nodes = nxt
    return [n for n in nodes if n is not None]


def norm(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).casefold()


_WORD = re.compile(r"[A-Za-z0-9_]+")
_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(text: Any) -> list[str]:
    """Lower-case words as the server's ``om_analyzer`` finds them: standard tokens, each also
    split on underscores, case changes and digits (``word_delimiter`` keeps the original)."""
    out: list[str] = []
    for token in _WORD.findall(norm(text) if not isinstance(text, str) else text):
        out.append(token.lower())
        parts = [p.lower() for chunk in token.split("_") for p in _PARTS.findall(chunk)]
        if len(parts) > 1:
            out.extend(parts)
    return out


def _glob(pattern: str, value: Any, case_sensitive: bool = False) -> bool:
    pattern = str(pattern).replace("[", "[[]")  # only * and ? are wildcards in the query DSL
    if case_sensitive:
        return fnmatch.fnmatchcase(str(value), str(pattern))
    return fnmatch.fnmatchcase(norm(value), norm(pattern))


def _in_nested(path: str, nested: frozenset[str]) -> bool:
    head = path.split(".", 1)[0]
    return head not in NESTED_PATHS or head in nested


def term_matches(src: dict, field: str, wanted: Any, nested: frozenset[str]) -> bool:
    path, kind = field_kind(field)
    if not _in_nested(path, nested):
        return False
    found = values(src, path)
    if kind == "text":
        return any(str(wanted) in words(v) for v in found)
    if kind == "cs":
        return any(norm(v) == norm(wanted) if isinstance(v, bool) else str(v) == str(wanted) for v in found)
    return any(norm(v) == norm(wanted) for v in found)


def match_matches(src: dict, field: str, query: Any, nested: frozenset[str], *, phrase=False, all_words=False) -> bool:
    path, kind = field_kind(field)
    if not _in_nested(path, nested):
        return False
    found = values(src, path)
    if kind != "text":
        return term_matches(src, field, query, nested)
    wanted = words(str(query))
    if not wanted:
        return False
    for value in found:
        have = words(value)
        if phrase:
            n = len(wanted)
            if any(have[i : i + n] == wanted for i in range(len(have) - n + 1)):
                return True
        elif (all if all_words else any)(w in have for w in wanted):
            return True
    return False


def glob_matches(src: dict, field: str, pattern: str, nested: frozenset[str], case_insensitive=False) -> bool:
    path, kind = field_kind(field)
    if not _in_nested(path, nested):
        return False
    found = values(src, path)
    if kind == "text":
        return any(_glob(pattern, w) for v in found for w in words(v))
    return any(_glob(pattern, v, case_sensitive=(kind == "cs" and not case_insensitive)) for v in found)


def _field_and_value(spec: dict, value_key: str = "value") -> tuple[str, Any, dict]:
    spec = {k: v for k, v in spec.items() if k not in ("boost", "_name")}
    if len(spec) != 1:
        raise Unsupported(f"query clause body {spec!r}")
    (field, value), *_ = spec.items()
    options = value if isinstance(value, dict) else {}
    if isinstance(value, dict):
        value = value.get(value_key, value.get("query", value.get("value")))
    return field, value, options


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v]


def evaluate(query: Any, src: dict, nested: frozenset[str] = frozenset()) -> bool:
    if not query:
        return True
    if not isinstance(query, dict):
        raise Unsupported(f"query clause {query!r}")
    return all(_eval_one(kind, body, src, nested) for kind, body in query.items())


def _range(src: dict, body: dict, nested: frozenset[str]) -> bool:
    field, bounds = next(iter(body.items()))
    path, _ = field_kind(field)
    if not _in_nested(path, nested):
        return False
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    for value in values(src, path):
        ok = True
        for op, bound in bounds.items():
            if op not in ops:
                if op in ("format", "time_zone", "boost"):
                    continue
                raise Unsupported(f"range option {op!r}")
            try:
                ok = ok and ops[op](float(value), float(bound))
            except (TypeError, ValueError):
                ok = ok and ops[op](str(value), str(bound))
        if ok:
            return True
    return False


def _eval_one(kind: str, body: Any, src: dict, nested: frozenset[str]) -> bool:
    if kind == "match_all":
        return True
    if kind == "match_none":
        return False
    if kind == "bool":
        must = all(evaluate(q, src, nested) for q in _as_list(body.get("must", [])))
        must = must and all(evaluate(q, src, nested) for q in _as_list(body.get("filter", [])))
        if not must or any(evaluate(q, src, nested) for q in _as_list(body.get("must_not", []))):
            return False
        should_q = _as_list(body.get("should", []))
        minimum = body.get("minimum_should_match")
        if minimum is None:
            minimum = 0 if (body.get("must") or body.get("filter")) else (1 if should_q else 0)
        return sum(evaluate(q, src, nested) for q in should_q) >= int(minimum)
    if kind == "term":
        field, value, _ = _field_and_value(body)
        return term_matches(src, field, value, nested)
    if kind == "terms":
        field, wanted = next((k, v) for k, v in body.items() if k != "boost")
        return any(term_matches(src, field, w, nested) for w in _as_list(wanted))
    if kind == "ids":
        return src.get("id") in set(body.get("values") or [])
    if kind in ("match", "match_phrase"):
        field, value, options = _field_and_value(body, "query")
        all_words = str(options.get("operator", "or")).lower() == "and"
        return match_matches(src, field, value, nested, phrase=(kind == "match_phrase"), all_words=all_words)
    if kind == "wildcard":
        field, value, options = _field_and_value(body)
        return glob_matches(src, field, str(value), nested, bool(options.get("case_insensitive")))
    if kind == "prefix":
        field, value, options = _field_and_value(body)
        return glob_matches(src, field, str(value) + "*", nested, bool(options.get("case_insensitive")))
    if kind == "exists":
        path, _ = field_kind(body["field"])
        return _in_nested(path, nested) and bool(values(src, path))
    if kind == "range":
        return _range(src, body, nested)
    if kind == "query_string":
        return q_predicate(body.get("query", ""), body.get("fields"), nested)(src)
    if kind == "nested":
        path = body.get("path")
        if path not in NESTED_PATHS:
            return evaluate(body.get("query"), src, nested)
        for item in src.get(path) or []:
            view = dict(src)
            view[path] = [item]
            if evaluate(body.get("query"), view, nested | {path}):
                return True
        return False
    raise Unsupported(f"query clause {kind!r}")


# --------------------------------------------------------------------------- q= strings

_TERM = re.compile(r'^(?P<neg>-)?(?P<field>[A-Za-z0-9_.]+):(?P<value>"[^"]*"|\S+)$')


def q_predicate(q: str, default_fields: list[str] | None = None, nested: frozenset[str] = frozenset()):
    """A Lucene query string: ``*``, ``field:value`` and free words joined by ``AND``
    (``NOT field:value`` too); ``OR`` and parentheses are not emulated."""
    q = (q or "").strip()
    if q in ("", "*", "*:*"):
        return lambda src: True
    if re.search(r"\sOR\s|[()]", q):
        raise Unsupported(f"query string {q!r}")
    clauses = [c.strip() for c in re.split(r"\s+AND\s+", q) if c.strip()]
    preds = []
    for clause in clauses:
        negate = clause.startswith("NOT ")
        if negate:
            clause = clause[4:].strip()
        m = _TERM.match(clause)
        if m:
            field, value = m.group("field"), m.group("value")
            negate = negate or bool(m.group("neg"))
            if value.startswith('"'):
                phrase = value.strip('"')
                pred = lambda src, f=field, v=phrase: match_matches(src, f, v, nested, phrase=True)
            elif any(ch in value for ch in "*?"):
                pred = lambda src, f=field, v=value: glob_matches(src, f, v, nested)
            else:
                pred = lambda src, f=field, v=value: match_matches(src, f, v, nested)
        else:
            fields = default_fields or list(DEFAULT_TEXT_FIELDS)
            text = clause.strip('"').casefold()
            pred = lambda src, fs=fields, t=text: any(
                t == norm(x) or t in norm(x) or _glob(t, x)
                for f in fs
                if _in_nested(field_kind(f)[0], nested)
                for x in values(src, field_kind(f)[0])
            )
        preds.append((lambda src, p=pred: not p(src)) if negate else pred)
    return lambda src: all(p(src) for p in preds)
