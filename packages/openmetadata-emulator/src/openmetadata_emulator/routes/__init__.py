"""The emulator's routes, one module per resource family.

Routes match in registration order, which is this import order: the specific routes of
each family first, the generic per-collection routes of ``entities`` last.
"""

from __future__ import annotations

from . import system, ingestion, search, lineage, usage, pipelines, profiles, queries, entities  # noqa: F401 - registers the routes
from .base import ROUTES, Request, Route, match, path_known

__all__ = ["ROUTES", "Request", "Route", "match", "path_known"]
