"""Inlets and outlets -> OpenMetadata table FQNs.

Accepted forms, per task:

- ``om_table("pagila_postgres.pagila.public.film")`` or
  ``om_table(service=..., database=..., schema=..., table=...)``: this module's helper;
  it serializes exactly like the SDK's ``OMEntity(entity=Table, fqn=...)``, so the
  SDK's Airflow pipeline connector reads it from serialized DAGs too;
- the SDK's ``OMEntity(entity=Table, fqn=...)`` (recognised by shape, no SDK import);
- an Airflow ``Asset`` whose URI names a PostgreSQL or SQL Server table,
  ``postgres://host:port/database/schema/table`` / ``mssql://host:port/database/schema/table``,
  mapped to an OpenMetadata database service through ``LineageConfig.asset_services``.

A dict is refused with an error naming the task: Airflow 3 turns
``inlets={"tables": [...]}`` into ``["tables"]``, silently losing the tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import unquote, urlsplit

from include.errors import ConfigError
from include.lineage import fqn as fqn_lib

TABLE_ENTITY = "metadata.generated.schema.entity.data.table.Table"
ASSET_SCHEMES = {"postgres": 5432, "postgresql": 5432, "mssql": 1433, "sqlserver": 1433}


class OMTable(str):
    """An OpenMetadata table reference for ``inlets``/``outlets``. Cheap at DAG parse time.

    It *is* the string the SDK's ``OMEntity`` serializes to
    (``{"entity": "...Table", "fqn": "...", "key": "default"}``), so the SDK's own readers
    take it as it is: the ``OpenMetadataLineageOperator`` and the Airflow pipeline
    connector (which sees inlets/outlets through serialized DAGs) both parse that string.
    """

    def __new__(cls, service: str, database: str, schema: str, table: str, key: str = "default") -> "OMTable":
        table_fqn = fqn_lib.build(service, database, schema, table)
        obj = super().__new__(cls, json.dumps({"entity": TABLE_ENTITY, "fqn": table_fqn, "key": key}))
        obj._parts = (service, database, schema, table, key)
        obj._fqn = table_fqn
        return obj

    @property
    def fqn(self) -> str:
        return self._fqn

    @property
    def service(self) -> str:
        return self._parts[0]

    @property
    def database(self) -> str:
        return self._parts[1]

    @property
    def schema(self) -> str:
        return self._parts[2]

    @property
    def table(self) -> str:
        return self._parts[3]

    @property
    def key(self) -> str:
        return self._parts[4]

    def serialize(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"om_table({self._fqn!r})"


def _om_entity_fqn(text: str) -> str | None:
    """The table FQN of a serialized OMEntity string, else None."""
    if not text.startswith("{"):
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("fqn"), str) and str(body.get("entity", "")).endswith("Table"):
        return body["fqn"]
    return None


def om_table(
    fqn: str | None = None,
    *,
    service: str | None = None,
    database: str | None = None,
    schema: str | None = None,
    table: str | None = None,
    key: str = "default",
) -> str:
    """A table reference for ``inlets``/``outlets``: a 4-part FQN or keyword parts.

    Returns a plain ``str``: the JSON the SDK's ``OMEntity`` serializes to. Airflow 3's DAG
    processor only ships plain types to the scheduler (a ``str`` subclass makes it drop the
    DAG), and the SDK's lineage operator and Airflow connector parse this string as it is.
    ``key`` groups edges for the SDK's DAG-level readers (inlets x outlets per key): give
    each task its own key when a table is one task's output and the next one's input.
    """
    if fqn is not None:
        if any(v is not None for v in (service, database, schema, table)):
            raise ValueError("om_table: give either an FQN or keyword parts, not both")
        parts = fqn_lib.split(fqn)
        if len(parts) != 4:
            raise ValueError(
                f"om_table({fqn!r}): a table FQN has 4 parts, service.database.schema.table "
                f"(got {len(parts)}); quote a part that contains a dot: "
                f'service.database."my.schema".table'
            )
        service, database, schema, table = parts
    missing = [n for n, v in (("service", service), ("database", database), ("schema", schema), ("table", table)) if not v]
    if missing:
        raise ValueError(f"om_table: missing {', '.join(missing)}")
    return str.__str__(OMTable(service, database, schema, table, key))  # type: ignore[arg-type]


def xlet_fqn(xlet: str) -> str:
    """The table FQN inside an ``om_table`` string."""
    found = _om_entity_fqn(str(xlet))
    if found is None:
        raise ValueError(f"{xlet!r} is not an om_table reference")
    return found


def table_asset_uri(scheme: str, host: str, port: int, database: str, schema: str, table: str) -> str:
    """The Asset URI of a table, in the form Airflow's postgres/mssql providers normalise to."""
    return f"{scheme}://{host}:{port}/{database}/{schema}/{table}"


@dataclass(frozen=True)
class TableAssetRef:
    """What an Asset URI names: host:port/database (the service key) and schema.table."""

    scheme: str
    host: str
    port: int
    database: str
    schema: str
    table: str

    @property
    def service_key(self) -> str:
        return f"{self.host}:{self.port}/{self.database}"


def parse_table_asset_uri(uri: str) -> TableAssetRef | None:
    """A ``TableAssetRef`` when ``uri`` names a database table, else None."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme not in ASSET_SCHEMES or not parts.hostname:
        return None
    path = [unquote(p) for p in parts.path.split("/") if p]
    if len(path) != 3:
        return None
    database, schema, table = path
    return TableAssetRef(scheme, parts.hostname, parts.port or ASSET_SCHEMES[scheme], database, schema, table)


class XletError(ConfigError):
    """An inlet/outlet this datakit cannot turn into a table."""


def _where(dag_id: str, task_id: str, direction: str) -> str:
    return f"{dag_id}.{task_id}.{direction}"


def resolve_xlet(
    xlet: Any, *, dag_id: str, task_id: str, direction: str, asset_services: Mapping[str, str]
) -> str | None:
    """The table FQN of one inlet/outlet; None for an Asset that is not a mapped table."""
    field = _where(dag_id, task_id, direction)
    if isinstance(xlet, OMTable):
        return xlet.fqn
    if isinstance(xlet, dict):
        raise XletError(field, f"a dict ({sorted(xlet)!r}) is not a table reference",
                        "use om_table('service.database.schema.table') or an Asset")
    if isinstance(xlet, str) and _om_entity_fqn(xlet):  # a serialized OMEntity / om_table
        return _om_entity_fqn(xlet)
    if isinstance(xlet, str):
        # What is left of a dict after Airflow 3's list(value): its keys.
        raise XletError(
            field,
            f"contains the string {xlet!r}: Airflow 3 turns a dict such as {{{xlet!r}: [...]}} into its keys, "
            "so the tables were lost",
            "declare a list: [om_table('service.database.schema.table'), ...] or Assets",
        )
    entity, om_fqn = getattr(xlet, "entity", None), getattr(xlet, "fqn", None)
    if entity is not None and isinstance(om_fqn, str):  # the SDK's OMEntity
        name = getattr(entity, "__name__", str(entity))
        if name != "Table":
            return None  # containers, dashboards...: not table lineage
        fqn_lib.split(om_fqn)
        return om_fqn
    uri = getattr(xlet, "uri", None)
    if isinstance(uri, str):  # an Airflow Asset
        ref = parse_table_asset_uri(uri)
        if ref is None:
            return None
        service = asset_services.get(ref.service_key)
        if service is None:
            raise XletError(
                field,
                f"Asset {uri!r} names a table on {ref.service_key}, which no OpenMetadata service is mapped to",
                f"add {{\"{ref.service_key}\": \"<service>\"}} to DATAKIT_LINEAGE_ASSET_SERVICES "
                "(or [datakit_lineage] asset_services), or list its connection in asset_connections",
            )
        return fqn_lib.build(service, ref.database, ref.schema, ref.table)
    raise XletError(field, f"{type(xlet).__name__} is not a supported inlet/outlet",
                    "use om_table(...), the SDK's OMEntity(entity=Table, fqn=...), or a table Asset")


def resolve_xlets(
    xlets: Iterable[Any] | None, *, dag_id: str, task_id: str, direction: str, asset_services: Mapping[str, str]
) -> list[str]:
    """Table FQNs of a task's inlets or outlets, in order, without duplicates."""
    if xlets is None:
        return []
    if isinstance(xlets, dict):
        raise XletError(_where(dag_id, task_id, direction), "is a dict",
                        "declare a list: [om_table('service.database.schema.table'), ...]")
    seen: dict[str, None] = {}
    for xlet in xlets:
        resolved = resolve_xlet(xlet, dag_id=dag_id, task_id=task_id, direction=direction,
                                asset_services=asset_services)
        if resolved:
            seen.setdefault(resolved)
    return list(seen)
