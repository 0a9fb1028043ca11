"""The Asset a catalog DAG updates when a refresh has ended: what runs after it is scheduled on it.

``sync_descriptions_pagila`` runs after ``catalog_pagila`` (and ``sync_descriptions_mssql``
after ``catalog_mssql``) through Airflow's data-aware scheduling: the catalog DAG's last
task(s) carry the Asset ``<dag_id>.refreshed`` as an outlet, so a run of the follower starts
only once a refresh has ended successfully, never at the same time. The last tasks are found
when the DAG file is parsed, so this keeps working whatever tasks the refresh grows.

Light at import (``airflow.sdk`` only): DAG files call it.
"""

from __future__ import annotations

from typing import Any


def catalog_refreshed_asset(dag_id: str):
    from airflow.sdk import Asset

    return Asset(name=f"{dag_id}.refreshed", uri=f"datakit-catalog://{dag_id}")


def emit_when_refreshed(dag: Any) -> list[str]:
    """Give the DAG's last tasks (no downstream) the ``<dag_id>.refreshed`` outlet; their ids."""
    asset = catalog_refreshed_asset(dag.dag_id)
    leaves = [task for task in dag.tasks if not task.downstream_task_ids]
    for task in leaves:
        if asset not in task.outlets:
            task.outlets = [*task.outlets, asset]
    return [task.task_id for task in leaves]
