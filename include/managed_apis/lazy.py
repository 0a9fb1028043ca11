"""The managed APIs' Flask parts, imported only when Airflow asks for Flask blueprints.

``plugins/datakit_managed_apis.py`` registers :data:`FLASK_BLUEPRINTS` and :data:`APPBUILDER_VIEWS`
as its plugin attributes. They are sequences that import ``openmetadata_managed_apis.plugin``
(and with it the OpenMetadata SDK) on first use: when Airflow's ``get_flask_plugins()`` iterates
them. Only the API server calls it, to mount ``/pluginsv2`` (``airflow.api_fastapi.core_api.app.
init_flask_plugins`` and the FAB provider's ``init_plugins``); ``airflow plugins`` (the CLI listing)
does too, since it prints the blueprints. Every other process loads the plugin and never touches
the sequences: no SDK import at plugin load (guarded by tests/plugins/test_plugin_load.py).

What is served is the stock plugin's own objects, unchanged (the same blueprint, the same view),
so the endpoints behave exactly as with the package's entry point, and the datakit's guard
(``plugins/datakit_managed_apis_guard.py``) stays in front of them.

If the stock entry point is live again (the package was reinstalled by hand), the stock plugin
registers the same blueprints itself: these sequences then stay empty, so Flask never sees a
blueprint twice, and one WARNING names the fix. Standard library only at import.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from typing import Any

log = logging.getLogger("datakit.managed_apis")
_lock = threading.Lock()


class StockPluginAttribute(Sequence):
    """A plugin attribute list filled from ``RestApiPlugin.<attribute>`` on first use."""

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute
        self._items: list[Any] | None = None

    def _load(self) -> list[Any]:
        if self._items is not None:
            return self._items
        with _lock:
            if self._items is None:
                self._items = _stock_items(self.attribute)
        return self._items

    def __getitem__(self, index):  # type: ignore[override]
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())

    def __repr__(self) -> str:
        state = "not loaded" if self._items is None else f"{len(self._items)} item(s)"
        return f"<managed APIs {self.attribute}: {state}>"


def _stock_items(attribute: str) -> list[Any]:
    plugin = _stock_plugin()
    return list(getattr(plugin, attribute, None) or []) if plugin is not None else []


@functools.cache
def _stock_plugin() -> Any:
    """The stock ``RestApiPlugin`` class, looked up once for both attributes; None when it must not
    be served from here (its own entry point is live) or cannot be imported."""
    from include.managed_apis.entry_point import FIX, stock_entry_point_active

    if stock_entry_point_active():
        log.warning("openmetadata-managed-apis' own plugin entry point is live, so it registers the managed "
                    "APIs itself and every Airflow process imports the SDK at plugin load. Fix: %s", FIX)
        return None
    try:
        from openmetadata_managed_apis.plugin import RestApiPlugin
    except Exception as exc:  # as with the stock entry point: the API server runs, the APIs are absent
        log.error("OpenMetadata's managed APIs are not served: importing openmetadata_managed_apis failed: "
                  "%s: %s. Fix: install openmetadata-managed-apis matching openmetadata-ingestion "
                  "(constraints.txt)", type(exc).__name__, exc)
        return None
    return RestApiPlugin


FLASK_BLUEPRINTS = StockPluginAttribute("flask_blueprints")
APPBUILDER_VIEWS = StockPluginAttribute("appbuilder_views")
