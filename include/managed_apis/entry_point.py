"""Keep ``openmetadata-managed-apis``' own Airflow plugin entry point from loading in every process.

**Why.** ``openmetadata-managed-apis`` registers ``openmetadata_managed_apis.plugin:RestApiPlugin``
under the ``airflow.plugins`` entry point. Airflow imports every such entry point wherever it
loads plugins: the API server, but also the scheduler, the DAG processor, the triggerer, CLI
commands and the Task SDK's task runner at the start of **every task**. That module builds its
Flask blueprint at import time and with it imports the OpenMetadata SDK: about 9 s of CPU and
240 MB per process, for endpoints only the API server serves (measured: ``make bench``,
"plugin load per process").

**What.** The entry point is *neutralised* in the installed distribution's ``entry_points.txt``:
its line is commented out, and the original is kept in the file on a ``# datakit-was:`` line, so
what was replaced is recorded and :func:`restore` can put it back. The managed APIs are then
registered by the datakit's own plugin (``plugins/datakit_managed_apis.py``), which imports the
stock blueprint only when Airflow asks for Flask blueprints, which only the API server does
(``get_flask_plugins()``, called when it mounts ``/pluginsv2``). Nothing depends on a process's
name: it is the API server's own call that loads them.

**When.** A package install writes a fresh ``entry_points.txt``, so this runs after every install:
``make setup`` runs it on each call, and the Dockerfile right after the Runtime installed
``requirements.txt``. If someone reinstalls the package by hand, the datakit's plugin notices
the live entry point when the API server asks for the blueprints (one WARNING naming this
command) and stands aside, so they are never registered twice; ``check`` exits 1 meanwhile.

The file is replaced atomically (a new inode: uv hard-links installed files to its cache, which
must not change) and the distribution's ``RECORD`` gets the new hash and size. Standard library
only: plugins import :func:`stock_entry_point_active` in every process.

    python -m include.managed_apis.entry_point neutralise   # idempotent
    python -m include.managed_apis.entry_point check        # exit 1 while the stock entry point is live
    python -m include.managed_apis.entry_point restore      # undo (what the package shipped)
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Iterable

DISTRIBUTION = "openmetadata-managed-apis"
GROUP = "airflow.plugins"
ENTRY_POINT = "openmetadata_managed_apis"
MARKER = "# datakit-was: "
NOTE = (
    "# datakit: the entry point below is neutralised: the managed APIs load lazily, in the API server\n"
    "# only (plugins/datakit_managed_apis.py); undo: python -m include.managed_apis.entry_point restore\n"
)
FIX = "python -m include.managed_apis.entry_point neutralise (make setup and the image build run it)"


@dataclass(frozen=True)
class Outcome:
    path: Path
    action: str  # "neutralised" | "already neutralised" | "restored" | "nothing to restore"


def _distributions(paths: Iterable[str] | None) -> list[metadata.Distribution]:
    found = metadata.distributions(path=list(paths)) if paths is not None else metadata.distributions()
    wanted = DISTRIBUTION.replace("-", "_").lower()
    return [d for d in found if (d.metadata["Name"] or "").replace("-", "_").lower() == wanted]


def _entry_points_file(dist: metadata.Distribution) -> Path | None:
    located = dist.locate_file("")  # the site dir; the dist-info path is private API, so find it via files
    for file in dist.files or []:
        if file.name == "entry_points.txt" and file.parent.name.endswith(".dist-info"):
            return Path(located, file)
    return None


def _is_stock_line(line: str) -> bool:
    name, sep, _value = line.partition("=")
    return bool(sep) and name.strip() == ENTRY_POINT


def _rewrite(text: str, neutralise: bool) -> str:
    out: list[str] = []
    section = None
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
        if neutralise and section == GROUP and _is_stock_line(stripped):
            out.append(NOTE + MARKER + stripped + "\n")
            continue
        if not neutralise:
            if line in NOTE.splitlines(keepends=True):
                continue
            if stripped.startswith(MARKER.strip()):
                out.append(stripped[len(MARKER.strip()):].strip() + "\n")
                continue
        out.append(line)
    return "".join(out)


def _live(text: str) -> bool:
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
        elif section == GROUP and not stripped.startswith("#") and _is_stock_line(stripped):
            return True
    return False


def _replace_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".entry_points.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)  # new inode: a hard link into uv's cache keeps the shipped file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _update_record(entry_points: Path) -> None:
    """Give ``RECORD`` the file's new hash and size (installers read it to uninstall)."""
    record = entry_points.parent / "RECORD"
    if not record.is_file():
        return
    data = entry_points.read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    suffix = f"{entry_points.parent.name}/entry_points.txt"
    lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = [f"{suffix},sha256={digest},{len(data)}\n" if ln.split(",", 1)[0].endswith(suffix) else ln for ln in lines]
    if changed != lines:
        _replace_atomically(record, "".join(changed))


def _apply(neutralise: bool, paths: Iterable[str] | None) -> list[Outcome]:
    outcomes = []
    for dist in _distributions(paths):
        path = _entry_points_file(dist)
        if path is None or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new = _rewrite(text, neutralise)
        if new == text:
            outcomes.append(Outcome(path, "already neutralised" if neutralise else "nothing to restore"))
            continue
        _replace_atomically(path, new)
        _update_record(path)
        outcomes.append(Outcome(path, "neutralised" if neutralise else "restored"))
    return outcomes


def neutralise(paths: Iterable[str] | None = None) -> list[Outcome]:
    """Comment out the stock entry point in every installed copy (``paths``: default ``sys.path``)."""
    return _apply(True, paths)


def restore(paths: Iterable[str] | None = None) -> list[Outcome]:
    """Put back the entry point exactly as the package shipped it."""
    return _apply(False, paths)


def shipped_text(text: str) -> str:
    """``entry_points.txt`` as the package shipped it, from a neutralised one (benchmarks use it)."""
    return _rewrite(text, False)


def stock_entry_point_active(paths: Iterable[str] | None = None) -> list[str]:
    """Where the stock entry point is still live (empty: neutralised or not installed)."""
    live = []
    for dist in _distributions(paths):
        path = _entry_points_file(dist)
        if path is not None and path.is_file() and _live(path.read_text(encoding="utf-8")):
            live.append(str(path))
    return live


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "check"
    if command in {"neutralise", "restore"}:
        outcomes = (neutralise if command == "neutralise" else restore)()
        if not outcomes:
            print(f"{DISTRIBUTION} is not installed: nothing to {command}")
        for outcome in outcomes:
            print(f"{DISTRIBUTION}: {outcome.action} ({outcome.path})")
        return 0
    if command == "check":
        live = stock_entry_point_active()
        for path in live:
            print(f"{DISTRIBUTION}'s own Airflow plugin entry point is live in {path}: every Airflow "
                  f"process imports the SDK at plugin load. Fix: {FIX}")
        return 1 if live else 0
    print("usage: python -m include.managed_apis.entry_point [neutralise|check|restore]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
