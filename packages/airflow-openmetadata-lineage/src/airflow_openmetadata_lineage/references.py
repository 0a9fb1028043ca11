"""Table references for ``inlets``/``outlets``: ``om_table`` (cheap at DAG parse time).

``om_table("service.database.schema.table")`` returns the JSON string the OpenMetadata SDK's
``OMEntity(entity=Table, fqn=...)`` serializes to, so the SDK's own readers (its lineage
operator, its Airflow pipeline connector reading serialized DAGs) take it as it is, and
Airflow 3's DAG processor ships it as a plain type. Standard library only.
"""

from __future__ import annotations

import json

from airflow_openmetadata_lineage import fqn as fqn_lib

TABLE_ENTITY = "metadata.generated.schema.entity.data.table.Table"


class OMTable(str):
    """An OpenMetadata table reference for ``inlets``/``outlets``. Cheap at DAG parse time.

    It *is* the string the SDK's ``OMEntity`` serializes to
    (``{"entity": "...Table", "fqn": "...", "key": "default"}``), so the SDK's own readers
    take it as it is: the ``OpenMetadataLineageOperator`` and the Airflow pipeline
    connector (which sees inlets/outlets through serialized DAGs) both parse that string.
    Put ``om_table(...)`` (a plain ``str``) in a DAG's inlets/outlets, not an ``OMTable``:
    Airflow 3's DAG processor ships only plain types to the scheduler. ``OMTable`` is for
    code that wants the parts (``.service``, ``.fqn``, ...).
    """

    _parts: tuple[str, str, str, str, str]
    _fqn: str

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


def om_entity_fqn(text: str) -> str | None:
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
    found = om_entity_fqn(str(xlet))
    if found is None:
        raise ValueError(f"{xlet!r} is not an om_table reference")
    return found
