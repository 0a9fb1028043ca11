"""OpenMetadata API emulator - a TEST STAND-IN for the OpenMetadata server, never for production.

A small, real HTTP server that answers the subset of the OpenMetadata REST API
(``/api/v1/...``) that the openmetadata-ingestion SDK (2.0.x) calls, so tests can run the
SDK's own workflows end to end without a Java server, a database and a search engine.
Every request body is validated with the SDK's generated models; unknown routes answer
501 loudly. How to use it, and what it does not do that the real server does: README.md
of the ``openmetadata-emulator`` distribution.

* Python: ``with Emulator() as om: om.url`` (the SDK's ``hostPort``), ``om.store``,
  ``om.faults``, ``om.requests_log``, ``om.unknown_routes``, ``om.timing()``
* pytest (entry point ``openmetadata_emulator``): fixtures ``om_emulator``,
  ``om_emulator_factory``, ``om_emulator_session``, ``om_catalog``
* CLI: ``python -m openmetadata_emulator --port 0 [--host H] [--token JWT] [--state FILE]``
* ``openmetadata_emulator.client.Catalog``: read the catalog back over HTTP

Importing this package does not import the SDK (``metadata``, ~10 s): ``Emulator``,
``Faults``, ``ApiError`` and ``Catalog`` are loaded on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["ApiError", "Catalog", "Emulator", "Faults", "__version__"]


def __getattr__(name: str) -> Any:  # lazy: importing the package must not import the SDK
    if name == "Emulator":
        from .server import Emulator

        return Emulator
    if name == "Faults":
        from .faults import Faults

        return Faults
    if name == "ApiError":
        from .store import ApiError

        return ApiError
    if name == "Catalog":
        from .client import Catalog

        return Catalog
    raise AttributeError(f"module 'openmetadata_emulator' has no attribute {name!r}")
