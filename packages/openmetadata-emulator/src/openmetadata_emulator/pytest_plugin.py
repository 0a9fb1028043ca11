"""pytest fixtures for the OpenMetadata API emulator (a test stand-in, never for production).

Loaded automatically by pytest through the ``pytest11`` entry point ``openmetadata_emulator``
once the ``openmetadata-emulator`` distribution is installed (disable with
``-p no:openmetadata_emulator``). This module imports neither the SDK nor the server at
import time: the first fixture that starts an emulator does (~10 s, once per process).

Fixtures (named so they never clash with the SDK's own ``pytest_openmetadata`` plugin,
whose fixtures are ``metadata``, ``workflow_config``, ``run_workflow``, ...):

* ``om_emulator``: a started emulator on a free port, fresh store, no token (per test).
* ``om_emulator_factory``: ``om_emulator_factory(token=None, state_path=None, port=0,
  host="127.0.0.1")`` starts another one; all are stopped at the end of the test.
* ``om_emulator_session``: one emulator shared by the whole session (no token); its store
  keeps what earlier tests wrote (call ``.reset()`` to empty it).
* ``om_catalog``: an ``openmetadata_emulator.client.Catalog`` reading ``om_emulator`` back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

import pytest

if TYPE_CHECKING:
    from .client import Catalog
    from .server import Emulator


def _start(token: str | None = None, state_path: object = None, port: int = 0, host: str = "127.0.0.1") -> "Emulator":
    from .server import Emulator

    emulator = Emulator(host=host, port=port, token=token, state_path=None if state_path is None else str(state_path))
    return emulator.start()


@pytest.fixture
def om_emulator_factory() -> Iterator[Callable[..., "Emulator"]]:
    """Start emulators on demand (``token``, ``state_path``, ``port``, ``host``); stopped after the test."""
    started: list[Emulator] = []

    def make(token: str | None = None, state_path: object = None, port: int = 0, host: str = "127.0.0.1") -> "Emulator":
        emulator = _start(token=token, state_path=state_path, port=port, host=host)
        started.append(emulator)
        return emulator

    yield make
    for emulator in reversed(started):
        emulator.stop()


@pytest.fixture
def om_emulator(om_emulator_factory: Callable[..., "Emulator"]) -> "Emulator":
    """A started emulator with a fresh store and no token, for one test."""
    return om_emulator_factory()


@pytest.fixture(scope="session")
def om_emulator_session() -> Iterator["Emulator"]:
    """One emulator (no token) shared by every test of the session that asks for it."""
    emulator = _start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def om_catalog(om_emulator: "Emulator") -> Iterator["Catalog"]:
    """The catalog of ``om_emulator`` read back over HTTP, as a user would."""
    from .client import Catalog

    catalog = Catalog(om_emulator.url)
    try:
        yield catalog
    finally:
        catalog.close()
