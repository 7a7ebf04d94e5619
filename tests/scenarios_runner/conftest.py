"""Fixtures shared by the runner's browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from scenarios.browser import launched
from scenarios.playwright_driver import playwright_driver


@pytest.fixture(scope="package", autouse=True)
def _one_playwright_driver() -> Iterator[None]:
    """The package's tests share one Playwright driver: its browser fixtures and the runs of
    the runner in-process would each start their own (about 0.4 s of Node's CPU apiece). No
    test here may run an asyncio loop in the main thread while it runs."""
    with playwright_driver():
        yield


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for the module's browser tests (``pytest.mark.browser``)."""
    with launched() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page of its own for a test, closed after it."""
    page = browser.new_page()
    yield page
    page.close()
