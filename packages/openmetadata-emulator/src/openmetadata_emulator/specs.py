"""The emulator's collection table: one row per entity collection it serves.

Adding a collection is adding a row here (plus, if its entity needs derived fields,
a few lines in ``store.Store._derive``). Everything else - GET by name/id, list with
paging and filters, PUT, POST, bulk PUT, PATCH, DELETE, deleteStale, restore, search -
is generic and driven by these rows.

Model names are dotted paths below ``metadata.generated.schema`` and are imported on
first use only (see ``sdk.model``), so this module costs nothing to import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fields the real server only returns when asked for with ``?fields=`` (or ``fields=*``).
# Everything else the emulator stores is always returned.
COMMON_GATED = frozenset(
    {
        "owners",
        "followers",
        "tags",
        "domains",
        "dataProducts",
        "votes",
        "extension",
        "lifeCycle",
        "sourceHash",
        "usageSummary",
        "certification",
        "experts",
        "reviewers",
    }
)


@dataclass(frozen=True)
class RefField:
    """A field of the Create request that the server turns into EntityReference(s).

    kind:
      ``fqn``      one FQN string        -> one EntityReference
      ``fqn_list`` list of FQN strings   -> list of EntityReference
      ``ref``      one EntityReference   -> one EntityReference (resolved, filled in)
      ``ref_list`` list of references    -> list of EntityReference (resolved)
      ``id_list``  list of UUID strings  -> list of EntityReference
    targets: the entity types the reference may point to (first match wins).
    strict: unknown targets are a 404 (as on the real server) instead of being dropped.
    """

    kind: str
    targets: tuple[str, ...]
    strict: bool = True


@dataclass(frozen=True)
class CollectionSpec:
    """How one collection behaves.

    name:          URL path of the collection below ``/api/v1`` (``tables``, ``services/databaseServices``)
    entity_type:   the EntityReference ``type`` of its entities (``table``, ``databaseService``)
    create_model:  Create*Request model (dotted path below metadata.generated.schema)
    entity_model:  entity model (dotted path below metadata.generated.schema)
    parent:        (create field, parent entity type) whose FQN prefixes this entity's FQN
    inherit:       reference fields copied from the parent entity (service, database, ...)
    refs:          Create-request fields turned into EntityReferences
    filters:       list query parameter -> entity types of the reference it filters on
    gated:         fields returned only when requested with ``fields=``
    search_index:  OpenSearch index name the search routes answer for it
    """

    name: str
    entity_type: str
    create_model: str
    entity_model: str
    parent: tuple[str, tuple[str, ...]] | None = None
    inherit: tuple[str, ...] = ()
    refs: dict[str, RefField] = field(default_factory=dict)
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    gated: frozenset[str] = COMMON_GATED
    search_index: str | None = None
    has_service_type: bool = False


_OWNERS = {
    "owners": RefField("ref_list", ("user", "team")),
    "domains": RefField("fqn_list", ("domain",), strict=True),
    "dataProducts": RefField("fqn_list", ("dataProduct",), strict=True),
}

DATABASE_SERVICE = "databaseService"
PIPELINE_SERVICE = "pipelineService"
SERVICE_TYPES = (DATABASE_SERVICE, PIPELINE_SERVICE)

SPECS: tuple[CollectionSpec, ...] = (
    CollectionSpec(
        name="services/databaseServices",
        entity_type=DATABASE_SERVICE,
        create_model="api.services.createDatabaseService.CreateDatabaseServiceRequest",
        entity_model="entity.services.databaseService.DatabaseService",
        refs=dict(_OWNERS),
        gated=COMMON_GATED | {"pipelines", "testConnectionResult"},
        search_index="database_service_search_index",
    ),
    CollectionSpec(
        name="services/pipelineServices",
        entity_type=PIPELINE_SERVICE,
        create_model="api.services.createPipelineService.CreatePipelineServiceRequest",
        entity_model="entity.services.pipelineService.PipelineService",
        refs=dict(_OWNERS),
        gated=COMMON_GATED | {"pipelines", "testConnectionResult"},
        search_index="pipeline_service_search_index",
    ),
    CollectionSpec(
        name="databases",
        entity_type="database",
        create_model="api.data.createDatabase.CreateDatabaseRequest",
        entity_model="entity.data.database.Database",
        parent=("service", (DATABASE_SERVICE,)),
        refs=dict(_OWNERS),
        filters={"service": (DATABASE_SERVICE,)},
        gated=COMMON_GATED | {"databaseSchemas", "databaseProfilerConfig"},
        search_index="database_search_index",
        has_service_type=True,
    ),
    CollectionSpec(
        name="databaseSchemas",
        entity_type="databaseSchema",
        create_model="api.data.createDatabaseSchema.CreateDatabaseSchemaRequest",
        entity_model="entity.data.databaseSchema.DatabaseSchema",
        parent=("database", ("database",)),
        inherit=("service",),
        refs=dict(_OWNERS),
        filters={"service": (DATABASE_SERVICE,), "database": ("database",)},
        gated=COMMON_GATED | {"tables", "databaseSchemaProfilerConfig"},
        search_index="database_schema_search_index",
        has_service_type=True,
    ),
    CollectionSpec(
        name="tables",
        entity_type="table",
        create_model="api.data.createTable.CreateTableRequest",
        entity_model="entity.data.table.Table",
        parent=("databaseSchema", ("databaseSchema",)),
        inherit=("service", "database"),
        refs=dict(_OWNERS),
        filters={
            "service": (DATABASE_SERVICE,),
            "database": ("database",),
            "databaseSchema": ("databaseSchema",),
        },
        gated=COMMON_GATED
        | {
            "tableConstraints",
            "tablePartition",
            "dataModel",
            "joins",
            "sampleData",
            "profile",
            "customMetrics",
            "testSuite",
            "tableProfilerConfig",
            "schemaDefinition",
            "queries",
            "pipelineObservability",
        },
        search_index="table_search_index",
        has_service_type=True,
    ),
    CollectionSpec(
        name="storedProcedures",
        entity_type="storedProcedure",
        create_model="api.data.createStoredProcedure.CreateStoredProcedureRequest",
        entity_model="entity.data.storedProcedure.StoredProcedure",
        parent=("databaseSchema", ("databaseSchema",)),
        inherit=("service", "database"),
        refs=dict(_OWNERS),
        filters={
            "service": (DATABASE_SERVICE,),
            "database": ("database",),
            "databaseSchema": ("databaseSchema",),
        },
        search_index="stored_procedure_search_index",
        has_service_type=True,
    ),
    CollectionSpec(
        name="pipelines",
        entity_type="pipeline",
        create_model="api.data.createPipeline.CreatePipelineRequest",
        entity_model="entity.data.pipeline.Pipeline",
        parent=("service", (PIPELINE_SERVICE,)),
        refs=dict(_OWNERS),
        filters={"service": (PIPELINE_SERVICE,)},
        gated=COMMON_GATED | {"tasks", "pipelineStatus", "scheduleInterval"},
        search_index="pipeline_search_index",
        has_service_type=True,
    ),
    CollectionSpec(
        name="classifications",
        entity_type="classification",
        create_model="api.classification.createClassification.CreateClassificationRequest",
        entity_model="entity.classification.classification.Classification",
        refs={**_OWNERS, "reviewers": RefField("ref_list", ("user", "team"))},
        gated=COMMON_GATED | {"termCount", "usageCount"},
        search_index="classification_search_index",
    ),
    CollectionSpec(
        name="tags",
        entity_type="tag",
        create_model="api.classification.createTag.CreateTagRequest",
        entity_model="entity.classification.tag.Tag",
        # The FQN parent is ``parent`` (a tag) when given, else ``classification``.
        parent=("classification", ("classification",)),
        refs={
            **_OWNERS,
            "reviewers": RefField("ref_list", ("user", "team")),
            "parent": RefField("fqn", ("tag",)),
        },
        filters={"parent": ("classification", "tag")},
        gated=COMMON_GATED | {"children", "usageCount"},
        search_index="tag_search_index",
    ),
    CollectionSpec(
        name="users",
        entity_type="user",
        create_model="api.teams.createUser.CreateUserRequest",
        entity_model="entity.teams.user.User",
        refs={
            "teams": RefField("id_list", ("team",)),
            "roles": RefField("id_list", ("role",), strict=False),
            "personas": RefField("ref_list", ("persona",), strict=False),
            "defaultPersona": RefField("ref", ("persona",), strict=False),
            "domains": RefField("fqn_list", ("domain",)),
        },
        gated=COMMON_GATED | {"teams", "roles", "personas", "owns", "follows", "profile"},
        search_index="user_search_index",
    ),
    CollectionSpec(
        name="teams",
        entity_type="team",
        create_model="api.teams.createTeam.CreateTeamRequest",
        entity_model="entity.teams.team.Team",
        refs={
            **_OWNERS,
            "parents": RefField("id_list", ("team",)),
            "children": RefField("id_list", ("team",)),
            "users": RefField("id_list", ("user",)),
            "defaultRoles": RefField("id_list", ("role",), strict=False),
            "policies": RefField("id_list", ("policy",), strict=False),
            "defaultPersona": RefField("ref", ("persona",), strict=False),
        },
        gated=COMMON_GATED | {"users", "parents", "children", "defaultRoles", "policies", "owns", "profile"},
        search_index="team_search_index",
    ),
    CollectionSpec(
        name="bots",
        entity_type="bot",
        create_model="api.createBot.CreateBot",
        entity_model="entity.bot.Bot",
        refs={"botUser": RefField("fqn", ("user",))},
    ),
    CollectionSpec(
        name="roles",
        entity_type="role",
        create_model="api.teams.createRole.CreateRoleRequest",
        entity_model="entity.teams.role.Role",
        refs={"policies": RefField("fqn_list", ("policy",))},
        gated=COMMON_GATED | {"policies", "teams", "users"},
    ),
    CollectionSpec(
        name="policies",
        entity_type="policy",
        create_model="api.policies.createPolicy.CreatePolicyRequest",
        entity_model="entity.policies.policy.Policy",
        refs=dict(_OWNERS),
        gated=COMMON_GATED | {"teams", "roles", "location"},
    ),
    CollectionSpec(
        name="services/ingestionPipelines",
        entity_type="ingestionPipeline",
        create_model="api.services.ingestionPipelines.createIngestionPipeline.CreateIngestionPipelineRequest",
        entity_model="entity.services.ingestionPipelines.ingestionPipeline.IngestionPipeline",
        # ``service`` is an EntityReference (id + type) here, not an FQN.
        parent=("service", SERVICE_TYPES),
        refs=dict(_OWNERS),
        filters={"service": SERVICE_TYPES},
        gated=COMMON_GATED | {"pipelineStatuses"},
        search_index="ingestion_pipeline_search_index",
    ),
)

BY_NAME: dict[str, CollectionSpec] = {s.name: s for s in SPECS}
BY_TYPE: dict[str, CollectionSpec] = {s.entity_type: s for s in SPECS}
BY_INDEX: dict[str, CollectionSpec] = {s.search_index: s for s in SPECS if s.search_index}

# Fields that change on every write and are ignored when deciding "did anything change".
VOLATILE = frozenset(
    {"version", "updatedAt", "updatedBy", "changeDescription", "incrementalChangeDescription", "href", "impersonatedBy"}
)
