"""Full or incremental: the decision, and the sentence that says why.

A pure function of the requested mode, the saved state, what this run would fingerprint with
(SDK version, fingerprint format, options), the weekly schedule and what OpenMetadata holds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime, timezone
from typing import Any

from include.errors import ConfigError
from include.incremental import FINGERPRINT_VERSION
from include.incremental.state import RefreshState

MODE_AUTO, MODE_FULL, MODE_INCREMENTAL = "auto", "full", "incremental"
MODES = (MODE_AUTO, MODE_FULL, MODE_INCREMENTAL)


def check_mode(value: Any) -> str:
    mode = value or MODE_AUTO
    if mode not in MODES:
        raise ConfigError("params.mode", f"{mode!r} is not a refresh mode",
                          "use auto (incremental unless a full refresh is due), full or incremental")
    return mode


def options_digest(kind: str, options: Any, extra: dict[str, Any] | None = None) -> str:
    """A hash of everything that decides what a refresh ingests: other options, other fingerprints."""
    body = asdict(options) if is_dataclass(options) else dict(options)
    body = {k: v for k, v in body.items() if k != "threads"}  # parallelism changes nothing ingested
    text = json.dumps({"kind": kind, "options": body, **(extra or {})}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CatalogAnchor:
    """What OpenMetadata holds of the service now (None: unknown, not checked)."""

    service_id: str | None
    tables: int | None


@dataclass(frozen=True)
class Decision:
    mode: str  # full or incremental
    reason: str


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    value = datetime.fromisoformat(ts)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def full_refresh_due(cron: str, last_full_at: str | None, now: datetime, tz: str = "UTC") -> str | None:
    """Why a full refresh is due by the weekly schedule, or None."""
    from zoneinfo import ZoneInfo

    from croniter import croniter

    last = _parse(last_full_at)
    if last is None:
        return "no full refresh recorded yet"
    nxt = croniter(cron, last.astimezone(ZoneInfo(tz))).get_next(datetime)
    if nxt <= now:
        return (f"the weekly full refresh is due (DATAKIT_SCHEDULE_FULL_REFRESH={cron!r}: {nxt.isoformat()} "
                f"came after the last full refresh at {last.isoformat()})")
    return None


def decide(requested: str, state: RefreshState | None, *, kind: str, sdk_version: str, digest: str,
           full_cron: str, now: datetime, anchor: CatalogAnchor | None = None, tz: str = "UTC",
           state_problem: str | None = None) -> Decision:
    requested = check_mode(requested)
    if requested == MODE_FULL:
        return Decision(MODE_FULL, "requested (mode=full)")
    asked = "incremental was requested, but " if requested == MODE_INCREMENTAL else ""
    if state is None:
        return Decision(MODE_FULL, asked + (state_problem or "no fingerprints of a successful refresh of this source"))
    if state.fingerprint_version != FINGERPRINT_VERSION:
        return Decision(MODE_FULL, asked + f"the fingerprints are of datakit format v{state.fingerprint_version}, "
                                           f"this datakit computes v{FINGERPRINT_VERSION}")
    if state.sdk_version != sdk_version:
        return Decision(MODE_FULL, asked + f"the fingerprints were taken with SDK {state.sdk_version}, this is "
                                           f"{sdk_version} (it may ingest differently)")
    if state.kind != kind or state.options_digest != digest:
        return Decision(MODE_FULL, asked + "the run's options or filters differ from those of the last refresh")
    if anchor is not None:
        if anchor.service_id is None:
            return Decision(MODE_FULL, asked + f"OpenMetadata has no service {state.service!r} (deleted or a "
                                               f"new server): the fingerprints describe another catalog")
        if state.service_id and anchor.service_id != state.service_id:
            return Decision(MODE_FULL, asked + f"the service {state.service!r} was recreated in OpenMetadata "
                                               f"(id {anchor.service_id}, the fingerprints are of {state.service_id})")
        expected = sum(len(sp.tables) for schemas in state.fingerprints.values() for sp in schemas.values())
        # Fewer tables than the fingerprints list: the catalog lost some behind the refresh's back.
        # More is normal (a full refresh keeps the tables of a schema dropped from the source).
        if anchor.tables is not None and anchor.tables < expected:
            return Decision(MODE_FULL, asked + f"OpenMetadata holds {anchor.tables} tables of {state.service!r}, "
                                               f"the last refresh left {expected} (restored, edited or partly "
                                               f"deleted catalog)")
    if requested == MODE_INCREMENTAL:
        return Decision(MODE_INCREMENTAL, "requested (mode=incremental)")
    due = full_refresh_due(full_cron, state.last_full_at, now, tz)
    if due:
        return Decision(MODE_FULL, due)
    return Decision(MODE_INCREMENTAL, f"fingerprints of the refresh at {state.refreshed_at} ({state.mode})")
