"""Lazy, cached access to the pieces of the OpenMetadata SDK the emulator relies on.

``import metadata`` costs ~10 s of CPU, so nothing here imports the SDK at module
import time: the first call does, and everything is cached afterwards (model classes,
FQN splits), so requests never re-import or re-resolve anything.
"""

from __future__ import annotations

import functools
import importlib
import threading
from typing import Any

_SCHEMA_ROOT = "metadata.generated.schema."
_import_lock = threading.Lock()


def load() -> None:
    """Import the SDK modules the emulator needs (idempotent, thread-safe)."""
    with _import_lock:
        importlib.import_module("metadata.utils.fqn")
        importlib.import_module("metadata.__version__")


@functools.lru_cache(maxsize=None)
def model(dotted: str) -> Any:
    """Model class from a dotted path below ``metadata.generated.schema``."""
    module, _, cls = dotted.rpartition(".")
    with _import_lock:
        mod = importlib.import_module(_SCHEMA_ROOT + module)
    return getattr(mod, cls)


@functools.lru_cache(maxsize=1)
def _fqn_module() -> Any:
    with _import_lock:
        return importlib.import_module("metadata.utils.fqn")


@functools.lru_cache(maxsize=1)
def server_version() -> str:
    """The version string a real server of the SDK's own release would report.

    ``metadata.__version__`` gives the client version (``2.0.6.0``); the server reports
    major.minor.patch (``2.0.6``), which is what ``validate_versions`` compares.
    """
    with _import_lock:
        ver = importlib.import_module("metadata.__version__")
    return ver.get_server_version_from_string(ver.get_client_version())


# --- FQNs: built and split only with metadata.utils.fqn ------------------------------


@functools.lru_cache(maxsize=262_144)
def split(fqn: str) -> tuple[str, ...]:
    """``metadata.utils.fqn.split`` (ANTLR-based, so cached). Raises ValueError when invalid."""
    try:
        return tuple(_fqn_module().split(fqn))
    except Exception as exc:  # antlr raises ParseCancellationException & co.
        raise ValueError(f"Invalid fully qualified name {fqn!r}: {exc}") from exc


def quote_name(name: str) -> str:
    """``metadata.utils.fqn.quote_name``; raises ValueError for names it refuses."""
    return _fqn_module().quote_name(name)


def build(*parts: str) -> str:
    """``metadata.utils.fqn._build``: quote each raw name and join with ``.``."""
    return _fqn_module()._build(*parts)  # pylint: disable=protected-access


def child_fqn(parent_fqn: str | None, name: str) -> str:
    """FQN of ``name`` below ``parent_fqn`` (or a top-level FQN when there is no parent).

    ``parent_fqn`` must be an FQN the emulator built itself (every stored FQN is), i.e.
    already in ``fqn._build`` form: then ``_build(*split(parent), name)`` is exactly
    ``parent + FQN_SEPARATOR + quote_name(name)``, without the ANTLR split per child.
    """
    if parent_fqn is None:
        return build(name)
    module = _fqn_module()
    return module.FQN_SEPARATOR.join((parent_fqn, module.quote_name(name)))


def unquote_name(name: str) -> str:
    return _fqn_module().unquote_name(name)


@functools.lru_cache(maxsize=262_144)
def normalized(fqn: str) -> tuple[str, ...]:
    """Comparison key for an FQN: parts unquoted and case-folded.

    The real server compares deleteStale's ``seenFqns`` by FQN hash "so quoting or case
    differences between the connector-supplied and stored values never cause spurious
    deletes"; this is the emulator's equivalent.
    """
    try:
        parts = split(fqn)
    except ValueError:
        return (fqn.casefold(),)
    return tuple(unquote_name(p).casefold() for p in parts)


def validation_message(model_name: str, exc: Exception) -> str:
    """One line naming the model, each offending field and why (for 400 bodies)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for err in errors():
            loc = ".".join(str(p) for p in err.get("loc", ())) or "<root>"
            parts.append(f"{loc}: {err.get('msg', '')} [{err.get('type', '')}]")
        return f"Invalid {model_name}: " + "; ".join(parts)
    return f"Invalid {model_name}: {exc}"
