"""Owners (shape and inheritance) and certification, driven by the SDK's client.

Owners, read in open-metadata/OpenMetadata (main at commit 0012815):
openmetadata-service/src/main/java/org/openmetadata/service/jdbi3/EntityRepository.java
``fetchAndSetOwners`` (``fields=owners`` answers ``[]`` for an entity without owners),
``EntityUpdater.updateOwners`` (a PATCH that removes ``/owners`` leaves ``[]``; a PUT cannot
remove owners), ``inheritOwners``/``getInheritedOwners`` (no owners of its own: the parent's,
each with ``inherited: true``) and ``getEntityReferences`` (inherited references are never
stored); DatabaseSchemaRepository.setInheritedFields (from the database),
TableRepository/StoredProcedureRepository.setInheritedFields (from the schema); databases do not
inherit from their service. SDK: ``OMetaPatchMixin.patch_owner`` reads ``fields=["owners"]``.

Certification, same file: ``EntityUpdater.updateCertification`` sets ``appliedDate`` to now and
``expiryDate`` to now + ``validityPeriod`` whatever the client sent, ``validateCertification``
answers ``Invalid Classification: <tag> is not valid for Certification.`` for a tag outside the
allowed classification; SystemRepository.getAssetCertificationSettingOrDefault: Certification,
P30D; ``setFieldsInternal`` returns ``certification`` with ``fields`` tags or certification.
"""

from __future__ import annotations

import copy
import time

import pytest
from emulator_helpers import Api
from test_emulator_versions import _catalog, _create, sdk_client

DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def admin(om_emulator):
    client = sdk_client(om_emulator)
    yield client
    client.close()


def _ref(entity, kind="user"):
    from metadata.generated.schema.type.entityReference import EntityReference
    from metadata.generated.schema.type.entityReferenceList import EntityReferenceList

    return EntityReferenceList(root=[EntityReference(id=entity.id, type=kind)])


def test_owners_are_an_empty_list_when_none_are_set_and_after_remove(admin, om_emulator):
    from metadata.generated.schema.entity.data.database import Database
    from metadata.generated.schema.entity.data.table import Table
    from metadata.generated.schema.entity.services.databaseService import DatabaseService

    service, database, _, table = _catalog(admin)
    api = Api(om_emulator.url)
    for path in (f"services/databaseServices/{service.id.root}", f"databases/{database.id.root}",
                 f"tables/{table.id.root}"):
        assert api.get(path, params={"fields": "owners"}).json()["owners"] == [], path
        assert "owners" not in api.get(path).json(), path
    admin_user = api.get("users/name/admin", params={"fields": "*"}).json()
    assert "owners" not in admin_user  # users have no owners field

    jane = admin.create_or_update(_create("CreateUserRequest", name="jane", email="jane@example.com"))
    owned = admin.patch_owner(Database, database, owners=_ref(jane))
    assert [o.name for o in owned.owners.root] == ["jane"]
    removed = api.patch(f"databases/{database.id.root}", [{"op": "remove", "path": "/owners"}])
    assert removed.status_code == 200 and removed.json()["owners"] == []
    assert {"name": "owners", "oldValue": removed.json()["changeDescription"]["fieldsDeleted"][0]["oldValue"]} == (
        removed.json()["changeDescription"]["fieldsDeleted"][0])
    assert admin.get_by_name(Database, "pg.dwh", fields=["owners"]).owners.root == []
    # a service's owners are not inherited by its databases
    admin.patch_owner(DatabaseService, service, owners=_ref(jane))
    assert admin.get_by_name(Database, "pg.dwh", fields=["owners"]).owners.root == []
    assert admin.get_by_name(Table, table.fullyQualifiedName.root, fields=["owners"]).owners.root == []
    api.session.close()


def test_tables_and_schemas_inherit_owners_until_they_have_their_own(admin, om_emulator):
    from metadata.generated.schema.entity.data.database import Database
    from metadata.generated.schema.entity.data.databaseSchema import DatabaseSchema
    from metadata.generated.schema.entity.data.table import Table

    _, database, _, table = _catalog(admin)
    jane = admin.create_or_update(_create("CreateUserRequest", name="jane", email="jane@example.com"))
    joe = admin.create_or_update(_create("CreateUserRequest", name="joe", email="joe@example.com"))
    admin.patch_owner(Database, database, owners=_ref(jane))

    schema = admin.get_by_name(DatabaseSchema, "pg.dwh.sales", fields=["owners"])
    inherited = admin.get_by_name(Table, table.fullyQualifiedName.root, fields=["owners"])
    for entity in (schema, inherited):
        assert [(o.name, o.inherited) for o in entity.owners.root] == [("jane", True)]
    assert admin.get_by_name(Database, "pg.dwh", fields=["owners"]).owners.root[0].inherited is None
    assert om_emulator.store.get("tables", table.fullyQualifiedName.root)["owners"] == []  # never stored

    # the SDK's patch_owner keeps an owner it sees (inherited ones too) unless forced
    assert admin.patch_owner(Table, inherited, owners=_ref(joe)) is None
    own = admin.patch_owner(Table, inherited, owners=_ref(joe), force=True)
    assert [(o.name, o.inherited) for o in own.owners.root] == [("joe", None)]
    assert [o["name"] for o in om_emulator.store.get("tables", table.fullyQualifiedName.root)["owners"]] == ["joe"]
    # dropping its own owners shows the inherited ones again
    api = Api(om_emulator.url)
    back = api.patch(f"tables/{table.id.root}", [{"op": "remove", "path": "/owners"}]).json()
    assert [(o["name"], o.get("inherited")) for o in back["owners"]] == [("jane", True)]
    assert om_emulator.store.get("tables", table.fullyQualifiedName.root)["owners"] == []
    # a PATCH of something else, generated from the inherited view, stores no owner
    fetched = admin.get_by_name(Table, table.fullyQualifiedName.root, fields=["owners"])
    described = copy.deepcopy(fetched)
    described.description = "Orders"
    admin.patch(entity=Table, source=fetched, destination=described)
    assert om_emulator.store.get("tables", table.fullyQualifiedName.root)["owners"] == []
    api.session.close()


def _certified(table, tag_fqn: str, applied: int = 1, expiry: int = 2):
    from metadata.generated.schema.type.assetCertification import AssetCertification
    from metadata.generated.schema.type.tagLabel import TagLabel

    destination = copy.deepcopy(table)
    destination.certification = AssetCertification(
        tagLabel=TagLabel(tagFQN=tag_fqn, source="Classification", labelType="Manual", state="Confirmed"),
        appliedDate=applied, expiryDate=expiry,
    )
    return destination


def test_certification_dates_are_the_servers(admin, om_emulator):
    from metadata.generated.schema.entity.data.table import Table

    _, _, _, table = _catalog(admin)
    before = int(time.time() * 1000)
    certified = admin.patch(entity=Table, source=table, destination=_certified(table, "Certification.Gold"))
    after = int(time.time() * 1000)
    cert = certified.certification
    assert before <= cert.appliedDate.root <= after, "appliedDate is set by the server, not the client's 1"
    assert cert.expiryDate.root - cert.appliedDate.root == 30 * DAY_MS
    assert cert.tagLabel.name == "Gold" and cert.tagLabel.style.color == "#FFD700"

    api = Api(om_emulator.url)
    path = f"tables/{table.id.root}"
    assert "certification" not in api.get(path).json()
    assert api.get(path, params={"fields": "tags"}).json()["certification"]["appliedDate"] == cert.appliedDate.root
    assert api.get(path, params={"fields": "certification"}).json()["certification"]["tagLabel"]["tagFQN"] == (
        "Certification.Gold")

    # the validity period comes from the certification settings
    r = api.put("system/settings", {"config_type": "assetCertificationSettings",
                                    "config_value": {"allowedClassification": "Certification", "validityPeriod": "P7D"}})
    assert r.status_code == 200, r.text
    silver = admin.patch(entity=Table, source=certified, destination=_certified(certified, "Certification.Silver"))
    assert silver.certification.expiryDate.root - silver.certification.appliedDate.root == 7 * DAY_MS
    assert silver.certification.tagLabel.name == "Silver"

    wrong = api.patch(path, [{"op": "add", "path": "/certification", "value": {
        "tagLabel": {"tagFQN": "Tier.Tier1", "source": "Classification", "labelType": "Manual", "state": "Confirmed"},
    }}])
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "Invalid Classification: Tier.Tier1 is not valid for Certification."
    api.session.close()
