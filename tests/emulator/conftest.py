"""Fixtures for the emulator's contract tests.

The emulator fixtures come from ``tests.openmetadata_emulator.pytest_plugin``; the
top-level conftest loads it with ``pytest_plugins``, and importing them here as well keeps
this directory self-contained (``pytest_plugins`` is only allowed in the top-level conftest).
"""

from __future__ import annotations

import pytest

from tests.emulator.helpers import Api, make_hierarchy
from tests.openmetadata_emulator.pytest_plugin import om_emulator, om_emulator_factory  # noqa: F401


@pytest.fixture
def api(om_emulator):
    client = Api(om_emulator.url)
    yield client
    client.session.close()


@pytest.fixture
def schema_fqn(api) -> str:
    return make_hierarchy(api)
