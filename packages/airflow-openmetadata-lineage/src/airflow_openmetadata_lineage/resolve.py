"""A task's inlets and outlets -> OpenMetadata table FQNs, one reference at a time.

Accepted forms:

- ``om_table("service.database.schema.table")`` (a plain string, see ``references.py``);
- the SDK's ``OMEntity(entity=Table, fqn=...)`` (recognised by shape, no SDK import);
- an Airflow ``Asset`` whose URI names a PostgreSQL or SQL Server table, mapped to a service
  as ``assets.py`` says; an Asset that names no table (``s3://...``) is not table lineage and is
  left out silently.

A reference that cannot be resolved is returned as an ``UnresolvedReference`` naming
``dag.task.inlets[i]`` and the fix; the others still resolve, so one bad reference never costs
a task its other edges. A dict is refused: Airflow 3 turns ``inlets={"tables": [...]}`` into
``["tables"]``, silently losing the tables.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from airflow_openmetadata_lineage import fqn as fqn_lib
from airflow_openmetadata_lineage.assets import AssetServices, parse_table_asset_uri
from airflow_openmetadata_lineage.config import ENV_PREFIX, SECTION
from airflow_openmetadata_lineage.errors import UnresolvedReference
from airflow_openmetadata_lineage.references import OMTable, om_entity_fqn


def resolve_xlet(xlet: Any, *, where: str, services: AssetServices) -> str | None:
    """The table FQN of one inlet/outlet; None when it is not table lineage (an ``s3://`` Asset,
    an OMEntity of a dashboard); ``UnresolvedReference`` when it should be a table but is not."""
    if isinstance(xlet, OMTable):
        return xlet.fqn
    if isinstance(xlet, dict):
        raise UnresolvedReference(where, f"a dict ({sorted(xlet)!r}) is not a table reference",
                                  "use om_table('service.database.schema.table') or a table Asset")
    if isinstance(xlet, str):
        found = om_entity_fqn(xlet)
        if found is not None:
            return found
        # What is left of a dict after Airflow 3's list(value): its keys.
        raise UnresolvedReference(
            where, f"is the string {xlet!r}: Airflow 3 turns a dict such as {{{xlet!r}: [...]}} into its keys, "
            "so the tables were lost", "declare a list: [om_table('service.database.schema.table'), ...] or Assets")
    entity, om_fqn = getattr(xlet, "entity", None), getattr(xlet, "fqn", None)
    if entity is not None and isinstance(om_fqn, str):  # the SDK's OMEntity
        if getattr(entity, "__name__", str(entity)) != "Table":
            return None  # containers, dashboards...: not table lineage
        try:
            fqn_lib.split(om_fqn)
        except ValueError as exc:
            raise UnresolvedReference(where, str(exc), "give a 4-part table FQN") from None
        return om_fqn
    uri = getattr(xlet, "uri", None)
    if isinstance(uri, str):  # an Airflow Asset
        ref = parse_table_asset_uri(uri)
        if ref is None:
            return None
        service = services.service_for(ref, getattr(xlet, "extra", None))
        if service is None:
            known = ", ".join(f"{k} -> {v}" for k, v in sorted(services.mapping.items())) or "none"
            raise UnresolvedReference(
                where,
                f"Asset {uri!r} names a table on {ref.service_key}, which no OpenMetadata service is mapped to "
                f"(mapped: {known})",
                f"create the Asset with table_asset(..., service='<service>'), or map it with "
                f"{ENV_PREFIX}ASSET_SERVICES='{{\"{ref.service_key}\": \"<service>\"}}' ([{SECTION}] asset_services), "
                f"or list in {ENV_PREFIX}ASSET_CONNECTIONS the connection whose host:port/database is {ref.service_key}",
            )
        return fqn_lib.build(service, ref.database, ref.schema, ref.table)
    raise UnresolvedReference(where, f"{type(xlet).__name__} is not a supported inlet/outlet",
                              "use om_table(...), the SDK's OMEntity(entity=Table, fqn=...), or a table Asset")


def resolve_xlets(xlets: Iterable[Any] | None, *, dag_id: str, task_id: str, direction: str,
                  services: AssetServices | Mapping[str, str]) -> tuple[list[str], list[UnresolvedReference]]:
    """The table FQNs of a task's inlets or outlets (in order, without duplicates) and the
    references that could not be resolved (each names ``dag.task.direction[i]`` and the fix)."""
    if not isinstance(services, AssetServices):
        services = AssetServices(mapping=services)
    if xlets is None:
        return [], []
    field = f"{dag_id}.{task_id}.{direction}"
    if isinstance(xlets, dict):
        return [], [UnresolvedReference(field, "is a dict", "declare a list: [om_table('service.database.schema.table'), ...]")]
    found: dict[str, None] = {}
    problems: list[UnresolvedReference] = []
    for index, xlet in enumerate(xlets):
        try:
            resolved = resolve_xlet(xlet, where=f"{field}[{index}]", services=services)
        except UnresolvedReference as problem:
            problems.append(problem)
            continue
        if resolved:
            found.setdefault(resolved)
    return list(found), problems
