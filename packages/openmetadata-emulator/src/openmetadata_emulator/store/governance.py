"""Owners inheritance and asset certification, as the real server computes them.

Owners (open-metadata/OpenMetadata, openmetadata-service/.../jdbi3/EntityRepository.java
``inheritOwners``/``getInheritedOwners``; DatabaseSchemaRepository, TableRepository and
StoredProcedureRepository ``setInheritedFields``): an entity that has no owners of its own shows
its parent's owners, each reference marked ``inherited: true``. A schema inherits from its
database; a table or stored procedure from its schema (which may itself have inherited them).
Databases, services and pipelines do not inherit owners. Inherited references are never stored:
an update ignores them (``EntityUpdater.getEntityReferences``).

Certification (EntityRepository ``updateCertification``/``validateCertification``, SystemRepository
``getAssetCertificationSettingOrDefault``): the tag must belong to the classification the
``assetCertificationSettings`` allow (default ``Certification``, validity ``P30D``); the server
sets ``appliedDate`` to now and ``expiryDate`` to now + the validity period, whatever the client
sent, and answers the tag label of the tag itself.
"""

from __future__ import annotations

import copy
import datetime as dt
import re

from .. import sdk
from .base import ApiError, StoreBase, now_ms

# entity type -> the reference field whose entity it inherits owners from
OWNER_PARENT = {"databaseSchema": "database", "table": "databaseSchema", "storedProcedure": "databaseSchema"}

CERTIFICATION_SETTING = "assetCertificationSettings"
DEFAULT_CERTIFICATION = {"allowedClassification": "Certification", "validityPeriod": "P30D"}

_PERIOD = re.compile(r"^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?$")


def add_period(epoch_ms: int, period: str) -> int:
    """``LocalDateTime.plus(Period.parse(period))`` in UTC, as epoch milliseconds."""
    m = _PERIOD.match(period or "")
    if not m or not any(m.groups()):
        raise ApiError(400, f"Invalid certification validityPeriod {period!r}: expected an ISO 8601 period like P30D")
    years, months, weeks, days = (int(g) if g else 0 for g in m.groups())
    start = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.timezone.utc)
    month_index = start.month - 1 + months + 12 * years
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last_day = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
                31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    moved = start.replace(year=year, month=month, day=min(start.day, last_day))
    moved += dt.timedelta(days=days + 7 * weeks)
    return int(moved.timestamp() * 1000)


class Governance(StoreBase):
    # ------------------------------------------------------------------ owners

    def inherited_owners(self, entity_type: str, entity: dict) -> list[dict]:
        """The owners ``?fields=owners`` shows for ``entity``: its own, else its parent's (inherited)."""
        own = [o for o in entity.get("owners") or [] if not o.get("inherited")]
        if own:
            return own
        parent_field = OWNER_PARENT.get(entity_type)
        ref = entity.get(parent_field) if parent_field else None
        if not isinstance(ref, dict) or not ref.get("id"):
            return own
        parent = self.entity_by_id(ref["id"])
        if parent is None:
            return own
        inherited = self.inherited_owners(ref.get("type") or "", parent)
        return [dict(copy.deepcopy(o), inherited=True) for o in inherited]

    # ------------------------------------------------------------------ certification

    def certification_settings(self) -> dict:
        stored = self.settings.get(CERTIFICATION_SETTING)
        value = (stored or {}).get("config_value") if isinstance(stored, dict) else None
        return dict(DEFAULT_CERTIFICATION, **(value or {}))

    def _certification_tag(self, tag_fqn: str) -> dict:
        tag = self.entity_by_fqn(("tag",), tag_fqn)
        if tag is None:
            raise ApiError(404, f"tag instance for {tag_fqn} not found")
        label = {
            "tagFQN": tag["fullyQualifiedName"],
            "name": tag["name"],
            "description": tag.get("description", ""),
            "source": "Classification",
            "labelType": "Manual",
            "state": "Confirmed",
        }
        for key in ("displayName", "style"):
            if tag.get(key) is not None:
                label[key] = tag[key]
        return label

    def _certify(self, original: dict, updated: dict) -> None:
        """Server-side certification fields for a write that sets or changes ``certification``."""
        cert = updated.get("certification")
        if cert is None or cert == original.get("certification"):
            return
        if not isinstance(cert, dict) or not isinstance(cert.get("tagLabel"), dict):
            raise ApiError(400, "Invalid AssetCertification: tagLabel is required")
        tag_fqn = str(cert["tagLabel"].get("tagFQN") or "")
        settings = self.certification_settings()
        try:
            parts = sdk.split(tag_fqn)
        except ValueError:
            parts = [tag_fqn]
        parent = sdk.build(*parts[:-1]) if len(parts) > 1 else ""
        if parent != settings["allowedClassification"]:
            raise ApiError(400, f"Invalid Classification: {tag_fqn} is not valid for Certification.")
        applied = now_ms()
        updated["certification"] = {
            "tagLabel": self._certification_tag(tag_fqn),
            "appliedDate": applied,
            "expiryDate": add_period(applied, settings["validityPeriod"]),
        }

    @staticmethod
    def drop_inherited(entity: dict) -> dict:
        """An entity as stored: inherited owner references removed."""
        if isinstance(entity.get("owners"), list):
            entity["owners"] = [o for o in entity["owners"] if not (isinstance(o, dict) and o.get("inherited"))]
        return entity

    def with_inherited(self, entity_type: str, entity: dict) -> dict:
        """A copy of ``entity`` as the server shows it to a PATCH: inherited owners filled in."""
        out = dict(entity)
        if entity_type in OWNER_PARENT and not out.get("owners"):
            out["owners"] = self.inherited_owners(entity_type, entity)
        return out
