"""Fixtures shared by the runner's browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright


@pytest.fixture(scope="package", autouse=True)
def _one_playwright_driver(playwright_session: Playwright) -> None:
    """The package's tests share the worker's Playwright driver (``tests/conftest.py``): the
    runs of the runner in-process would each start their own (about 0.4 s of Node's CPU
    apiece)."""


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest in-process in a directory of its own, loading no plugin by itself (the plugin's
    tests load it with ``-p``, as a CI job would: ``plugin_pytest.run_plugin_pytest``)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page of its own for a test, closed after it."""
    page = browser.new_page()
    yield page
    page.close()
