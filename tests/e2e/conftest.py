"""Loads the ``sso_harness`` pytest plugin for these tests when nothing else has.

Once the package registers the plugin as a ``pytest11`` entry point (name ``sso_harness``),
pytest loads it at start-up and this hook does nothing. Registering it here under that same
name, and only when it is absent, avoids pytest's "Plugin already registered" error either way;
``-p no:sso_harness`` still disables it. It registers from ``pytest_addoption`` so that, when
pytest is pointed at this directory, the plugin's ``--sso-*`` options are known before the
command line is parsed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Playwright

PLUGIN_NAME = "sso_harness"


@pytest.fixture(scope="package", autouse=True)
def _one_playwright_driver(playwright_session: Playwright) -> None:
    """The package's tests share the worker's Playwright driver (``tests/conftest.py``): the
    plugin's ``sso_playwright`` of each module and the runs of the scenarios in-process would
    each start their own (about 0.4 s of Node's CPU apiece)."""


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    if not pluginmanager.has_plugin(PLUGIN_NAME) and not pluginmanager.is_blocked(PLUGIN_NAME):
        from scenarios import pytest_plugin

        pluginmanager.register(pytest_plugin, PLUGIN_NAME)
