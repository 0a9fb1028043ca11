"""pytest fixtures for the OpenMetadata API emulator (a test stand-in).

Use from a top-level ``conftest.py``::

    pytest_plugins = ["tests.openmetadata_emulator.pytest_plugin"]

or import the fixtures into a nested one::

    from tests.openmetadata_emulator.pytest_plugin import om_emulator, om_emulator_factory  # noqa: F401

Fixtures (named so they never clash with the SDK's own ``pytest_openmetadata`` plugin,
whose fixtures are ``metadata``, ``workflow_config``, ``run_workflow``, ...):

* ``om_emulator``: a started emulator with a fresh store and no token (function scope).
* ``om_emulator_factory``: ``om_emulator_factory(token=None, state_path=None, port=0)``
  starts another one; all are stopped at the end of the test.
"""

from __future__ import annotations

from typing import Callable, Iterator

import pytest


@pytest.fixture
def om_emulator_factory() -> Iterator[Callable[..., "object"]]:
    from tests.openmetadata_emulator.server import Emulator

    started: list[Emulator] = []

    def make(token: str | None = None, state_path: str | None = None, port: int = 0, host: str = "127.0.0.1"):
        emulator = Emulator(host=host, port=port, token=token, state_path=None if state_path is None else str(state_path))
        emulator.start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in reversed(started):
        emulator.stop()


@pytest.fixture
def om_emulator(om_emulator_factory):
    return om_emulator_factory()
