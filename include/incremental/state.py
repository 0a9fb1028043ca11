"""Where the fingerprints of the last successful refresh of a source are kept: an Airflow Variable.

Why an Airflow Variable (``datakit_refresh_state__<service>``):

* the next run may be on another worker (Celery, Kubernetes): a Variable lives in Airflow's
  metadata database, and tasks read and write it through Airflow's own API (the Task SDK), the
  same from every worker; a worker's disk would not do;
* it is written once, at the end of a *successful* refresh only (a failed run leaves the last
  good fingerprints, so the next run re-compares against them and re-ingests what changed);
* XCom of the last run would tie the state to a DAG run: a cleared, failed or deleted run would
  lose it, and finding "the last successful run" of a DAG with manual, critical and nightly
  runs is a query Airflow's task API does not offer;
* OpenMetadata has no free-form state per service: the service's ``extension`` needs a custom
  property type defined on the databaseService entity type of every server (a change to the
  catalog's type model for bookkeeping), and the datakit runs no ingestion-pipeline entities.
  What OpenMetadata *does* keep is checked instead: the state records the service's id and
  the number of tables, and a refresh whose catalog does not match (service recreated, catalog
  restored from an older backup or wiped, tables missing) is a full refresh (``decide.py``).
* it is visible and deletable in the Airflow UI (Admin > Variables): deleting it forces a full
  refresh. The fingerprints are compressed (zlib + base64): about 17 bytes a table (174 KB at
  10,000 tables, ``make bench``); Airflow keeps a Variable as ``Text`` (``MEDIUMTEXT``, 16 MiB, on
  MySQL), so even a million tables fit.
"""

from __future__ import annotations

import base64
import json
import logging
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from include.incremental import FINGERPRINT_VERSION
from include.incremental.fingerprint import Fingerprints, from_json, to_json

log = logging.getLogger(__name__)
KEY_PREFIX = "datakit_refresh_state__"


@dataclass
class RefreshState:
    """The record of a source's last successful refresh."""

    service: str
    kind: str
    sdk_version: str
    options_digest: str
    fingerprints: Fingerprints
    refreshed_at: str  # ISO 8601, UTC
    last_full_at: str | None
    mode: str
    service_id: str | None = None
    fingerprint_version: int = FINGERPRINT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> str:
        packed = zlib.compress(json.dumps(to_json(self.fingerprints), separators=(",", ":")).encode(), 6)
        return json.dumps({
            "fingerprint_version": self.fingerprint_version, "service": self.service, "kind": self.kind,
            "sdk_version": self.sdk_version, "options_digest": self.options_digest,
            "refreshed_at": self.refreshed_at, "last_full_at": self.last_full_at, "mode": self.mode,
            "service_id": self.service_id, "extra": self.extra,
            "fingerprints": base64.b64encode(packed).decode("ascii"),
        }, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> "RefreshState":
        data = json.loads(text)
        prints = from_json(json.loads(zlib.decompress(base64.b64decode(data["fingerprints"]))))
        return cls(service=data["service"], kind=data["kind"], sdk_version=data["sdk_version"],
                   options_digest=data["options_digest"], fingerprints=prints, refreshed_at=data["refreshed_at"],
                   last_full_at=data.get("last_full_at"), mode=data.get("mode", "?"),
                   service_id=data.get("service_id"), fingerprint_version=int(data["fingerprint_version"]),
                   extra=data.get("extra") or {})


class StateStore(Protocol):
    def load(self, key: str) -> str | None: ...

    def save(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


class VariableStore:
    """Airflow Variables through the Task SDK (inside a task, on any worker)."""

    def load(self, key: str) -> str | None:
        from airflow.sdk import Variable

        return Variable.get(key, default=None)

    def save(self, key: str, value: str) -> None:
        from airflow.sdk import Variable

        Variable.set(key, value, description="datakit: fingerprints of the last successful catalog refresh "
                                             "(include/incremental). Delete it to force a full refresh.")

    def delete(self, key: str) -> None:
        from airflow.sdk import Variable

        Variable.delete(key)


class MemoryStore:
    """A dict: for tests and benchmarks that run the refresh outside an Airflow task."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def load(self, key: str) -> str | None:
        return self.values.get(key)

    def save(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


def state_key(service: str, pending: bool = False) -> str:
    return f"{KEY_PREFIX}{service}{'__pending' if pending else ''}"


def load_state(store: StateStore, service: str, pending: bool = False) -> tuple[RefreshState | None, str | None]:
    """The saved state, or None and why (unreadable state is a reason for a full refresh, not an error)."""
    text = store.load(state_key(service, pending))
    if not text:
        return None, None
    try:
        return RefreshState.decode(text), None
    except (ValueError, KeyError, TypeError, zlib.error) as exc:
        log.warning("the refresh state %s is unreadable (%s): a full refresh rebuilds it", state_key(service), exc)
        return None, f"the saved fingerprints are unreadable ({exc.__class__.__name__})"


def save_state(store: StateStore, state: RefreshState, pending: bool = False) -> int:
    text = state.encode()
    store.save(state_key(state.service, pending), text)
    return len(text)
