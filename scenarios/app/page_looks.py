"""How the app adapter looks at a page: whether a text is shown, and what the browser shows.

What :class:`~scenarios.app.adapter.ProfileAdapter`'s checks of the signed-in page, the
failure page and the signed-out page share.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scenarios.app.page_summary import on_browser_error_page, page_summary
from scenarios.settled_error import until_unless_settled_error

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

FIRST_LOOK_MS = 1000
"""How long a text may take to appear on a page still loading, before the page is let settle."""
SETTLED_LOOK_MS = 500
"""How long a text may take to appear once the page has settled (no network for 500 ms)."""


def origin(url: str) -> tuple[str, str]:
    """The scheme and host (port included, lower-cased) of ``url``."""
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def showing(page: Page, app_base_url: str) -> str:
    """What the browser shows, for a message: the app's page (:func:`page_summary`, as
    for the browser's own error page when the app gave no answer); a page of another site
    (the browser still at the provider) by its URL, and the provider's error when it shows
    one (:func:`scenarios.flows.page_shows`)."""
    scheme, host = origin(page.url)
    if scheme in ("http", "https") and (scheme, host) != origin(app_base_url):
        from scenarios.flows import page_shows

        return page_shows(page)
    return page_summary(page)


def shown_element(page: Page, text: str) -> Locator:
    """The first visible element that says ``text`` (case aside, white space normalised), in
    the page or an open shadow root: text in a hidden element, a comment or a script is not
    shown, while text styled to look otherwise (``text-transform``) still is."""
    return page.get_by_text(text).locator("visible=true").first


def expect_once_settled(page: Page, text: str, message: str | None = None) -> None:
    """``text`` shown on the page (:func:`shown_element`): at once, or once the page has settled. A
    page that shows it late (still redirecting, still fetching) gets until its network is idle
    (the page's default timeout); a settled page without it fails in about two seconds, not the
    full timeout. The browser's own error page (a redirect loop, no answer) shows no text and
    is where the navigation ended: it fails at once (:func:`on_browser_error_page`)."""
    from playwright.sync_api import Error, expect

    shown = shown_element(page, text)
    try:
        expect(shown, message).to_be_visible(timeout=FIRST_LOOK_MS)
        return
    except AssertionError:
        if on_browser_error_page(page):
            raise
    with contextlib.suppress(Error):  # a page that never settles is judged as it stands
        page.wait_for_load_state("networkidle")
    expect(shown, message).to_be_visible(timeout=SETTLED_LOOK_MS)




def expect_or_say(page: Page, look: Callable[[float], None], what: str, app_base_url: str
                  ) -> None:
    """``look`` (a Playwright expectation given its timeout) passes, waited for until it does
    or an error page stays (:func:`until_unless_settled_error`); else an ``AssertionError``
    says ``what`` went wrong and what the browser shows (:func:`showing`)."""
    try:
        until_unless_settled_error(page, look)
    except AssertionError as exc:
        raise AssertionError(f"{what}; {showing(page, app_base_url)}") from exc
