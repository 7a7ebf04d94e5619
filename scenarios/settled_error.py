"""An error page that stays: the end of a wait for a page that will not come.

A wait for a success state (the provider's sign-in page, the app's signed-in page, its sign-out
control) that finds the browser on an error page (HTTP 4xx or 5xx) which has loaded, stayed
:data:`SETTLED_MS` (:data:`SCRIPTED_SETTLED_MS` when it runs scripts of its own) and gone quiet
(no network for 500 ms, no ``<meta http-equiv="refresh">`` announcing a next page) can end
there: nothing on that page will move the browser on, and waiting out the timeout only delays
the same failure. A page that does move on by itself (a refresh, a script that navigates or
replaces the page, a single-page app served with a 404 that renders once its fetches end) is
still waited for.

Chromium's own error page (``chrome-error://chromewebdata/``: a navigation that got no answer,
or a redirect loop Chromium gave up on) ends such a wait as soon as the main frame shows it: it
has no status, runs none of the app's scripts and is where a navigation ended, not a step on
its way (the responses of a redirect chain never become the page's document; the error page
commits only once the chain failed). The failure message says why
(:func:`scenarios.app.page_summary.browser_error`).

:data:`SETTLED_ERROR_JS` is the browser-side part, for predicates of their own (the Entra
driver's); :func:`until_unless_settled_error` wraps a Playwright expectation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from scenarios import devtools
from scenarios.app.page_summary import READ_MS, caught_up

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["LOOK_MS", "SCRIPTED_SETTLED_MS", "SETTLED_ARG", "SETTLED_ERROR_JS", "SETTLED_MS",
           "settled_error", "until_unless_settled_error"]

SETTLED_MS = 500
"""How long an error page stays loaded before it is taken as the answer: long enough for a page
that moves on by itself (a refresh, a script)."""
SCRIPTED_SETTLED_MS = 3000
"""The same for an error page with scripts of its own: a single-page app a host serves with its
404 (a static host's fallback page) renders once its first fetches end. Playwright's network
idle alone does not say so: a fetch sent while the document commits may be missed."""
LOOK_MS = 500
"""How long each look at the page lasts before the page is asked whether it is a settled error
page: at most this much later than the page settled, the wait ends."""
PLAYWRIGHT_EXPECT_MS = 5000
"""Playwright's own default for ``expect`` when no run has set one."""

SETTLED_ERROR_JS = """
const settledError = (a) => {
  if (location.protocol === "chrome-error:") return true;
  const shown = performance.getEntriesByType("navigation")[0];
  const stay = document.scripts.length ? a.scripted : a.settled;
  return Boolean(shown && shown.responseStatus >= 400 && shown.loadEventEnd > 0
                 && performance.now() - shown.loadEventEnd >= stay
                 && !document.querySelector('meta[http-equiv="refresh" i]'));
};
"""
"""Defines ``settledError(a)`` in a predicate given :data:`SETTLED_ARG` (as ``a``, or merged
into it): this document is the browser's own error page, or it came with HTTP 4xx or 5xx, its
load event ended long enough ago, and it announces no refresh."""
SETTLED_ARG = {"settled": SETTLED_MS, "scripted": SCRIPTED_SETTLED_MS}

_IS_SETTLED_JS = "(a) => {" + SETTLED_ERROR_JS + """
  if (location.protocol === "chrome-error:") return "browser";
  return settledError(a) ? "settled" : "not";
}"""


def settled_error(page: Page, idle_ms: float = LOOK_MS) -> bool:
    """Whether ``page`` shows an error page that has settled (:data:`SETTLED_ERROR_JS`, and no
    network for 500 ms, waited for up to ``idle_ms``), or the browser's own error page, at once
    (once ``page.url`` names it: :func:`~scenarios.app.page_summary.caught_up`). Never raises:
    a page that cannot be read (closed, between documents) is not one."""
    from playwright.sync_api import Error

    def look() -> str:
        try:
            return str(devtools.wait_until(page, _IS_SETTLED_JS, SETTLED_ARG, READ_MS))
        except Error:
            return "not"

    found = look()
    if found == "browser":
        return caught_up(page)
    if found != "settled":
        return False
    try:
        page.wait_for_load_state("networkidle", timeout=max(1.0, idle_ms))
    except Error:
        return False  # still fetching: a script may yet replace the page
    return look() == "settled"  # the same document still, or one that settled as well


def expect_timeout_ms() -> float:
    """The timeout ``expect(...)`` takes by default in this run (``runner.expect_timeout``)."""
    from playwright.sync_api import expect

    timeout: float | None = getattr(expect, "_timeout", None)
    return timeout if timeout else PLAYWRIGHT_EXPECT_MS


def until_unless_settled_error(page: Page, look: Callable[[float], None],
                               timeout_ms: float | None = None, *,
                               over: Callable[[], bool] | None = None) -> None:
    """Run ``look`` (a Playwright expectation given its timeout in ms) until it passes, for
    ``timeout_ms`` in all (by default ``expect``'s), in looks of :data:`LOOK_MS`. Between two
    looks, a :func:`settled_error` page ends the wait, and so does ``over()`` when it says
    the page waited for will not come: the last look's ``AssertionError`` is raised, as it
    would have been at the timeout."""
    total = timeout_ms if timeout_ms is not None else expect_timeout_ms()
    deadline = time.monotonic() + total / 1000
    while True:
        left = (deadline - time.monotonic()) * 1000
        try:
            look(max(1.0, min(LOOK_MS, left)))  # 0 would be no timeout at all
            return
        except AssertionError:
            left = (deadline - time.monotonic()) * 1000
            if (left <= 0 or (over is not None and over())
                    or settled_error(page, min(LOOK_MS, left))):
                raise
