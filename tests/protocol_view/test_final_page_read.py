"""A page's last document is read for a failure reference up to a bound: a 10 MB signed-in
page no longer comes through Playwright's driver whole; a reference on its start is found."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from scenarios_runner.page_server import Pages, serving

from scenarios.protocol_view.collect import FINAL_PAGE_CHARS, BrowserLog

collect = sys.modules[BrowserLog.__module__]  # the package's ``collect`` is a function

pytestmark = pytest.mark.browser


class _Pages(Pages):
    def page(self, path: str) -> tuple[int, str]:
        rows = "<tr><td>row</td><td>value</td></tr>" * (3 * FINAL_PAGE_CHARS // 34)
        return 200, f"<p>Reference: RP-0123456789</p><div hidden><table>{rows}</table></div>"


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


def test_a_large_last_page_is_read_up_to_the_bound(browser: Browser, origin: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    searched = collect._reference_in
    monkeypatch.setattr(collect, "_reference_in",
                        lambda page, pattern: read.append(len(page)) or searched(page, pattern))
    context = browser.new_context()
    try:
        log = BrowserLog()
        log.watch(context)
        page = context.new_page()
        page.goto(f"{origin}/account")
        log.finish(final_pages=True)
    finally:
        context.close()
    assert read and max(read) <= FINAL_PAGE_CHARS, read  # the page is 3 times as long
    assert log.hits[-1].failure_ref == "RP-0123456789"
