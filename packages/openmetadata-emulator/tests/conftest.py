"""Fixtures for the emulator's contract tests.

``om_emulator`` and ``om_emulator_factory`` come from the package's own pytest plugin
(entry point ``openmetadata_emulator``), loaded because the distribution is installed.
This directory has no ``__init__.py`` (it runs from the package and from the datakit's
suite alike), so its modules have names of their own: ``emulator_helpers``,
``test_emulator_*``.
"""

from __future__ import annotations

import pytest
from emulator_helpers import Api, make_hierarchy


@pytest.fixture
def api(om_emulator):
    client = Api(om_emulator.url)
    yield client
    client.session.close()


@pytest.fixture
def schema_fqn(api) -> str:
    return make_hierarchy(api)
