"""The task callables of a database catalog DAG with the ``mode`` param and the sharded full refresh.

``preflight_task`` / ``ingest_task`` wrap ``include.catalog.schedules``' (``scope``: full or
critical) and add ``mode`` (``auto``, ``full``, ``incremental``; trigger configuration first,
then the param). A critical run is what it was (its subset, no soft deletes, no fingerprints).
A ``scope=full`` run is ``include.incremental.refresh.refresh``. When ``DATAKIT_OBJECTS_PER_SHARD``
is set, the DAG also has ``ingest_shard`` (mapped over the shards ``ingest_metadata`` pushes
under the XCom key ``shards``; none when the run is incremental or small) and
``finalize_refresh``, which saves the fingerprints once every shard succeeded.

Light at import (DAG files import it): the work is imported inside the callables.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, Mapping

log = logging.getLogger(__name__)
RUN_KEYS = ("scope", "mode")


def mode_param():
    """The ``mode`` param of the database catalog DAGs (the trigger form shows it)."""
    from airflow.sdk import Param

    return Param("auto", type="string", enum=["auto", "full", "incremental"], title="Mode",
                 description="auto: incremental unless a full refresh is due (weekly, DATAKIT_SCHEDULE_FULL_REFRESH; "
                             "no or outdated fingerprints). full: ingest everything. incremental: only new and "
                             "changed tables (falls back to full without usable fingerprints).")


def _conf(dag_run: Any) -> dict[str, Any]:
    return dict((getattr(dag_run, "conf", None) or {}) if dag_run is not None else {})


def run_mode(params: Mapping[str, Any] | None, dag_run: Any) -> str:
    from include.incremental.decide import check_mode

    return check_mode(_conf(dag_run).get("mode", (params or {}).get("mode")))


def _without_mode(params: Mapping[str, Any] | None, dag_run: Any) -> tuple[dict[str, Any], Any]:
    """Params and run as ``include.catalog.schedules`` knows them (it does not know ``mode``)."""
    params = {k: v for k, v in (params or {}).items() if k != "mode"}
    if dag_run is None:
        return params, None
    conf = {k: v for k, v in _conf(dag_run).items() if k != "mode"}
    return params, SimpleNamespace(conf=conf, dag_id=getattr(dag_run, "dag_id", None),
                                   run_id=getattr(dag_run, "run_id", None))


def preflight_task(kind: str, conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None) -> dict[str, Any]:
    """``preflight``: the mode, then the scope, OpenMetadata and the source."""
    from include.catalog import schedules

    mode = run_mode(params, dag_run)
    rest, run = _without_mode(params, dag_run)
    result = schedules.preflight_task(kind, conn_id, rest, run)
    result["mode"] = mode
    return result


def ingest_task(kind: str, conn_id: str, params: Mapping[str, Any] | None = None, dag_run: Any = None,
                ti: Any = None) -> dict[str, Any]:
    """``ingest_metadata``: the critical subset as before, or a full/incremental refresh of the source."""
    from include.catalog import schedules

    mode = run_mode(params, dag_run)
    rest, run = _without_mode(params, dag_run)
    if schedules.run_scope(rest, run) == schedules.SCOPE_CRITICAL:
        return schedules.ingest_task(kind, conn_id, rest, run)
    from include.catalog.tasks import source_kind
    from include.connections import get_connection
    from include.incremental.refresh import refresh
    from include.incremental.state import VariableStore
    from include.settings import get_settings
    from include.sources.common import options_with_params

    spec = source_kind(kind)
    base = spec.default_options(spec.from_connection(get_connection(conn_id)))
    conf = {k: v for k, v in _conf(run).items() if k not in RUN_KEYS}
    options = options_with_params(base, rest, conf)
    summary = refresh(kind, conn_id, options, mode=mode, store=VariableStore(),
                      label=getattr(dag_run, "dag_id", None) or "catalog",
                      objects_per_shard=get_settings().refresh.objects_per_shard,
                      run_id=getattr(dag_run, "run_id", None))
    shards = summary["refresh"]["shards"]
    if ti is not None and get_settings().refresh.objects_per_shard > 0:
        ti.xcom_push(key="shards", value=[{"kind": kind, "conn_id": conn_id, "shard": s} for s in shards])
    summary["scope"] = {"scope": schedules.SCOPE_FULL, "patterns": []}
    return summary


def shard_list(ti: Any = None) -> list[dict[str, Any]]:
    """``shard_list``: the shards ``ingest_metadata`` pushed (Airflow maps only over return values)."""
    return list(ti.xcom_pull(task_ids="ingest_metadata", key="shards") or [])


def shard_task(kind: str, conn_id: str, shard: dict[str, Any], params: Mapping[str, Any] | None = None,
               dag_run: Any = None) -> dict[str, Any]:
    """``ingest_shard`` (mapped): one group of whole schemas, with the run's options."""
    from include.catalog.tasks import source_kind
    from include.connections import get_connection
    from include.incremental.refresh import run_shard
    from include.sources.common import options_with_params

    rest, run = _without_mode(params, dag_run)
    spec = source_kind(kind)
    base = spec.default_options(spec.from_connection(get_connection(conn_id)))
    conf = {k: v for k, v in _conf(run).items() if k not in RUN_KEYS}
    options = options_with_params(base, rest, conf)
    return run_shard(kind, conn_id, shard, options, label=getattr(dag_run, "dag_id", None) or "catalog")


def finalize_task(conn_id: str, dag_run: Any = None) -> dict[str, Any]:
    """``finalize_refresh``: after every shard succeeded, the run's fingerprints become the state."""
    from include.incremental.refresh import finalize
    from include.incremental.state import VariableStore

    result = finalize(conn_id, store=VariableStore(), run_id=getattr(dag_run, "run_id", None),
                      label=getattr(dag_run, "dag_id", None) or "catalog")
    log.info("finalize: %s", result)
    return result
