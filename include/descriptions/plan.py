"""The diff: what OpenMetadata says an object's description is vs. the database's comment.

Both sides arrive as plain mappings keyed by ``ObjectKey`` (schema, table, column; ``None``
for the levels above): ``desired`` from OpenMetadata (``include.descriptions.catalog``) and
``current`` from the database's catalog (one query, ``include.descriptions.postgres`` /
``mssql``). Planning is pure and in memory; nothing here talks to a server.

Rules (``plan_changes``):

* the text is compared **exactly** (byte for byte after UTF-8): Markdown, newlines, trailing
  spaces are written as they are;
* an object with an **empty** description in OpenMetadata never erases a comment, unless
  ``allow_clear`` (then the comment is removed);
* an object OpenMetadata knows but the database does not (dropped since the catalog was
  read, or renamed) is *missing*: reported, not written, not a failure;
* the kind of a relation (table, view, materialized view, foreign table) is the database's,
  not the catalog's: it decides the statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

DATABASE = "database"
SCHEMA = "schema"
TABLE = "table"
VIEW = "view"
MATERIALIZED_VIEW = "materialized view"
FOREIGN_TABLE = "foreign table"
COLUMN = "column"
RELATION_KINDS = (TABLE, VIEW, MATERIALIZED_VIEW, FOREIGN_TABLE)
KINDS = (DATABASE, SCHEMA, *RELATION_KINDS, COLUMN)


class ObjectKey(NamedTuple):
    """Where an object sits in one database: ``(None, None, None)`` is the database itself."""

    schema: str | None = None
    table: str | None = None
    column: str | None = None

    def label(self, database: str) -> str:
        """``database.schema.table.column`` with every part that needs it in double quotes."""
        return ".".join(_quote(p) for p in (database, *self) if p is not None)


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def _quote(part: str) -> str:
    return part if _PLAIN.match(part) else '"' + part.replace('"', '""') + '"'


@dataclass(frozen=True)
class Current:
    """What the database holds for an object: its kind and its comment (None: none)."""

    kind: str
    comment: str | None


@dataclass(frozen=True)
class Change:
    """One comment to write: ``new`` None clears it. ``old`` is what the database had."""

    kind: str
    key: ObjectKey
    old: str | None
    new: str | None

    def as_dict(self, database: str) -> dict:
        return {"kind": self.kind, "object": self.key.label(database), "schema": self.key.schema,
                "table": self.key.table, "column": self.key.column, "old": self.old, "new": self.new}


@dataclass
class Plan:
    database: str
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    empty_skipped: int = 0  # empty in OpenMetadata, a comment in the database, allow_clear off
    missing: list[str] = field(default_factory=list)  # in OpenMetadata, not in the database
    rejected: list[dict] = field(default_factory=list)  # cannot be written (e.g. too long)

    def counts(self) -> dict[str, int]:
        return {"to_write": len(self.changes), "unchanged": self.unchanged, "empty_skipped": self.empty_skipped,
                "missing": len(self.missing), "rejected": len(self.rejected)}


def _blank(text: str | None) -> bool:
    return text is None or text == ""


def plan_changes(database: str, desired: Mapping[ObjectKey, str | None], current: Mapping[ObjectKey, Current], *,
                 allow_clear: bool = False, max_length: int | None = None) -> Plan:
    """The changes that make the database's comments equal OpenMetadata's descriptions."""
    plan = Plan(database)
    for key in sorted(desired, key=_order):
        text = desired[key]
        found = current.get(key)
        if found is None:
            plan.missing.append(key.label(database))
            continue
        if _blank(text):
            if _blank(found.comment):
                plan.unchanged += 1
            elif allow_clear:
                plan.changes.append(Change(found.kind, key, found.comment, None))
            else:
                plan.empty_skipped += 1
            continue
        if text == found.comment:
            plan.unchanged += 1
            continue
        if max_length is not None and len(text) > max_length:
            plan.rejected.append({"object": key.label(database), "kind": found.kind,
                                  "error": f"{len(text)} characters: longer than the {max_length} the database "
                                           f"accepts; shorten the description in OpenMetadata"})
            continue
        plan.changes.append(Change(found.kind, key, found.comment, text))
    return plan


def _order(key: ObjectKey) -> tuple:
    return tuple(("" if p is None else "\x01" + p) for p in key)


def compile_filters(patterns: Iterable[str] | None) -> list[re.Pattern]:
    return [re.compile(p) for p in patterns or ()]


def selected(name: str, patterns: list[re.Pattern]) -> bool:
    """Include-filters matched from the start of the name, as the SDK's filters are."""
    return not patterns or any(p.match(name) for p in patterns)


def change_dicts(plan: Plan) -> list[dict]:
    return [c.as_dict(plan.database) for c in plan.changes]
