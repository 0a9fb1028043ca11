"""Descriptions stewards wrote survive the ingestion bot's PUTs, as on the real server.

The server's ``EntityRepository.EntityUpdater.updateDescription`` (open-metadata/OpenMetadata,
openmetadata-service/src/main/java/org/openmetadata/service/jdbi3/EntityRepository.java) and the
column rule ``updateColumnDescription`` (its ``ColumnEntityUpdater``) say:

* a **PUT by a bot** (the writing user's ``isBot`` is true) does not replace a **non-empty**
  stored description: the stored one is kept ("Description need to be updated with a PATCH
  request"); the same holds for every column's description;
* a PATCH (by anyone) and a PUT by a user change the description as requested;
* the bulk path with ``overrideMetadata=true`` lets the bot replace a description with the
  source's non-empty one, but a column whose source has no comment never blanks the stored
  description.

Who is a bot: the user named by the request's token (``sub`` of the JWT) exists in ``users``
with ``isBot: true`` (the server reads ``User.isBot`` of the authenticated user).
"""

from __future__ import annotations

from typing import Any

from .base import StoreBase


def _empty(value: Any) -> bool:
    return value is None or value == ""


class DescriptionStewardship(StoreBase):
    def writer_is_bot(self, user: str) -> bool:
        """``User.isBot`` of the writing user (unknown users are not bots)."""
        users = self._colls.get("users")
        if users is None:
            return False
        eid = users.by_fqn.get(user)
        entity = users.by_id.get(eid) if eid else None
        return bool(entity and entity.get("isBot"))

    def keep_stewarded_descriptions(self, existing: dict, merged: dict, *, user: str,
                                    override_metadata: bool = False) -> dict:
        """``merged`` (a PUT onto ``existing``) with the server's bot rules for descriptions applied."""
        if not self.writer_is_bot(user):
            return merged
        if not _empty(existing.get("description")):
            if not override_metadata or _empty(merged.get("description")):
                merged["description"] = existing["description"]
        if isinstance(existing.get("columns"), list) and isinstance(merged.get("columns"), list):
            merged["columns"] = _keep_column_descriptions(existing["columns"], merged["columns"], override_metadata)
        return merged


def _keep_column_descriptions(old: list, new: list, override_metadata: bool) -> list:
    by_name = {c.get("name"): c for c in old if isinstance(c, dict)}
    out = []
    for col in new:
        prev = by_name.get(col.get("name")) if isinstance(col, dict) else None
        if prev is not None and not _empty(prev.get("description")):
            if not override_metadata or _empty(col.get("description")):
                col = dict(col, description=prev["description"])
        if prev is not None and isinstance(col.get("children"), list) and isinstance(prev.get("children"), list):
            col = dict(col, children=_keep_column_descriptions(prev["children"], col["children"], override_metadata))
        out.append(col)
    return out
