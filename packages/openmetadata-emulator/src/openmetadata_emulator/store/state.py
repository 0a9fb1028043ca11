"""The state file (JSON, written atomically) and ``clear``."""

from __future__ import annotations

import json
import os
import tempfile

from .seed import BuiltIns

STATE_FORMAT = "openmetadata-emulator-state/1"


class StatePersistence(BuiltIns):
    # ------------------------------------------------------------------ persistence

    def to_json(self) -> dict:
        with self.lock:
            return {
                "format": STATE_FORMAT,
                "entities": {name: list(c.by_id.values()) for name, c in self._colls.items() if c.by_id},
                "ingestionStatuses": {pid: dict(v) for pid, v in self.ingestion_statuses.items()},
                "pipelineStatuses": {pid: list(v.values()) for pid, v in self.pipeline_statuses.items()},
                "lineage": list(self.lineage.values()),
                "settings": dict(self.settings),
                "history": {
                    eid: {str(version): snap for version, snap in versions.items()}
                    for eid, versions in self.history.items()
                    if versions
                },
            }

    def load_json(self, data: dict) -> None:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"Not an openmetadata-emulator state file (format {data.get('format')!r})")
        with self.lock:
            for name, entities in (data.get("entities") or {}).items():
                c = self.coll(name)
                for entity in entities:
                    present = c.by_fqn.get(entity["fullyQualifiedName"])
                    if present is not None:  # the file wins (e.g. a built-in entity as it was saved)
                        self._remove(c, c.by_id[present])
                    self._insert(c, entity)
            for pid, statuses in (data.get("ingestionStatuses") or {}).items():
                self.ingestion_statuses[pid].update(statuses)
            for pid, statuses in (data.get("pipelineStatuses") or {}).items():
                for s in statuses:
                    self.pipeline_statuses[pid][int(s["timestamp"])] = s
            for edge in data.get("lineage") or []:
                key = (edge["fromEntity"]["id"], edge["toEntity"]["id"])
                self.lineage[key] = edge
                self._lineage_out[key[0]].add(key[1])
                self._lineage_in[key[1]].add(key[0])
            self.settings.update(data.get("settings") or {})
            for eid, versions in (data.get("history") or {}).items():
                self.history[eid] = {float(version): snap for version, snap in versions.items()}

    def save(self, path: str | os.PathLike) -> None:
        """Write the state atomically (temp file in the same directory + os.replace)."""
        path = os.fspath(path)
        payload = self.to_json()
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".om-emulator-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, separators=(",", ":"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def load(self, path: str | os.PathLike) -> bool:
        """Load a state file if it exists; returns whether it did."""
        if not os.path.exists(path):
            return False
        with open(path, encoding="utf-8") as fh:
            self.load_json(json.load(fh))
        return True

    def clear(self) -> None:
        """Forget everything, then create the built-in entities a fresh server has (``seed``)."""
        with self.lock:
            self._clear()
            self.seed()
            self._mutated()

    def _clear(self) -> None:
        with self.lock:
            for c in self._colls.values():
                c.by_id.clear()
                c.by_fqn.clear()
                c.scopes.clear()
                c.sorted_cache.clear()
                c.match_cache.clear()
                c.gen += 1
                c.mod += 1
            self._coll_of_id.clear()
            self.ingestion_statuses.clear()
            self.pipeline_statuses.clear()
            self.progress.clear()
            self.operation_metrics.clear()
            self.lineage.clear()
            self._lineage_out.clear()
            self._lineage_in.clear()
            self.settings.clear()
            self.history.clear()


