"""OpenMetadata API emulator - a TEST STAND-IN for the OpenMetadata server.

What it is
==========
A small, real HTTP server that answers the subset of the OpenMetadata REST API
(``/api/v1/...``) that the openmetadata-ingestion SDK (``metadata`` package, 2.0.x)
calls in this project's flows, so tests can run the SDK's own workflows end to end
(Postgres/Mssql ``MetadataWorkflow`` with the ``metadata-rest`` sink, ingestion
pipeline status, Airflow pipelines and lineage) without a Java server, a database and
a search engine. It lives under ``tests/`` and is NEVER imported by production code
(``dags/``, ``include/``, ``plugins/``): production code talks to a real server through
the SDK; only tests point the SDK's ``hostPort`` at this emulator.

How to use it
=============
* Python::

      from tests.openmetadata_emulator import Emulator
      with Emulator(token=None, state_path=None) as om:
          om.url             # "http://127.0.0.1:PORT/api" -> OpenMetadataConnection.hostPort
          om.store           # read access: om.store.get("tables", fqn), .entities("tables"), .count(...)
          om.requests_log    # [(method, path, status), ...]
          om.unknown_routes  # [(method, path), ...] - anything answered 501
          om.faults.add("PUT", r"/v1/tables/bulk", status=503)   # fault injection

* pytest: ``pytest_plugins = ["tests.openmetadata_emulator.pytest_plugin"]`` gives the
  fixtures ``om_emulator`` (fresh store, no token) and ``om_emulator_factory``.
* CLI: ``python -m tests.openmetadata_emulator --port 0 [--host 127.0.0.1] [--token JWT]
  [--state FILE]`` prints ``openmetadata-emulator listening on http://HOST:PORT/api``.

Behaviour it shares with the real server (the contract the tests rely on)
=========================================================================
* ``GET /v1/system/version`` reports the SDK's own version, so version validation passes.
* Every request body is validated with the SDK's generated pydantic models
  (``Create*Request``, ``AddLineageRequest``, ``PipelineStatus``...); invalid -> 400
  ``{"code": 400, "message": "Invalid <Model>: <field>: <why>"}``. Stored entities are
  validated with the entity models (``Table``, ``Database``...).
* Entities carry ``id`` (uuid4), ``name``, ``fullyQualifiedName`` (built/split only with
  ``metadata.utils.fqn``), ``version`` (0.1, +0.1 per real change), ``updatedAt``,
  ``updatedBy``, ``href``, ``deleted``, parent EntityReferences resolved from the FQNs of
  the Create request, per-column FQNs. Upserts are idempotent (same FQN -> same id;
  unchanged -> same version; equal ``sourceHash`` -> skipped); re-PUT restores a
  soft-deleted entity.
* Not found -> 404 ``{"code": 404, ...}`` (what ``get_by_name`` needs to return None);
  unknown route/method -> 501 ``{"code": 501, "message": "openmetadata-emulator: unknown
  route METHOD /path"}`` plus a WARNING on logger ``openmetadata_emulator``; with a token,
  a missing/wrong ``Authorization: Bearer`` -> 401 JSON.

Known differences from a real server
====================================
* No authorization model: one optional shared bearer token; JWTs are not verified
  (``updatedBy`` is the token's ``sub`` when it is a JWT, else ``admin``). No bots,
  roles, policies, personas, domains, data products or glossary entities: references
  to them are 404 (domains/data products) or kept as given (roles, personas).
* Only the collections in ``specs.SPECS`` exist (services, databases, schemas, tables,
  stored procedures, pipelines, classifications, tags, users, teams, ingestion
  pipelines); anything else is a loud 501.
* Search is answered from the store with a small subset of the query DSL (see
  ``search``); relevance, analyzers, aggregations and fuzziness are not emulated.
* ``sourceHash`` is stored but not versioned: a request with the stored hash is skipped,
  a new hash alone is stored without a version bump (the server-side change detection
  the SDK's bulk sink relies on).
* PUT merge rules are simplified: fields omitted from the request are kept, an empty
  description never wipes a stored one, tags are merged, column descriptions/tags
  survive a re-send. The real server's bot-vs-user rules (a bot PUT not overriding a
  user-edited description unless ``overrideMetadata``) are not emulated;
  ``overrideMetadata`` is ignored. Versions only ever grow by 0.1 (no major 1.0 bumps),
  ``changeDescription`` lists field names only, and no version history is kept.
* Tag labels are not checked against existing tags and are not enriched beyond ``name``.
  Column-level ``tags`` are returned even when ``fields`` does not ask for ``tags``.
* ``fields`` gating follows the real server for the usual relationship fields
  (owners, tags, followers, domains, tableConstraints, sourceHash, tasks, ...), not for
  every entity-specific one; unknown field names are ignored instead of a 400.
* FQN lookups are exact (after quote normalization); deleteStale compares quote- and
  case-insensitively, as the real server documents.
* Users and teams: names are not lower-cased, emails are not checked for uniqueness.
* Foreign keys (``referredColumns``) are not checked for existence.
* No events/change feed, no usage aggregation, no profiler data, no SSE streams,
  no async jobs (``/async/`` deletes run synchronously and answer 202).
* Lineage is an in-memory graph keyed by (fromId, toId); the response shape follows the
  classic ``{entity, nodes, upstreamEdges, downstreamEdges}`` API (no pagination,
  no column-level graph expansion, no OpenLineage endpoint).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Emulator", "Faults", "ApiError"]


def __getattr__(name: str) -> Any:  # lazy: importing the package must not import the SDK
    if name == "Emulator":
        from .server import Emulator

        return Emulator
    if name == "Faults":
        from .faults import Faults

        return Faults
    if name == "ApiError":
        from .store import ApiError

        return ApiError
    raise AttributeError(name)
