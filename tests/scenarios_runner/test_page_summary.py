"""The line a failure message quotes about the app's page, and its time limit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from scenarios.app.page_summary import page_summary

from .page_server import Pages, serving, start_hanging_navigation

pytestmark = pytest.mark.browser


class _Pages(Pages):
    def page(self, path: str) -> tuple[int, str]:
        return 500, "<h1>Internal Server Error</h1><p>more</p>"


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


def test_the_path_status_and_first_line(browser: Browser, origin: str) -> None:
    page = browser.new_page()
    page.goto(f"{origin}/auth/callback")
    assert page_summary(page) == ("the app showed /auth/callback with HTTP 500: "
                                  "'Internal Server Error'")
    page.close()


def test_a_page_whose_navigation_never_commits_is_summarised_in_time(browser: Browser,
                                                                     origin: str) -> None:
    page = browser.new_page()
    page.goto(f"{origin}/auth/callback")
    start_hanging_navigation(page, origin)
    started = time.monotonic()
    summary = page_summary(page)
    assert time.monotonic() - started < 6
    assert summary.startswith("the app showed /auth/callback"), summary
    page.close()
