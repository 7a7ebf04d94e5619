"""The script that counts a page's changes (:data:`scenarios.screenshots.PAGE_VERSION_SCRIPT`)
does work once per change between two reads of its version, not once per node: a large page's
parser inserts every row, and an observer taking a record of each doubled its load."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext

from scenarios.screenshots import Photographer, watch_page_versions

from .page_server import Pages, serving

pytestmark = pytest.mark.browser

ROWS = 20_000

COUNT_RECORDS = """(() => {
  window.__records = 0;
  const Native = window.MutationObserver;
  window.MutationObserver = class extends Native {
    constructor(callback) {
      super((records, observer) => { window.__records += records.length;
                                      callback(records, observer); });
    }
  };
})();"""
"""Installed before the page's script: counts the mutation records its observer is given."""


class _Pages(Pages):
    def page(self, path: str) -> tuple[int, str]:
        rows = "".join(f"<tr><td>row {i}</td><td>value {i}</td></tr>" for i in range(ROWS))
        return 200, f"<h1>Account</h1><div hidden><table>{rows}</table></div>"


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Pages) as origin:
        yield origin


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    context.add_init_script(COUNT_RECORDS)
    watch_page_versions(context)
    yield context
    context.close()


def test_a_large_page_costs_its_observer_a_few_records(context: BrowserContext,
                                                        origin: str) -> None:
    page = context.new_page()
    page.goto(f"{origin}/big")
    records = page.evaluate("window.__records")
    # The first parser chunk's (3,310 in Chromium 156); before, five for every row (100,008).
    assert 0 < records < ROWS, records


def test_each_change_after_a_read_changes_the_version(context: BrowserContext,
                                                      origin: str) -> None:
    page = context.new_page()
    page.goto(f"{origin}/big")
    photographer = Photographer()
    first = photographer.state(page)
    assert first is not None and first == photographer.state(page)  # nothing changed
    for _ in range(2):
        page.evaluate("document.body.append('x')")
        changed = photographer.state(page)
        assert changed is not None and changed.version != first.version
        first = changed
    page.evaluate("document.querySelector('h1').setAttribute('title', 't')")
    after = photographer.state(page)
    assert after is not None and after.version != first.version
