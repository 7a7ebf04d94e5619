"""What the browser shows, in a line a failure message can quote: the app's page path, its
HTTP status and what the page says: its main heading and the line after it (an app's "Sign-in
failed" under its site's header and menu), else the first line of its text (a framework's
"Internal Server Error", a library's "Login Failure", a plain "Forbidden"). A navigation that
got no answer at all (a connection the app dropped) leaves the browser on its own empty error
page, with no status: that is said as it is, with the address that gave no answer; so is a
redirect loop, which leaves the same empty page (:mod:`scenarios.navigation_failures`)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from playwright.sync_api import Error as PlaywrightError

from scenarios import devtools
from scenarios.app_exit import shielded
from scenarios.failure_query import query_shown
from scenarios.masking import quoted
from scenarios.navigation_failures import TOO_MANY_REDIRECTS, last_failure

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["browser_error", "caught_up", "on_browser_error_page", "page_summary"]

SHOWN_TEXT = 80
BROWSER_ERROR_PAGE = "chrome-error://"
"""Where Chromium's own error page is, once a navigation got no answer."""
READ_MS = 2000
"""How long each read may take: a message must come even from a page whose navigation never
commits (``evaluate`` has no time limit, so the status is read with ``wait_for_function``)."""

_SHOWN_JS = """() => {
  const squash = (text) => (text || "").replace(/\\s+/g, " ").trim();
  const visible = (el) => { const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden"; };
  // A page drawn in open shadow roots (Panel's and Bokeh's, web components') has none of its
  // text in the document's own innerText: each root's is read after it.
  const roots = [document];
  for (let i = 0; i < roots.length; i++) {
    for (const el of roots[i].querySelectorAll("*")) if (el.shadowRoot) roots.push(el.shadowRoot);
  }
  const status = performance.getEntriesByType("navigation")[0]?.responseStatus ?? 0;
  const heading = roots.flatMap((root) => [...root.querySelectorAll("h1, h2, [role=heading]")])
    .filter(visible).map((el) => squash(el.innerText)).find((text) => text) || "";
  const drawn = roots.slice(1).flatMap((root) => [...root.children])
    .filter((el) => !["STYLE", "SCRIPT", "LINK", "TEMPLATE"].includes(el.tagName) && visible(el))
    .map((el) => el.innerText);
  const lines = [document.body ? document.body.innerText : "", ...drawn].join("\\n")
    .split("\\n").map(squash);
  const after = heading ? lines.indexOf(heading) + 1 : 0;
  const shown = heading ? [heading] : [];
  const next = lines.slice(after).find((line) => line && line !== heading);
  if (next) shown.push(next);
  const asked = performance.getEntriesByType("navigation")[0]?.name ?? "";
  return {status: String(status), shown, asked};
}"""


def page_summary(page: Page) -> str:
    """``the app showed /auth/callback with HTTP 500: 'Internal Server Error'``, or with a
    heading ``…: 'Sign-in failed' / 'We could not sign you in. Contact …'``; ``no answer from
    http://…/auth/callback: …`` when the browser shows its own error page (``redirects went
    round in a loop …`` when that is why)."""
    path = urlsplit(page.url).path or "/"
    if (query := query_shown(page.url)) != "?…":  # OmniAuth's failure key, nothing else
        path += query
    try:
        with shielded():  # read for a report, also as the app exits
            found = page.wait_for_function(_SHOWN_JS, timeout=READ_MS).json_value()
        status, shown = str(found["status"]), [str(line) for line in found["shown"]]
    except PlaywrightError:
        return f"the app showed {path}, which could not be read within {READ_MS / 1000:g} s"
    if page.url.startswith(BROWSER_ERROR_PAGE):
        return _browser_error(page, str(found.get("asked") or ""))
    said = " / ".join(quoted(line, SHOWN_TEXT) for line in shown)
    return f"the app showed {path} with HTTP {status}" + (f": {said}" if shown else " and no text")


def browser_error(page: Page) -> str | None:
    """What the browser's own error page stands for, as :func:`page_summary` says it (a
    redirect loop, or no answer); ``None`` when ``page`` shows another page. For messages about
    pages of any site (the provider's too): the address is the one that gave no answer."""
    if not on_browser_error_page(page):
        return None
    try:
        with shielded():
            found = page.wait_for_function(_ASKED_JS, timeout=READ_MS).json_value()
    except PlaywrightError:
        found = [""]
    return _browser_error(page, str(found[0] or ""))


def on_browser_error_page(page: Page) -> bool:
    """Whether the main frame shows the browser's own error page: ``page.url`` says so, or the
    page itself does, asked through its DevTools session (which answers from the document it
    shows, also while a navigation is pending), once ``page.url`` has caught up
    (:func:`caught_up`). Never raises."""
    if page.url.startswith(BROWSER_ERROR_PAGE):
        return True
    if (session := devtools.session_of(page)) is None:
        return False
    try:
        found = devtools.send(session, "Runtime.evaluate", {
            "expression": "location.protocol", "returnByValue": True}, READ_MS)
    except Exception:  # a closed page, a document going away
        return False
    return (found.get("result") or {}).get("value") == "chrome-error:" and caught_up(page)


def caught_up(page: Page) -> bool:
    """Wait (up to :data:`READ_MS`) for ``page.url`` to name the browser's own error page, once
    the page itself is there: Playwright's ``page.url`` still names the page before it for a
    moment after the navigation failed, and a failure message reads it. Never raises."""
    try:
        page.wait_for_url(lambda url: url.startswith(BROWSER_ERROR_PAGE), wait_until="commit",
                          timeout=READ_MS)
    except PlaywrightError:
        return False
    return True


_ASKED_JS = '() => [performance.getEntriesByType("navigation")[0]?.name ?? ""]'
"""The address the page's navigation asked for (a list: truthy even when empty)."""


def _browser_error(page: Page, asked: str) -> str:
    if last_failure(page, asked) == TOO_MANY_REDIRECTS:
        return _redirect_loop(asked)
    return _no_answer(asked)


def _address(asked: str) -> str:
    """``asked`` without its query (where a code may be), or ``the app``."""
    parts = urlsplit(asked)
    return urlunsplit(parts._replace(query="", fragment="")) if parts.scheme else "the app"


def _redirect_loop(asked: str) -> str:
    """A navigation the app answered with redirects that never ended (an error handler
    sending the browser back to a page that signs in again, where the provider answers the
    same error at once)."""
    return (f"redirects went round in a loop (the last to {_address(asked)}): the browser gave "
            f"up after too many redirects ({TOO_MANY_REDIRECTS}) and shows its own error page")


def _no_answer(asked: str) -> str:
    """What the browser's error page stands for: the request that got no answer (its address
    without the query, where a code may be), from the navigation's timing entry. Chromium
    tells a dropped connection from a refused one to neither the page nor its timing."""
    return (f"no answer from {_address(asked)}: the connection closed without a response, or "
            "could not be opened, and the browser shows its own error page")
