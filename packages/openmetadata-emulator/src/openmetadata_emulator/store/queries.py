"""Query entities (by checksum) and frequently-joined tables, as the usage workflows write them.

What the real server does (OpenMetadata 2.0, ``QueryRepository`` / ``QueryResource``,
``TableRepository.addJoins``):

* ``PUT /queries`` (``CreateQueryRequest``) creates or updates a Query: its ``checksum`` is the
  MD5 of the query text, its name the checksum, its FQN ``<service>.<checksum>`` (the service
  given in the request); a second PUT of the same text is the same entity (same id).
* ``PUT /queries/{id}/usage`` (a list of ``EntityReference``) adds "mentioned in" relations:
  read back as ``queryUsedIn``; ``PUT /queries/{id}/users`` (user FQNs) and ``/usedBy`` (names).
* ``GET /queries?entityId=`` lists the queries used in an entity.
* ``PUT /tables/{id}/joins`` (``TableJoins``): per-day join counts of a table's columns and of
  the table with other tables, summed over a 30-day window; every table and column it names
  must exist (400 otherwise).
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

from .. import sdk
from .base import ApiError, now_ms, parse
from .profiles import _table, depth, require_columns


def checksum(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def put_query(store, body: Any, user: str) -> tuple[int, dict]:
    model = sdk.model("api.data.createQuery.CreateQueryRequest")
    request = parse(model, body).model_dump(mode="json", exclude_none=True)
    data = depth(store)
    with store.lock:
        service = request.get("service")
        if service is not None and store.entity_by_fqn(("databaseService",), service) is None:
            raise ApiError(404, f"databaseService instance for {service} not found")
        digest = checksum(request["query"])
        name = request.get("name") or digest
        fqn = sdk.build(service, name) if service else name
        existing = data.queries.get(fqn)
        used_in = [store.ref(e, t) for e, t in (_ref(store, r) for r in request.get("queryUsedIn") or [])]
        if existing is not None:
            fields = sdk.model("entity.data.query.Query").model_fields
            updated = dict(existing, **{k: v for k, v in request.items()
                                        if k in fields and k not in ("queryUsedIn", "users", "service")})
            updated["queryUsedIn"] = _merge(existing.get("queryUsedIn") or [], used_in)
            updated.update(updatedAt=now_ms(), updatedBy=user)
            data.queries[fqn] = updated
            return 200, copy.deepcopy(updated)
        # Request-only fields (dialect, exclude_usage, ...) are not stored on the entity.
        fields = sdk.model("entity.data.query.Query").model_fields
        query = {k: v for k, v in request.items() if k in fields and k not in ("users", "service")}
        query.update(id=str(uuid.uuid4()), name=name, fullyQualifiedName=fqn, checksum=digest,
                     queryUsedIn=used_in, users=[], version=0.1, updatedAt=now_ms(), updatedBy=user,
                     href=f"{store.base_url}/v1/queries/{{id}}")
        query["href"] = query["href"].format(id=query["id"])
        if service:
            svc = store.entity_by_fqn(("databaseService",), service)
            query["service"] = store.ref(svc, "databaseService")
        sdk.model("entity.data.query.Query").model_validate(query)
        data.queries[fqn] = query
        return 201, copy.deepcopy(query)


def _ref(store, ref: dict) -> tuple[dict, str]:
    entity = store.entity_by_id(ref.get("id"), include_deleted=False) if ref.get("id") else None
    if entity is None:
        raise ApiError(404, f"{ref.get('type') or 'entity'} instance for {ref.get('id')} not found")
    return entity, store.type_of_id(entity["id"])


def _merge(old: list[dict], new: list[dict]) -> list[dict]:
    seen = {r["id"] for r in old}
    return old + [r for r in new if r["id"] not in seen and not seen.add(r["id"])]


def _by_id(store, query_id: str) -> tuple[str, dict]:
    for fqn, query in depth(store).queries.items():
        if query["id"] == query_id:
            return fqn, query
    raise ApiError(404, f"query instance for {query_id} not found")


def get_query(store, *, fqn: str | None = None, query_id: str | None = None) -> dict:
    with store.lock:
        if query_id is not None:
            return copy.deepcopy(_by_id(store, query_id)[1])
        query = depth(store).queries.get(fqn)
        if query is None:
            raise ApiError(404, f"query instance for {fqn} not found")
        return copy.deepcopy(query)


def add_usage(store, query_id: str, body: Any) -> dict:
    """``PUT /queries/{id}/usage``: the entities the query is used in (EntityReference list)."""
    if not isinstance(body, list):
        raise ApiError(400, "Query usage body must be a JSON array of EntityReference")
    model = sdk.model("type.entityReference.EntityReference")
    refs = [parse(model, item).model_dump(mode="json", exclude_none=True) for item in body]
    with store.lock:
        fqn, query = _by_id(store, query_id)
        used = [store.ref(e, t) for e, t in (_ref(store, r) for r in refs)]
        query["queryUsedIn"] = _merge(query.get("queryUsedIn") or [], used)
        return copy.deepcopy(query)


def add_users(store, query_id: str, body: Any, field: str) -> dict:
    """``PUT /queries/{id}/users`` (user FQNs: users must exist) or ``/usedBy`` (free names)."""
    if not isinstance(body, list) or not all(isinstance(v, str) for v in body):
        raise ApiError(400, f"Query {field} body must be a JSON array of strings")
    with store.lock:
        fqn, query = _by_id(store, query_id)
        if field == "users":
            users = []
            for name in body:
                user = store.entity_by_fqn(("user",), name)
                if user is None:
                    raise ApiError(404, f"user instance for {name} not found")
                users.append(store.ref(user, "user"))
            query["users"] = _merge(query.get("users") or [], users)
        else:
            query["usedBy"] = sorted(set(query.get("usedBy") or []) | set(body))
        return copy.deepcopy(query)


def list_queries(store, entity_id: str | None) -> list[dict]:
    with store.lock:
        out = [q for q in depth(store).queries.values()
               if entity_id is None or any(r["id"] == entity_id for r in q.get("queryUsedIn") or [])]
        return copy.deepcopy(sorted(out, key=lambda q: q["fullyQualifiedName"]))


def add_joins(store, table_id: str, body: Any) -> dict:
    """``PUT /tables/{id}/joins`` (``TableJoins``): counts per day are replaced, then summed."""
    model = sdk.model("entity.data.table.TableJoins")
    joins = parse(model, body).model_dump(mode="json", exclude_none=True)
    data = depth(store)
    with store.lock:
        table = _table(store, entity_id=table_id)
        columns = {c["name"] for c in table.get("columns") or []}
        for join in joins.get("columnJoins") or []:
            require_columns([join["columnName"]], columns)
            for other in join.get("joinedWith") or []:
                _column_exists(store, other["fullyQualifiedName"])
        for other in joins.get("directTableJoins") or []:
            _table(store, fqn=other["fullyQualifiedName"])  # 404 when it is not a table
        per_day = data.joins.setdefault(table["id"], {})
        per_day[joins["startDate"]] = joins
        return summed_joins(store, table["id"])


def _column_exists(store, column_fqn: str) -> None:
    parts = sdk.split(column_fqn)
    table = store.entity_by_fqn(("table",), sdk.build(*parts[:-1]))
    if table is None or parts[-1] not in {c["name"] for c in table.get("columns") or []}:
        raise ApiError(400, f"Invalid column name {column_fqn}")


def summed_joins(store, table_id: str) -> dict:
    """The table's joins summed over the days recorded (the real server: the last 30 days)."""
    with store.lock:
        days = depth(store).joins.get(table_id, {})
        columns: dict[str, dict[str, int]] = {}
        tables: dict[str, int] = {}
        for joins in days.values():
            for join in joins.get("columnJoins") or []:
                bucket = columns.setdefault(join["columnName"], {})
                for other in join.get("joinedWith") or []:
                    bucket[other["fullyQualifiedName"]] = bucket.get(other["fullyQualifiedName"], 0) + other["joinCount"]
            for other in joins.get("directTableJoins") or []:
                tables[other["fullyQualifiedName"]] = tables.get(other["fullyQualifiedName"], 0) + other["joinCount"]
        return {
            "startDate": min(days) if days else None,
            "dayCount": 30,
            "columnJoins": [{"columnName": name, "joinedWith": [{"fullyQualifiedName": f, "joinCount": n}
                                                                for f, n in sorted(others.items())]}
                            for name, others in sorted(columns.items())],
            "directTableJoins": [{"fullyQualifiedName": f, "joinCount": n} for f, n in sorted(tables.items())],
        }


def bulk_put_queries(store, items: Any, user: str) -> dict:
    """``PUT /queries/bulk`` (EntityResource's bulk create-or-update, as for every entity): each
    item a CreateQueryRequest upserted by checksum; one failure does not stop the others; a
    ``BulkOperationResult``."""
    if not isinstance(items, list):
        raise ApiError(400, "Bulk queries body must be a JSON array of CreateQueryRequest")
    success, failed = [], []
    for item in items:
        try:
            status, query = put_query(store, item, user)
            success.append({"request": query["fullyQualifiedName"], "status": status, "message": "Success"})
        except ApiError as err:
            failed.append({"request": item, "status": err.status, "message": err.message})
    status = "success" if not failed else ("partialSuccess" if success else "failure")
    return {"dryRun": False, "status": status, "numberOfRowsProcessed": len(items),
            "numberOfRowsPassed": len(success), "numberOfRowsFailed": len(failed),
            "successRequest": success, "failedRequest": failed}
