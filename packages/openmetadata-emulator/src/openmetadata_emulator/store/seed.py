"""The entities a fresh OpenMetadata server already has, created at start and after ``reset``.

What the real server seeds (open-metadata/OpenMetadata,
openmetadata-service/src/main/resources/json/data/): the admin principal of
``authorizerConfiguration.adminPrincipals`` (``admin``, e-mail on the principal domain
``open-metadata.org``; conf/openmetadata.yaml), the bots with their bot users
(``bot/ingestionBot.json``, ``botUser/ingestionBot.json``: ``ingestion-bot`` with the role
``IngestionBotRole``), the default roles and policies (``role/*.json``, ``policy/*.json``), and the
system classifications with their tags (``tags/piiTags.json``: PII with None, NonSensitive,
Sensitive; ``tags/tierTags.json``: Tier with Tier1..Tier5; ``tags/certification.json``:
Certification with Bronze, Silver, Gold). Only the subset the SDK and this package's users read
is created; the descriptions here are short summaries, not the server's text.
"""

from __future__ import annotations

from .. import sdk
from .base import StoreBase

PRINCIPAL_DOMAIN = "open-metadata.org"

_ALLOW_ALL = [{"name": "Allow-All", "effect": "allow", "resources": ["All"], "operations": ["All"]}]

POLICIES = (
    ("OrganizationPolicy", "Policy of the organization: every user may view and edit what they own.",
     [{"name": "OrganizationPolicy-Owner-Rule", "effect": "allow", "resources": ["All"],
       "operations": ["All"], "condition": "isOwner()"}]),
    ("DataConsumerPolicy", "Data consumers view everything and edit descriptions and tags.",
     [{"name": "DataConsumerPolicy-EditRule", "effect": "allow", "resources": ["All"],
       "operations": ["ViewAll", "EditDescription", "EditTags"]}]),
    ("DataStewardPolicy", "Data stewards view everything and edit metadata.",
     [{"name": "DataStewardPolicy-EditRule", "effect": "allow", "resources": ["All"],
       "operations": ["ViewAll", "EditDescription", "EditDisplayName", "EditOwners", "EditTags"]}]),
    ("DefaultBotPolicy", "Default policy of the bots.",
     [{"name": "DefaultBotPolicy-Rule", "effect": "allow", "resources": ["All"],
       "operations": ["ViewAll", "EditAll"]}]),
    ("IngestionBotPolicy", "Ingestion bots create, update and delete data entities.",
     [{"name": "IngestionBotRule-Allow", "effect": "allow", "resources": ["All"],
       "operations": ["Create", "EditAll", "ViewAll", "Delete"]},
      {"name": "DisplayName-Deny", "effect": "deny", "resources": ["All"], "operations": ["EditDisplayName"]}]),
)

ROLES = (
    ("DataConsumer", "Users who use data assets in their daily work.", ["DataConsumerPolicy"]),
    ("DataSteward", "Users who keep the metadata of data assets right.", ["DataStewardPolicy"]),
    ("DefaultBotRole", "Default role of the bots.", ["DefaultBotPolicy"]),
    ("IngestionBotRole", "Role of the ingestion bot.", ["DefaultBotPolicy", "IngestionBotPolicy"]),
)

CLASSIFICATIONS = (
    ("PII", "Personally Identifiable Information.",
     (("None", "Non PII.", None), ("NonSensitive", "PII that is easily accessible from public sources.", None),
      ("Sensitive", "PII that could harm an individual if disclosed.", None))),
    ("Tier", "Tiering of data assets by business importance.",
     tuple((f"Tier{i}", f"Tier {i} data assets.", None) for i in range(1, 6))),
    ("Certification", "How reliable a data asset is.",
     (("Bronze", "Bronze certified data asset.", "#CD7F32"), ("Silver", "Silver certified data asset.", "#C0C0C0"),
      ("Gold", "Gold certified data asset.", "#FFD700"))),
)

BOTS = (("ingestion-bot", "IngestionBot", "Bot used for ingesting metadata.", "IngestionBotRole"),)


class BuiltIns(StoreBase):
    def seed(self) -> None:
        """Create the built-in entities that are missing (idempotent); written as ``admin``."""
        with self.lock:
            put = self._seed_put
            for name, description, rules in POLICIES:
                put("policies", {"name": name, "description": description, "rules": rules, "provider": "system"})
            for name, description, policies in ROLES:
                put("roles", {"name": name, "description": description, "policies": policies, "provider": "system"})
            put("users", {"name": "admin", "email": f"admin@{PRINCIPAL_DOMAIN}", "isAdmin": True})
            for name, display, description, role in BOTS:
                role_id = self.coll("roles").by_fqn.get(role)
                put("users", {"name": name, "displayName": display, "email": f"{name}@{PRINCIPAL_DOMAIN}",
                              "isBot": True, "roles": [role_id] if role_id else []})
                put("bots", {"name": name, "displayName": display, "description": description, "botUser": name,
                             "provider": "system"})
            for classification, description, tags in CLASSIFICATIONS:
                put("classifications", {"name": classification, "description": description,
                                        "mutuallyExclusive": True, "provider": "system"})
                for tag, tag_description, color in tags:
                    body = {"name": tag, "description": tag_description, "classification": classification,
                            "provider": "system"}
                    if color:
                        body["style"] = {"color": color}
                    put("tags", body)

    def _seed_put(self, coll: str, body: dict) -> None:
        c = self.coll(coll)
        parent = body.get("classification")
        fqn = f"{parent}.{body['name']}" if coll == "tags" and parent else body["name"]
        if self._lookup_fqn(c, fqn) is None:
            accepted = sdk.model(c.spec.create_model).model_fields  # e.g. provider is not on every request
            body = {k: v for k, v in body.items() if k in accepted}
            self.upsert(coll, body, user="admin")  # type: ignore[attr-defined]
