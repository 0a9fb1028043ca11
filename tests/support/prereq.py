"""Prerequisites of integration tests: skip locally, fail in CI.

CI sets ``CI=true``; there a missing program means the CI setup is broken, and a
silent skip would hide it. On a developer's machine the same test is skipped with
the reason, so ``make test`` stays usable without every Debian package.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(reason: str) -> None:
    """Skip (locally) or fail (CI=true) the calling test with ``reason``."""
    if in_ci():
        pytest.fail(f"CI prerequisite missing: {reason}", pytrace=False)
    pytest.skip(reason)


def require_binary(name: str, *search_dirs: str, hint: str = "") -> str:
    """Return the path of program ``name`` (on PATH or in ``search_dirs``)."""
    found = shutil.which(name)
    if not found:
        for directory in search_dirs:
            candidate = Path(directory) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                found = str(candidate)
                break
    if not found:
        missing(f"program {name!r} not found{'; ' + hint if hint else ''}")
    return found  # type: ignore[return-value]


def require_root(reason: str) -> None:
    if os.geteuid() != 0:
        missing(f"needs root: {reason}")
