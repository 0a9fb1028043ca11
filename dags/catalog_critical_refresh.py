"""
### catalog_critical_refresh: refresh the critical part of the catalog every 4 hours

**What it does.** For each source of the critical subset of the schedule config
(`DATAKIT_CRITICAL_SUBSET`, default: pagila's `payment*` and `rental` tables), it triggers
a run of that source's own catalog DAG with `{"scope": "critical"}`. That run ingests only
the critical tables (FQN patterns, no soft deletes) and takes a fraction of a full run.
The Airflow source has no tables: its critical run is its normal run.
Schedule: `DATAKIT_SCHEDULE_CRITICAL` (default `0 */4 * * *`).

**Never two runs of a source at once.** The critical run is a run of the source's catalog
DAG, which allows one active run (`max_active_runs=1`): a critical run that comes while the
nightly full run works waits, queued, and starts when it ends. A source whose DAG is paused,
or already has a queued run, is skipped (`skip_if_busy_<source>`).

**Trigger by hand** (▶) to refresh the critical subset now. To refresh one source's critical
subset, trigger its catalog DAG with `{"scope": "critical"}`.
"""

from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG

from include.catalog.dag_defaults import default_args, start_date
from include.catalog.schedules import CRITICAL_DAG_ID, SCOPE_CRITICAL, refresh_plan, should_trigger
from include.settings import get_settings

settings = get_settings()
plan = refresh_plan(settings)

with DAG(
    CRITICAL_DAG_ID,
    # No critical subset: nothing to refresh, so no schedule.
    schedule=plan.critical if plan.critical_subset else None,
    start_date=start_date(),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=[*settings.tags, "critical"],
    default_args=default_args(),
):
    for source in plan.critical_sources():
        check = ShortCircuitOperator(
            task_id=f"skip_if_busy_{source.key}",
            python_callable=should_trigger,
            op_kwargs={"dag_id": source.dag_id},
            # Skip only this source's trigger, never another source's.
            ignore_downstream_trigger_rules=False,
        )
        trigger = TriggerDagRunOperator(
            task_id=f"trigger_{source.key}",
            trigger_dag_id=source.dag_id,
            trigger_run_id="critical__{{ run_id }}",
            # catalog_airflow takes no configuration: its critical run is its normal run.
            conf={"scope": SCOPE_CRITICAL} if source.has_tables else None,
            wait_for_completion=False,
            # Clearing this task re-triggers the same run id: already there is done, not failed.
            skip_when_already_exists=True,
        )
        check >> trigger
