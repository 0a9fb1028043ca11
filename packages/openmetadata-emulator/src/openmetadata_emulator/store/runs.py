"""Run data: ingestion pipeline statuses and progress, operation metrics, settings, Airflow
pipeline statuses and table pipeline observability (stored without a new entity version)."""

from __future__ import annotations

from typing import Any

from .. import sdk
from .base import ApiError, StoreBase, parse


class PipelineRuns(StoreBase):
    # ------------------------------------------------------------------ statuses, progress, settings

    def put_ingestion_status(self, fqn: str, body: Any) -> dict:
        model = sdk.model("entity.services.ingestionPipelines.ingestionPipeline.PipelineStatus")
        status = parse(model, body).model_dump(mode="json", exclude_none=True)
        with self.lock:
            pipeline = self._get_locked(self.coll("ingestionPipelines"), fqn=fqn)
            self.ingestion_statuses[pipeline["id"]][status["runId"]] = status
            self._mutated()
            return status

    def get_ingestion_status(self, fqn: str, run_id: str) -> dict | None:
        with self.lock:
            pipeline = self._get_locked(self.coll("ingestionPipelines"), fqn=fqn)
            return self.ingestion_statuses.get(pipeline["id"], {}).get(run_id)

    def list_ingestion_statuses(self, fqn: str, start_ts: int | None, end_ts: int | None) -> list[dict]:
        with self.lock:
            pipeline = self._get_locked(self.coll("ingestionPipelines"), fqn=fqn)
            out = []
            for status in self.ingestion_statuses.get(pipeline["id"], {}).values():
                ts = status.get("timestamp") or status.get("startDate") or 0
                if (start_ts is None or ts >= start_ts) and (end_ts is None or ts <= end_ts):
                    out.append(status)
            return sorted(out, key=lambda s: s.get("timestamp") or 0)

    def put_progress(self, fqn: str, run_id: str, body: Any) -> dict:
        model = sdk.model("entity.services.ingestionPipelines.progressUpdate.ProgressUpdate")
        update = parse(model, body).model_dump(mode="json", exclude_none=True)
        with self.lock:
            self.progress[(fqn, run_id)] = update
            return update

    def add_operation_metrics(self, fqn: str, run_id: str, body: Any) -> None:
        model = sdk.model("entity.services.ingestionPipelines.operationMetricsBatch.OperationMetricsBatch")
        parse(model, body)
        with self.lock:
            self.operation_metrics[(fqn, run_id)].append(body)

    def get_setting(self, name: str) -> dict:
        with self.lock:
            if name in self.settings:
                return self.settings[name]
        if name == "profilerConfiguration":
            return {"config_type": "profilerConfiguration", "config_value": {"metricConfiguration": []}}
        raise ApiError(404, f"Setting {name} not found")

    def put_setting(self, body: Any) -> dict:
        model = sdk.model("settings.settings.Settings")
        setting = parse(model, body).model_dump(mode="json", exclude_none=True)
        with self.lock:
            self.settings[setting["config_type"]] = setting
            self._mutated()
            return setting

    # ------------------------------------------------------------------ pipelines (Airflow flows)

    def add_pipeline_statuses(self, fqn: str, bodies: list) -> dict:
        model = sdk.model("entity.data.pipeline.PipelineStatus")
        statuses = [parse(model, body).model_dump(mode="json", exclude_none=True) for body in bodies]
        c = self.coll("pipelines")
        with self.lock:
            pipeline = self._get_locked(c, fqn=fqn)
            bucket = self.pipeline_statuses[pipeline["id"]]
            for status in statuses:
                bucket[int(status["timestamp"])] = status
            latest = bucket[max(bucket)]
            new = dict(pipeline, pipelineStatus=latest)
            self._replace(c, new)
            self._mutated()
            return new

    def list_pipeline_statuses(self, fqn: str, start_ts: int | None, end_ts: int | None, limit: int | None) -> list:
        with self.lock:
            pipeline = self._get_locked(self.coll("pipelines"), fqn=fqn)
            items = [
                s
                for ts, s in sorted(self.pipeline_statuses.get(pipeline["id"], {}).items())
                if (start_ts is None or ts >= start_ts) and (end_ts is None or ts <= end_ts)
            ]
            return items[-limit:] if limit else items

    def put_pipeline_observability(self, table_id: str, bodies: Any) -> dict:
        """``PUT /tables/{id}/pipelineObservability``: one entry per pipeline, replaced by pipeline id.

        Stored on the table without a new version (it is run data, not metadata).
        """
        if not isinstance(bodies, list):
            raise ApiError(400, "Pipeline observability body must be a JSON array of PipelineObservability")
        model = sdk.model("type.pipelineObservability.PipelineObservability")
        items = [parse(model, body).model_dump(mode="json", exclude_none=True) for body in bodies]
        c = self.coll("tables")
        with self.lock:
            table = self._get_locked(c, entity_id=table_id)
            by_pipeline = {(o.get("pipeline") or {}).get("id"): o for o in table.get("pipelineObservability") or []}
            for item in items:
                by_pipeline[(item.get("pipeline") or {}).get("id")] = item
            new = dict(table, pipelineObservability=list(by_pipeline.values()))
            self._replace(c, new)
            self._mutated()
            return new

