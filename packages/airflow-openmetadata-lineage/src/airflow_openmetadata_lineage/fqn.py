"""Table FQNs, quoted exactly as OpenMetadata quotes them, without importing the SDK.

``metadata.utils.fqn`` is the reference, but importing anything under ``metadata``
runs the SDK's package init (~10 s of CPU): far too slow for DAG parsing (where
``om_table(...)`` is evaluated) and for a listener that must add milliseconds to a
task. These two functions re-state its ``quote_name``/``_build``/``split`` rules
(a part containing ``.`` is wrapped in double quotes; a part may not contain ``"``),
and ``tests/test_lineage_references.py`` checks them against the SDK's own functions.
"""

from __future__ import annotations

SEPARATOR = "."


def quote_name(name: str) -> str:
    """One FQN part, quoted when it contains a dot (OpenMetadata's quoteName)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"invalid FQN part {name!r}: must be a non-empty string")
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"' and '"' not in name[1:-1]:
        inner = name[1:-1]
        return name if "." in inner else inner
    if '"' in name:
        raise ValueError(f"invalid FQN part {name!r}: a name may not contain a double quote")
    return f'"{name}"' if "." in name else name


def build(*parts: str) -> str:
    """Join parts into an FQN, quoting each as needed (OpenMetadata's FullyQualifiedName.build)."""
    return SEPARATOR.join(quote_name(part) for part in parts)


def split(fqn: str) -> list[str]:
    """Split an FQN into its unquoted parts; quoted parts may contain dots."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in fqn:
        if char == '"':
            quoted = not quoted
            current.append(char)
        elif char == SEPARATOR and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise ValueError(f"invalid FQN {fqn!r}: unbalanced double quote")
    parts.append("".join(current))
    result = []
    for part in parts:
        if not part:
            raise ValueError(f"invalid FQN {fqn!r}: empty part")
        if part[0] == '"' and part[-1] == '"' and len(part) >= 2:
            part = part[1:-1]
        if '"' in part:
            raise ValueError(f"invalid FQN {fqn!r}: misplaced double quote")
        result.append(part)
    return result
