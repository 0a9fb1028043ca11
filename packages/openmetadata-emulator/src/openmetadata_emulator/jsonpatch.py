"""RFC 6902 JSON Patch (add, remove, replace, move, copy, test) over plain JSON values.

Small and strict: any problem raises ``PatchError`` with the operation index and path,
which the emulator answers as a 400 like the real server does.
"""

from __future__ import annotations

import copy
from typing import Any


class PatchError(ValueError):
    """The patch document is malformed or does not apply to the target."""


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"JSON pointer must start with '/': {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container: list, token: str, *, for_add: bool) -> int:
    if token == "-" and for_add:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise PatchError(f"Invalid array index {token!r}")
    idx = int(token)
    limit = len(container) if for_add else len(container) - 1
    if idx > limit:
        raise PatchError(f"Array index {idx} out of range (size {len(container)})")
    return idx


def _parent(doc: Any, tokens: list[str]) -> Any:
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"Path segment {token!r} does not exist")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, for_add=False)]
        else:
            raise PatchError(f"Cannot descend into a scalar at {token!r}")
    return node


def _get(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        return doc
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"Path segment {last!r} does not exist")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, for_add=False)]
    raise PatchError("Cannot index into a scalar")


def _add(doc: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, for_add=True), value)
    else:
        raise PatchError("Cannot add to a scalar")
    return doc


def _remove(doc: Any, tokens: list[str]) -> tuple[Any, Any]:
    if not tokens:
        raise PatchError("Cannot remove the whole document")
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"Path segment {last!r} does not exist")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, last, for_add=False))
    raise PatchError("Cannot remove from a scalar")


def apply_patch(document: Any, patch: Any) -> Any:
    """Return a patched deep copy of ``document``; the input is left untouched."""
    if not isinstance(patch, list):
        raise PatchError("A JSON Patch document must be a JSON array of operations")
    doc = copy.deepcopy(document)
    for i, op in enumerate(patch):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"Operation {i} must be an object with 'op' and 'path'")
        name, path = op["op"], op["path"]
        try:
            tokens = _tokens(path)
            if name == "add":
                doc = _add(doc, tokens, copy.deepcopy(_value(op)))
            elif name == "remove":
                doc, _ = _remove(doc, tokens)
            elif name == "replace":
                _get(doc, tokens)  # must exist
                if tokens:
                    doc, _ = _remove(doc, tokens)
                doc = _add(doc, tokens, copy.deepcopy(_value(op)))
            elif name == "move":
                src = _tokens(_from(op))
                if tokens[: len(src)] == src and len(tokens) > len(src):
                    raise PatchError("Cannot move a value into one of its children")
                doc, value = _remove(doc, src)
                doc = _add(doc, tokens, value)
            elif name == "copy":
                value = copy.deepcopy(_get(doc, _tokens(_from(op))))
                doc = _add(doc, tokens, value)
            elif name == "test":
                if _get(doc, tokens) != _value(op):
                    raise PatchError("test failed: value differs")
            else:
                raise PatchError(f"Unknown operation {name!r}")
        except PatchError as exc:
            raise PatchError(f"JSON Patch operation {i} ({name} {path}): {exc}") from None
    return doc


def _value(op: dict) -> Any:
    if "value" not in op:
        raise PatchError("missing 'value'")
    return op["value"]


def _from(op: dict) -> str:
    if "from" not in op:
        raise PatchError("missing 'from'")
    return op["from"]
